"""The 188 labelled short answers and their sentence embeddings, computed once per test run.

Loading all-MiniLM-L6-v2 takes seconds, so the embedder and the embeddings are cached here and
shared by every test module that imports them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from coding.embeddings import SentenceEmbedder

LABELLED = Path(__file__).resolve().parent / "data" / "constraints_labelled.csv"


@cache
def labelled() -> pd.DataFrame:
    """Return the labelled answers: code, text."""
    return pd.read_csv(LABELLED)


@cache
def sentence_embedder() -> SentenceEmbedder:
    """Return one sentence embedder for the whole run (the model loads on first use)."""
    return SentenceEmbedder()


@cache
def labelled_embeddings() -> np.ndarray:
    """Return the embedding of each labelled answer, read-only."""
    vectors = sentence_embedder().encode(labelled().text.tolist())
    vectors.setflags(write=False)
    return vectors

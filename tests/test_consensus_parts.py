"""The parts that make the consensus fast are exact: its neighbours, its spectral maps, and
runs that give the same graph however the threads were timed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg, sparse
from sklearn.manifold import spectral_embedding
from sklearn.neighbors import NearestNeighbors

from coding import cluster
from coding.cluster import AnswerClusterer, nearest_neighbours, spectral_maps
from surveyapp.testing import labelled_embeddings


@pytest.fixture
def small_blocks(monkeypatch):
    """Make nearest_neighbours cut 50 rows into blocks of 7, the last one short."""
    monkeypatch.setattr(cluster, "NEIGHBOUR_BLOCK", 7)


def scikit_learn_neighbours(X, n):
    return NearestNeighbors(n_neighbors=n).fit(X).kneighbors(X, return_distance=False)


@pytest.mark.parametrize("blocks", ["one block", "several blocks"])
def test_neighbours_are_scikit_learns_for_vectors_of_any_length(blocks, request):
    if blocks == "several blocks":
        request.getfixturevalue("small_blocks")
    X = np.random.RandomState(0).normal(size=(50, 6)) * np.arange(1, 51)[:, None] / 10
    found = nearest_neighbours(X, 5)
    expected = scikit_learn_neighbours(X, 5)
    assert found.shape == (50, 5)
    assert [set(row) for row in found] == [set(row) for row in expected]


def test_each_answer_is_among_its_own_neighbours_even_when_repeated(small_blocks):
    X = np.repeat(np.random.RandomState(1).normal(size=(10, 4)), 5, axis=0)  # each row 5 times
    found = nearest_neighbours(X, 3)
    assert all(row in found[row] for row in range(len(X)))
    # and the others are copies of it: distance 0
    assert all(np.allclose(X[found[row]], X[row]) for row in range(len(X)))


def test_asking_for_more_neighbours_than_answers_gives_them_all(small_blocks):
    X = np.random.RandomState(2).normal(size=(9, 3))
    found = nearest_neighbours(X, 20)
    assert found.shape == (9, 9)
    assert all(sorted(row) == list(range(9)) for row in found)


def blocks_graph(sizes, seed=0) -> sparse.csr_matrix:
    """Return a symmetric graph of dense blocks joined by a few weak edges."""
    rng = np.random.RandomState(seed)
    total = sum(sizes)
    weights = rng.uniform(0, 0.02, size=(total, total)) * (rng.uniform(size=(total, total)) < 0.05)
    start = 0
    for size in sizes:
        weights[start : start + size, start : start + size] = rng.uniform(0.5, 1, (size, size))
        start += size
    weights = np.maximum(weights, weights.T)
    return sparse.csr_matrix(weights)


@pytest.mark.parametrize("solver", ["whole", "ARPACK"])
def test_spectral_maps_span_scikit_learns_spectral_embedding(solver, monkeypatch):
    if solver == "ARPACK":
        monkeypatch.setattr(cluster, "DENSE_EIGEN", 10)
    graph = blocks_graph([30, 25, 20, 15])
    maps = spectral_maps(graph, 4)
    expected = spectral_embedding(graph, n_components=4, drop_first=False, random_state=0)
    assert maps.shape == (90, 4)
    assert linalg.subspace_angles(maps, expected).max() < 1e-4
    # and the first map is constant: the top eigenvector of the normalised adjacency is
    # the square root of the degrees, divided by it here
    assert np.allclose(maps[:, 0], maps[0, 0])


def test_spectral_maps_separate_the_blocks_of_a_graph():
    graph = blocks_graph([30, 25, 20, 15], seed=3)
    labels = cluster._qr_assignment(spectral_maps(graph, 4))
    blocks = np.repeat(np.arange(4), [30, 25, 20, 15])
    assert len(set(zip(labels, blocks, strict=True))) == 4  # each block one cluster


def test_the_consensus_graph_is_the_same_however_its_runs_were_timed(monkeypatch):
    monkeypatch.setattr(cluster, "CONSENSUS_SAMPLE", 60)  # the sampled runs, on 188 answers
    vectors = labelled_embeddings()
    fits = [AnswerClusterer(n_clusters=7, random_state=4).fit(vectors) for _ in range(3)]
    for fit in fits[1:]:
        assert (fit.graph_ != fits[0].graph_).nnz == 0
        assert np.array_equal(fit.labels_, fits[0].labels_)
    other_seed = AnswerClusterer(n_clusters=7, random_state=5).fit(vectors)
    assert (other_seed.graph_ != fits[0].graph_).nnz > 0


def test_runs_fitted_on_a_sample_still_place_every_answer(monkeypatch):
    monkeypatch.setattr(cluster, "CONSENSUS_SAMPLE", 60)
    vectors = labelled_embeddings()
    fit = AnswerClusterer(n_clusters=7).fit(vectors)
    assert fit.labels_.shape == (len(vectors),) and set(fit.labels_) == set(range(7))
    # every answer voted in every run: its weight to itself is 1
    assert np.allclose(fit.graph_.diagonal(), 1)

"""all-MiniLM-L6-v2 in bfloat16 gives the answers' float32 vectors, and is used only where
the CPU has bfloat16 instructions."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from coding.cluster import AnswerClusterer
from coding.embeddings import SentenceEmbedder, native_bfloat16
from surveyapp.testing import labelled_answers


@pytest.fixture(scope="module")
def both():
    """Return the labelled answers' vectors in float32 and in bfloat16."""
    texts = labelled_answers().text.tolist()
    single = SentenceEmbedder(precision="float32").encode(texts)
    half = SentenceEmbedder(precision="bfloat16").encode(texts)
    return single, half


def test_bfloat16_vectors_point_where_the_float32_ones_do(both):
    single, half = both
    assert single.shape == half.shape and half.dtype == np.float32
    assert np.allclose(np.linalg.norm(half, axis=1), 1, atol=1e-5)
    cosines = (single * half).sum(axis=1)
    assert cosines.min() > 0.9999
    # and the precision made a difference: the two are not the same computation
    assert not np.array_equal(single, half)


def test_bfloat16_moves_the_clusters_less_than_another_seed_does(both):
    single, half = both
    seed0, seed1 = (AnswerClusterer(n_clusters=7, random_state=s).fit(single) for s in (0, 1))
    in_half = AnswerClusterer(n_clusters=7).fit(half)
    by_seed = adjusted_rand_score(seed0.labels_, seed1.labels_)
    by_precision = adjusted_rand_score(seed0.labels_, in_half.labels_)
    assert by_precision > by_seed


def test_auto_takes_bfloat16_only_on_a_cpu_with_its_instructions():
    texts = labelled_answers().text.tolist()[:20]
    chosen = SentenceEmbedder().encode(texts)
    expected = SentenceEmbedder(precision="bfloat16" if native_bfloat16() else "float32")
    other = SentenceEmbedder(precision="float32" if native_bfloat16() else "bfloat16")
    assert np.array_equal(chosen, expected.encode(texts))
    assert not np.array_equal(chosen, other.encode(texts))


def test_an_unknown_precision_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="auto, float32, bfloat16.*'half'"):
        SentenceEmbedder(precision="half")

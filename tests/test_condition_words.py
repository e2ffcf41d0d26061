"""A condition on the same page is said in words, and given to the page's script as a rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from surveyapp.questionnaire.answers import page_conditions
from surveyapp.questionnaire.conditions import describe, parse_condition
from surveyapp.questionnaire.loading import load_questionnaire, parse_questionnaire

DEMO = load_questionnaire(Path(__file__).resolve().parent / "data" / "demo.yaml")
EARLIER = {question.name: question for question in DEMO.questions}
OTHER, MEDIA = (
    {"question": "region", "equals": "other"},
    {"question": "topics", "contains": "media"},
)


@pytest.mark.parametrize(
    "raw, words",
    [
        (OTHER, "you chose “Other”"),
        ({"question": "region", "not_equals": "other"}, "you did not choose “Other”"),
        ({"question": "region", "in": ["africa", "other"]}, "you chose “Africa” or “Other”"),
        (
            {"question": "region", "not_in": ["africa", "other"]},
            "you chose neither “Africa” nor “Other”",
        ),
        (MEDIA, "you chose “Media”"),
        ({"not": MEDIA}, "you did not choose “Media”"),
        (
            {"question": "statements.one", "equals": "agree"},
            "you chose “Agree” for “Statement one”",
        ),
        ({"question": "statements", "answered": True}, "you answered “Do you agree?”"),
        ({"question": "statements", "answered": False}, "you did not answer “Do you agree?”"),
        ({"question": "region", "answered": True}, "you answered “Region”"),
        (
            {"question": "countries", "min": 2},
            "your answer to “In how many countries do you work?” is at least 2",
        ),
        (
            {"not": {"question": "countries", "max": 2.5}},
            "your answer to “In how many countries do you work?” is more than 2.5",
        ),
        ({"question": "pillars.a", "equals": 1}, "your answer to “Pillar A” is “1”"),
        (
            {"question": "countries", "above": 2},
            "your answer to “In how many countries do you work?” is more than 2",
        ),
        (
            {"not": {"question": "countries", "above": 2}},
            "your answer to “In how many countries do you work?” is at most 2",
        ),
        ({"question": "pillars.a", "below": 3}, "your answer to “Pillar A” is less than 3"),
        (
            {"not": {"question": "pillars.a", "below": 3}},
            "your answer to “Pillar A” is at least 3",
        ),
        (
            {"question": "countries", "min": 2, "max": 10},
            "your answer to “In how many countries do you work?” is at least 2 and your answer"
            " to “In how many countries do you work?” is at most 10",
        ),
        ({"all": [OTHER, MEDIA]}, "you chose “Other” and you chose “Media”"),
        ({"any": [OTHER, MEDIA]}, "you chose “Other” or you chose “Media”"),
        (
            {"not": {"any": [OTHER, MEDIA]}},
            "you did not choose “Other” and you did not choose “Media”",
        ),
    ],
)
def test_condition_in_words(raw, words):
    assert describe(parse_condition(raw, EARLIER), DEMO.question) == words


@pytest.mark.parametrize(
    "raw, words",
    [
        (
            {"question": "started", "above": "2026-01-31"},
            "your answer to “Started” is after 2026-01-31",
        ),
        (
            {"question": "started", "below": "2026-01-31"},
            "your answer to “Started” is before 2026-01-31",
        ),
        (
            {"not": {"question": "started", "above": "2026-01-31"}},
            "your answer to “Started” is on or before 2026-01-31",
        ),
        (
            {"not": {"question": "started", "below": "2026-01-31"}},
            "your answer to “Started” is on or after 2026-01-31",
        ),
    ],
)
def test_strict_date_bounds_in_words(raw, words):
    started = parse_questionnaire(
        {"id": "days", "title": "Days", "pages": [{"name": "one", "title": "One", "questions": [
            {"name": "started", "type": "date", "label": "Started"}]}]}
    )  # fmt: skip
    earlier = {q.name: q for q in started.questions}
    assert describe(parse_condition(raw, earlier), started.question) == words


def test_condition_in_words_takes_the_respondents_language():
    condition = parse_condition({"question": "region", "answered": True}, EARLIER)
    assert describe(condition, DEMO.question, "fr") == "you answered “Région”"


def _page(relevant) -> tuple:
    """A questionnaire whose second page asks kind, years and since, then which if `relevant`."""
    questionnaire = parse_questionnaire(
        {
            "id": "rules",
            "title": "Rules",
            "pages": [
                {
                    "name": "one",
                    "title": "One",
                    "questions": [
                        {"name": "region", "type": "select_one", "label": "Region", "choices": [
                            {"name": "africa", "label": "Africa"},
                            {"name": "asia", "label": "Asia"}]},
                    ],
                },
                {
                    "name": "two",
                    "title": "Two",
                    "questions": [
                        {"name": "kind", "type": "select_multiple", "label": "Kind", "choices": [
                            {"name": "a", "label": "A"}, {"name": "b", "label": "B"}]},
                        {"name": "years", "type": "integer", "label": "Years"},
                        {"name": "since", "type": "date", "label": "Since"},
                        {"name": "which", "type": "text", "label": "Which?", "relevant": relevant},
                    ],
                },
            ],
        }
    )  # fmt: skip
    page = questionnaire.pages[1]
    return questionnaire, page


@pytest.mark.parametrize(
    "relevant, row, rule",
    [
        ({"question": "kind", "contains": "b"}, {}, ["has", "kind", "b"]),
        ({"question": "years", "equals": 3}, {}, ["eq", "years", "3"]),
        ({"question": "years", "in": [3, 4]}, {}, ["in", "years", ["3", "4"]]),
        ({"not": {"question": "years", "not_in": [3]}}, {}, ["not", ["ni", "years", ["3"]]]),
        # a test of an earlier page is decided: true or false in the rule
        (
            {
                "all": [
                    {"question": "region", "equals": "asia"},
                    {"question": "kind", "contains": "a"},
                ]
            },
            {"region": "asia"},
            ["all", True, ["has", "kind", "a"]],
        ),
        (
            {
                "any": [
                    {"question": "region", "equals": "asia"},
                    {"question": "kind", "contains": "a"},
                ]
            },
            {"region": "africa"},
            ["any", False, ["has", "kind", "a"]],
        ),
        # bounds: the kind of answer says how the script reads it
        ({"question": "years", "min": 5}, {}, ["ge", "years", 5, "number"]),
        ({"question": "years", "below": 2.5}, {}, ["lt", "years", 2.5, "number"]),
        (
            {"question": "years", "min": 2, "max": 10},
            {},
            ["all", ["ge", "years", 2, "number"], ["le", "years", 10, "number"]],
        ),
        ({"question": "since", "above": "2026-01-31"}, {}, ["gt", "since", "2026-01-31", "date"]),
        # tests the script does not mirror leave the question shown
        ({"question": "kind", "answered": True}, {}, None),
    ],
)
def test_page_gives_its_script_a_rule_it_can_test(relevant, row, rule):
    questionnaire, page = _page(relevant)
    conditions = page_conditions(questionnaire, page, list(page.questions), row, "en")
    assert list(conditions) == ["which"]
    given = conditions["which"].rule
    assert (json.loads(given) if given else None) == rule


def test_a_condition_on_an_earlier_page_is_not_the_page_s_to_say():
    questionnaire, page = _page({"question": "region", "equals": "asia"})
    assert (
        page_conditions(questionnaire, page, list(page.questions), {"region": "asia"}, "en") == {}
    )

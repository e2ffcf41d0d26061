"""Which questions a respondent sees, and whole sets of answers checked like the web form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from surveyapp.questionnaire.conditions import Condition, describe
from surveyapp.questionnaire.forms import answers_formdata, form_answers, page_form_class
from surveyapp.questionnaire.model import Page, Question, Questionnaire

NOT_SHOWN = "answered, but the question is not shown for these answers"
# How static/conditions.js names the tests it mirrors
SCRIPT_TESTS = {"equals": "eq", "not_equals": "ne", "in": "in", "not_in": "ni"}
SCRIPT_BOUNDS = {"min": "ge", "max": "le", "above": "gt", "below": "lt"}


def same_page_names(page: Page) -> set[str]:
    """Return the names of a page's questions."""
    return {q.name for q in page.questions}


def is_shown(question: Question, page: Page, row: dict[str, Any], decided=True) -> bool:
    """Whether a question is shown given the answers so far.

    A condition on a question of the same page is undecided until the page is submitted:
    with ``decided=False`` such a question counts as shown.
    """
    if question.relevant is None:
        return True
    if not decided and question.relevant.questions() & same_page_names(page):
        return True
    return question.relevant.holds(row)


def shown_questions(page: Page, row: dict[str, Any], decided=True) -> list[Question]:
    """Return the questions of a page shown given the answers so far."""
    return [q for q in page.questions if is_shown(q, page, row, decided)]


def answered_not_applying(page: Page, row: dict[str, Any]) -> list[Question]:
    """Return the questions shown on a page that hold an answer but whose condition fails.

    Such a question has a condition on the same page: it is shown until the page is
    submitted, and its answer is not kept unless the condition holds.
    """
    applying = shown_questions(page, row)
    return [
        q
        for q in shown_questions(page, row, decided=False)
        if q not in applying
        and any(str(row[name]).strip() for name in q.kind.given_columns(q, row))
    ]


def left_out(
    questionnaire: Questionnaire, names: list[str], row: dict[str, Any] | None, language
) -> list[tuple[Question, str, int]]:
    """Return the named questions whose answers a page left out, as a notice tells them.

    Each is a question with a condition on its own page which fails on the answers `row`
    (not checked when None: the answers are submitted and gone), given with its condition
    in words and the number of its page.
    """
    notes = []
    for number, page in enumerate(questionnaire.pages, 1):
        on_page = same_page_names(page)
        for question in page.questions:
            condition = question.relevant
            if (
                question.name in names
                and condition is not None
                and condition.questions() & on_page
                and (row is None or not condition.holds(row))
            ):
                notes.append(
                    (question, describe(condition, questionnaire.question, language), number)
                )
    return notes


@dataclass(frozen=True)
class PageCondition:
    """A question's condition on answers of its own page, as the page shows it.

    Attributes
    ----------
    words : str
        The condition in words, as it ends "Only if ...": 'you chose “Other”'.
    rule : str or None
        The condition as JSON for static/conditions.js, which shows the question only while
        it holds; None when the script cannot test it (the question then stays shown).
    """

    words: str
    rule: str | None


def page_conditions(
    questionnaire: Questionnaire, page: Page, questions: list[Question], row, language
) -> dict[str, PageCondition]:
    """Return, by question name, the conditions of shown questions that read their own page."""
    on_page = same_page_names(page)
    conditions = {}
    for question in questions:
        if question.relevant is None or not question.relevant.questions() & on_page:
            continue
        words = describe(question.relevant, questionnaire.question, language)
        rule = _script_rule(question.relevant, on_page, row)
        script = None if rule is None else json.dumps(rule, separators=(",", ":"))
        conditions[question.name] = PageCondition(words, script)
    return conditions


def _script_rule(condition: Condition, on_page: set[str], row: dict[str, Any]) -> Any:
    """Return a condition as static/conditions.js tests it, or None if the script cannot.

    A test of an earlier page is decided already: it becomes true or false. On the same
    page the script tests equals, not_equals, in, not_in, contains and the bounds (min,
    max, above, below) of numbers, dates and ranks.
    """
    if condition.test in ("all", "any", "not"):
        parts = [_script_rule(part, on_page, row) for part in condition.parts]
        return None if None in parts else [condition.test, *parts]
    if condition.question not in on_page:
        return condition.holds(row)
    if condition.test == "contains":
        return ["has", condition.question, condition.column.partition(".")[2]]
    if condition.test in SCRIPT_BOUNDS:
        bound = condition.operand
        if isinstance(bound, date):  # the script compares a day's ISO text
            return [SCRIPT_BOUNDS[condition.test], condition.column, bound.isoformat(), "date"]
        return [SCRIPT_BOUNDS[condition.test], condition.column, bound, "number"]
    if condition.test in SCRIPT_TESTS:
        operand = condition.operand
        return [
            SCRIPT_TESTS[condition.test],
            condition.column,
            list(operand) if isinstance(operand, tuple) else operand,
        ]
    return None


def page_is_shown(page: Page, row: dict[str, Any]) -> bool:
    """Whether a page has anything to show.

    A page with questions is shown when any of them is (its notes alone, such as an
    introduction to questions all hidden, are not worth a page); a page of notes only, a
    welcome or a thank-you written as a page, is shown when its notes are.
    """
    shown = shown_questions(page, row, decided=False)
    if any(q.kind.is_answer for q in page.questions):
        return any(q.kind.is_answer for q in shown)
    return bool(shown)


def check_answers(
    questionnaire: Questionnaire, row: dict[str, Any], strict: bool = True
) -> tuple[dict[str, Any], dict[str, list[str]], int | None]:
    """Validate a whole set of answers page by page, as the web form does.

    Returns the clean answers (every column present, None where unanswered), the errors by
    field name, and the index of the first page with an error. With ``strict``, an answer
    to a question that is not shown is an error; otherwise it is dropped.
    """
    clean: dict[str, Any] = {column.name: None for column in questionnaire.columns()}
    errors: dict[str, list[str]] = {}
    first_bad = None
    for index, page in enumerate(questionnaire.pages):
        shown = shown_questions(page, row)
        hidden = [q for q in page.questions if q not in shown]
        for question in hidden:
            given = question.kind.given_columns(question, row)
            if strict and given:
                errors.setdefault(given[0], []).append(NOT_SHOWN)
        form = page_form_class(page, shown, None)(formdata=answers_formdata(shown, row))
        if not form.validate():
            for name, messages in form.errors.items():
                errors.setdefault(name, []).extend(messages)
        else:
            clean.update(form_answers(form, shown))
        if errors and first_bad is None:
            first_bad = index
    return clean, errors, first_bad

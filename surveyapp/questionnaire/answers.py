"""Which questions a respondent sees, and whole sets of answers checked like the web form."""

from __future__ import annotations

from typing import Any

from surveyapp.questionnaire.forms import answers_formdata, form_answers, page_form_class
from surveyapp.questionnaire.model import Page, Question, Questionnaire

NOT_SHOWN = "answered, but the question is not shown for these answers"


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


def page_is_shown(page: Page, row: dict[str, Any]) -> bool:
    """Whether a page has any question (other than notes) to show."""
    return any(q.kind.is_answer for q in shown_questions(page, row, decided=False))


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

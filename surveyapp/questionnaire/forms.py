"""WTForms classes generated from a questionnaire page, and answers to and from them.

What each question type puts in a form lives with the type (`types/`); this module holds
field classes that several types use and the page-level glue.
"""

from __future__ import annotations

import math
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Form, validators
from wtforms.fields import (
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)

from surveyapp.questionnaire.model import Page, Question
from surveyapp.questionnaire.wording import _, gettext

ANSWER_NEEDED = _("Please answer this question.")
CHOOSE_ONE = _("Please choose one of the answers offered.")
LARGEST_NUMBER = 2**53


class _OptionalChoice:
    """A choice field that may be left empty; a given value must be one of its choices."""

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        if not any(choice.value == str(self.data) for choice in self.choices):
            raise validators.ValidationError(CHOOSE_ONE)


class ChoiceRadioField(_OptionalChoice, RadioField):
    """Radio buttons whose value must be one of the question's choices."""


class ChoiceSelectField(_OptionalChoice, SelectField):
    """A drop-down whose value must be one of the question's choices."""


class ChoicesField(SelectMultipleField):
    """Check boxes whose values must all be among the question's choices."""

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise validators.ValidationError(CHOOSE_ONE)


class UnreadableStops:
    """A typed field whose unreadable value is its one error: no range check follows it.

    An empty box (browsers send every text box, filled or not) is not unreadable: it goes on
    to `Optional` or `InputRequired`, which clear its error or ask for an answer.
    """

    def pre_validate(self, form):
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            raise validators.StopValidation()


class WholeNumberField(UnreadableStops, IntegerField):
    """A whole number that fits a SQLite integer."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(gettext("Please give a whole number.")) from None
        if self.data is not None and abs(self.data) > LARGEST_NUMBER:
            self.data = None
            raise ValueError(gettext("Please give a smaller number."))


class NumberField(UnreadableStops, FloatField):
    """A finite decimal number."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(gettext("Please give a number, such as 2.5.")) from None
        if self.data is not None and not (
            math.isfinite(self.data) and abs(self.data) <= LARGEST_NUMBER
        ):
            self.data = None
            raise ValueError(gettext("Please give a number, such as 2.5."))


class RankField(_OptionalChoice, SelectField):
    """The rank given to one item, chosen from 1 to the number of items."""


def question_fields(question: Question, language: str | None) -> dict[str, Any]:
    """Return the unbound form fields of one question, keyed by field name."""
    return question.kind.fields(question, language)


class PageForm(Form):
    """A page of questions; checks across a question's fields (ranks) after the fields.

    Its messages are plain text in the respondent's language once it is validated.
    """

    questions: list[Question] = []

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for question in self.questions:
            if not question.kind.validate_page(self, question):
                valid = False
        for field in self:
            field.errors = [str(message) for message in field.errors]
        return valid


_FORM_CLASSES: dict[tuple, tuple[Page, type]] = {}


def page_form_class(
    page: Page, questions: list[Question], language: str | None, base: type = PageForm
) -> type:
    """Return a form class holding the given questions of a page, made once and kept."""
    key = (id(page), tuple(q.name for q in questions), language, base)
    kept = _FORM_CLASSES.get(key)
    if kept is not None:
        return kept[1]
    attributes: dict[str, Any] = {"questions": questions, "page": page}
    for question in questions:
        attributes.update(question_fields(question, language))
    form_class = type(f"{page.name.title()}Form", (base,), attributes)
    if len(_FORM_CLASSES) > 2000:
        _FORM_CLASSES.clear()
    _FORM_CLASSES[key] = (page, form_class)  # holding the page keeps its id from being reused
    return form_class


def formdata_answers(questions: list[Question], formdata: MultiDict) -> dict[str, Any]:
    """Read raw submitted values into a row, for deciding conditions on the same page."""
    row: dict[str, Any] = {}
    for question in questions:
        row.update(question.kind.formdata_answers(question, formdata))
    return row


def form_answers(form: Form, questions: list[Question]) -> dict[str, Any]:
    """Return a validated form's answers as a row keyed by export column."""
    row: dict[str, Any] = {}
    for question in questions:
        row.update(question.kind.form_answers(form, question))
    return row


def answers_formdata(questions: list[Question], row: dict[str, Any]) -> MultiDict:
    """Turn stored answers back into form data, to show them again or to validate them."""
    data = MultiDict()
    for question in questions:
        for name, value in question.kind.answers_formdata(question, row):
            data.add(name, value)
    return data

"""WTForms classes generated from a questionnaire page, and answers to and from them."""

from __future__ import annotations

import math
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Form, validators
from wtforms.fields import (
    FloatField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from surveyapp.questionnaire.model import Page, Question, translate

ANSWER_NEEDED = "Please answer this question."
CHOOSE_ONE = "Please choose one of the answers offered."
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


class WholeNumberField(IntegerField):
    """A whole number that fits a SQLite integer."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Please give a whole number.") from None
        if self.data is not None and abs(self.data) > LARGEST_NUMBER:
            self.data = None
            raise ValueError("Please give a smaller number.")


class NumberField(FloatField):
    """A finite decimal number."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Please give a number, such as 2.5.") from None
        if self.data is not None and not (
            math.isfinite(self.data) and abs(self.data) <= LARGEST_NUMBER
        ):
            self.data = None
            raise ValueError("Please give a number, such as 2.5.")


class RankField(_OptionalChoice, SelectField):
    """The rank given to one item, chosen from 1 to the number of items."""


def _presence(question: Question) -> list:
    if question.required:
        return [validators.InputRequired(message=ANSWER_NEEDED)]
    return [validators.Optional()]


def _bounds(question: Question) -> list:
    low, high = question.min, question.max
    if low is None and high is None:
        return []
    if low is not None and high is not None:
        message = f"Please give a number from {low:g} to {high:g}."
    elif low is not None:
        message = f"Please give a number of at least {low:g}."
    else:
        message = f"Please give a number of at most {high:g}."
    return [validators.NumberRange(min=low, max=high, message=message)]


def question_fields(question: Question, language: str | None) -> dict[str, Any]:
    """Return the unbound form fields of one question, keyed by field name."""
    label = translate(question.label, language)
    choices = [SelectChoice(c.name, translate(c.label, language)) for c in question.choices]
    kind = question.type
    if kind == "select_one":
        if question.appearance == "dropdown":
            return {
                question.name: ChoiceSelectField(
                    label,
                    choices=[SelectChoice("", "Choose...")] + choices,
                    validators=_presence(question),
                )
            }
        return {
            question.name: ChoiceRadioField(label, choices=choices, validators=_presence(question))
        }
    if kind == "select_multiple":
        checks = []
        if question.required or question.min_choices or question.max_choices:
            low = question.min_choices or (1 if question.required else 0)
            high = question.max_choices or -1
            checks.append(
                validators.Length(min=low, max=high, message=_choices_message(low, high))
            )
        return {question.name: ChoicesField(label, choices=choices, validators=checks)}
    if kind == "grid":
        return {
            f"{question.name}.{item.name}": ChoiceRadioField(
                translate(item.label, language), choices=choices, validators=_presence(question)
            )
            for item in question.items
        }
    if kind == "rank":
        ranks = [SelectChoice(str(n)) for n in range(1, len(question.items) + 1)]
        return {
            f"{question.name}.{item.name}": RankField(
                translate(item.label, language),
                choices=[SelectChoice("", "-")] + ranks,
                validators=_presence(question),
            )
            for item in question.items
        }
    if kind == "text":
        cap = validators.Length(
            max=question.max_length,
            message=f"Please keep this under {question.max_length} characters.",
        )
        field = TextAreaField if question.multiline else StringField
        return {
            question.name: field(label, validators=_presence(question) + [cap], filters=[_strip])
        }
    if kind in ("integer", "decimal"):
        field = WholeNumberField if kind == "integer" else NumberField
        return {question.name: field(label, validators=_presence(question) + _bounds(question))}
    return {}


def _choices_message(low: int, high: int) -> str:
    if high == -1:
        return f"Please choose at least {low}."
    if low == 0:
        return f"Please choose at most {high}."
    return f"Please choose between {low} and {high}."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PageForm(Form):
    """A page of questions; checks ranks across items after the fields."""

    questions: list[Question] = []

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for question in self.questions:
            if question.type == "rank" and not _ranks_valid(self, question):
                valid = False
        return valid


def _ranks_valid(form: Form, question: Question) -> bool:
    fields = [form[f"{question.name}.{item.name}"] for item in question.items]
    given = [field.data for field in fields if field.data not in (None, "")]
    if not given:
        return True
    message = None
    if len(given) != len(fields):
        message = "Please give every item a rank, or none."
    elif len(set(given)) != len(given):
        message = "Please use each rank only once."
    if message:
        fields[0].errors = list(fields[0].errors) + [message]
        return False
    return True


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
        if question.type == "select_multiple":
            chosen = set(formdata.getlist(question.name))
            row.update({c.name: int(c.choice.name in chosen) for c in question.columns()})
        else:
            row.update({c.name: formdata.get(c.name) or None for c in question.columns()})
    return row


def form_answers(form: Form, questions: list[Question]) -> dict[str, Any]:
    """Return a validated form's answers as a row keyed by export column."""
    row: dict[str, Any] = {}
    for question in questions:
        if question.type == "select_multiple":
            chosen = set(form[question.name].data or [])
            for column in question.columns():
                row[column.name] = int(column.choice.name in chosen)
        elif question.type == "note":
            continue
        else:
            for column in question.columns():
                value = form[column.name].data
                if value in ("", None):
                    value = None
                elif question.type == "rank":
                    value = int(value)
                row[column.name] = value
    return row


def answers_formdata(questions: list[Question], row: dict[str, Any]) -> MultiDict:
    """Turn stored answers back into form data, to show them again or to validate them."""
    data = MultiDict()
    for question in questions:
        if question.type == "select_multiple":
            for column in question.columns():
                if str(row.get(column.name)) == "1":
                    data.add(question.name, column.choice.name)
            continue
        for column in question.columns():
            value = row.get(column.name)
            if value is not None and value != "":
                data.add(column.name, _plain(value))
    return data


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

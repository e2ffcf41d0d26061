"""Questions answered with a number: integer and decimal, with optional bounds."""

from __future__ import annotations

import numpy as np
from wtforms import validators

from surveyapp.questionnaire.forms import (
    NumberField,
    WholeNumberField,
)
from surveyapp.questionnaire.model import Question, translate
from surveyapp.questionnaire.types.base import (
    EQUALITY_TESTS,
    QuestionType,
    _default_range,
    _number,
    _presence,
)
from surveyapp.questionnaire.wording import _


class _NumberType(QuestionType):
    """A number within optional bounds `min` and `max`; `inputmode` is the keyboard asked for."""

    keys = ("min", "max", "required")
    numeric = True
    measure = "scale"
    condition_tests = EQUALITY_TESTS | {"answered", "min", "max", "above", "below"}
    field_class: type = NumberField
    inputmode = "decimal"

    def xlsform_rows(self, question, form, row, required):
        """Return an integer or decimal row, with its bounds as a constraint."""
        return [{**row, **required, "type": self.name, **form.bounds(question)}]

    def read_bound(self, value):
        return _number(value)

    def synthetic(self, question, count, rng):
        low, high = _default_range(question.min, question.max, 100)
        values = np.round(rng.uniform(low, high, count), 2)
        return {question.name: np.clip(values, low, high)}

    def widget(self, question):
        return "number"

    def fields(self, question, language):
        label = translate(question.label, language)
        checks = _presence(question) + _number_bounds(question)
        return {question.name: self.field_class(label, validators=checks)}

    def example_formdata(self, question):
        low, high = _default_range(question.min, question.max, 100)
        return {question.name: f"{min(low + 1, high):g}"}


def _number_bounds(question: Question) -> list:
    low, high = question.min, question.max
    if low is None and high is None:
        return []
    if low is not None and high is not None:
        message = _("Please give a number from %(low)g to %(high)g.", low=low, high=high)
    elif low is not None:
        message = _("Please give a number of at least %(low)g.", low=low)
    else:
        message = _("Please give a number of at most %(high)g.", high=high)
    return [validators.NumberRange(min=low, max=high, message=message)]


class Integer(_NumberType):
    """A whole number."""

    name = "integer"
    sql_type = int
    field_class = WholeNumberField
    inputmode = "numeric"

    def read_bound(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value

    def synthetic(self, question, count, rng):
        low, high = _default_range(question.min, question.max, 100)
        return {question.name: rng.integers(low, high + 1, count)}


class Decimal(_NumberType):
    """A number, possibly with decimals."""

    name = "decimal"
    sql_type = float

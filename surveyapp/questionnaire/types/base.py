"""What every question type has: the base `QuestionType` and the helpers its kinds share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
from werkzeug.datastructures import MultiDict
from wtforms import Form, validators

from surveyapp.questionnaire.forms import (
    ANSWER_NEEDED,
)
from surveyapp.questionnaire.model import Column, Question
from surveyapp.questionnaire.wording import _

OPTIONAL_KEYS = (
    "choices",
    "items",
    "min",
    "max",
    "max_length",
    "min_choices",
    "max_choices",
    "appearance",
    "required",
)
EQUALITY_TESTS = frozenset({"equals", "not_equals", "in", "not_in"})
CHOSEN, NOT_CHOSEN = "chosen", "not chosen"
TEXT_CAP = 300
LONG_TEXT_CAP = 5000
EXAMPLE_DATE = date(2026, 11, 2)
GIVE_A_DATE = _("Please give a date such as %(example)s.", example=EXAMPLE_DATE.isoformat())
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _presence(question: Question) -> list:
    if question.required:
        return [validators.InputRequired(message=ANSWER_NEEDED)]
    return [validators.Optional()]


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return value


def _bound(test: str, value: Any) -> float | int:
    try:
        return _number(value)
    except ValueError as error:
        raise ValueError(f"'{test}' {error}") from None


def _default_range(low, high, span):
    """Return bounds for synthetic numbers: the given ones, else 0 or `span` from the other."""
    if low is None:
        low = 0 if high is None or high >= 0 else high - span
    if high is None:
        high = low + span
    return low, high


def _item_columns(question: Question) -> tuple[Column, ...]:
    return tuple(Column(f"{question.name}.{i.name}", question, item=i) for i in question.items)


class QuestionType:
    """What one type of question asks, stores, shows and checks.

    One instance per type lives in `QUESTION_TYPES`; a question's type is
    `question.kind`. Subclasses override the attributes and methods that differ.

    Attributes
    ----------
    name : str
        The type's name in a definition (`type: select_one`) and the data dictionary.
    keys : tuple of str
        The definition keys of `OPTIONAL_KEYS` that apply to the type.
    appearances : tuple of str
        The values `appearance` may take.
    sql_type : type
        The Python type sqlite-utils maps to its columns' SQL type.
    is_answer : bool
        Whether it takes an answer (False for a note).
    single_choice : bool
        One choice of a list in one column: its answers can group respondents.
    open_text : bool
        Free text, which is coded.
    scale_grid : bool
        Statements (items) answered on one scale of choices, cross-tabulated.
    has_choices, has_items : bool
        Whether it needs `choices`, `items`.
    numeric : bool
        Its answer is a number.
    condition_tests : frozenset of str
        The `relevant` tests that may read it.
    value_format : str
        What its stored values are, for the data dictionary, when they have no labels.
    measure : str
        Its columns' level of measurement in a statistics file (SPSS): ``nominal``,
        ``ordinal`` or ``scale``.
    """

    name = ""
    keys: tuple[str, ...] = ("required",)
    appearances: tuple[str, ...] = ()
    sql_type: type = str
    is_answer = True
    single_choice = False
    open_text = False
    scale_grid = False
    has_choices = False
    has_items = False
    numeric = False
    condition_tests = EQUALITY_TESTS | {"answered"}
    value_format = ""
    measure = "nominal"
    items_are_questions = False  # in an XLSForm, each item is a question of its own

    def __repr__(self) -> str:
        return f"<question type {self.name}>"

    def xlsform_rows(self, question, form, row: dict, required: dict) -> list[dict]:
        """Return the XLSForm survey rows of a question, completing its common row.

        ``form`` is the `surveyapp.xlsform.exporting` writer (choice lists, constraints);
        ``row`` holds the name, label, hint and relevant; ``required`` the required column.
        """
        raise ValueError(f"question '{question.name}': type {self.name} has no XLSForm export")

    # The definition

    def read_bound(self, value: Any) -> Any:
        """Return a definition's `min` or `max`, or raise ValueError saying what it must be."""
        raise ValueError(f"does not apply to a {self.name} question")

    def default_max_length(self, appearance: str | None) -> int | None:
        """Return the length cap of an answer when the definition gives none."""
        return None

    def condition_operand(self, question: Question, test: str, value: Any) -> Any:
        """Return the operand of a condition test on this question, or raise ValueError."""
        if test in ("min", "max", "above", "below"):
            return _bound(test, value)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"compare with a choice name or a number, not {value!r}")
        return str(value)

    # Columns and stored values

    def columns(self, question: Question) -> tuple[Column, ...]:
        """Return the export columns a question of this type fills."""
        return (Column(question.name, question),)

    def value_labels(self, question: Question, language: str | None = None) -> dict | None:
        """Return the label of each stored value, or None when values are not labelled."""
        return None

    def value_codes(self, question: Question) -> dict | None:
        """Return the number (SPSS code) that stands for each stored value, or None."""
        return None

    def missing_values(self, question: Question) -> list:
        """Return the stored values that answer but say nothing (Do not know), to declare."""
        return []

    def measure_of(self, question: Question) -> str:
        """Return the level of measurement of a question's columns (see `measure`)."""
        return self.measure

    def typed(self, values):
        """Return a column (pandas Series) of stored values as typed data, for SPSS."""
        return values

    def describe_values(self, question: Question, language: str | None = None) -> str:
        """Return what the stored values mean, for the data dictionary."""
        labels = self.value_labels(question, language)
        if labels is None:
            return self.value_format
        return "; ".join(f"{value}={label}" for value, label in labels.items())

    def is_given(self, value: Any) -> bool:
        """Whether a stored or submitted value of one column is an answer."""
        return _given(value)

    def given_columns(self, question: Question, row: dict[str, Any]) -> list[str]:
        """Return the columns of a question that hold an answer in a row."""
        return [c.name for c in question.columns() if self.is_given(row.get(c.name))]

    def ordered(self, value: Any) -> Any:
        """Return a value as conditions' bounds (`min`, `above`...) compare it, or None."""
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    def import_problem(self, value: str) -> str | None:
        """Return what is wrong with an imported CSV cell before the form's check, if any."""
        return None

    def synthetic(
        self, question: Question, count: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Return `count` random answers to a question, by column."""
        return {}

    # Forms

    def widget(self, question: Question) -> str:
        """Return the name of the template macro that shows a question."""
        return self.name

    def fields(self, question: Question, language: str | None) -> dict[str, Any]:
        """Return the unbound form fields of a question, keyed by field name."""
        return {}

    def formdata_answers(self, question: Question, formdata: MultiDict) -> dict[str, Any]:
        """Read a question's raw submitted values into a row, for same-page conditions."""
        return {c.name: formdata.get(c.name) or None for c in question.columns()}

    def form_answers(self, form: Form, question: Question) -> dict[str, Any]:
        """Return a validated form's answers to a question, keyed by export column."""
        row = {}
        for column in question.columns():
            value = form[column.name].data
            row[column.name] = None if value in ("", None) else self.stored(value)
        return row

    def stored(self, value: Any) -> Any:
        """Return a valid form field's value as it is stored."""
        return value

    def answers_formdata(
        self, question: Question, row: dict[str, Any]
    ) -> Iterator[tuple[str, str]]:
        """Yield the form data (field name, value) of a question's stored answers."""
        for column in question.columns():
            value = row.get(column.name)
            if value is not None and value != "":
                yield column.name, _plain(value)

    def failed_columns(self, form: Form, question: Question) -> list[str]:
        """Return the columns of a question whose fields failed validation."""
        return [c.name for c in question.columns() if form[c.name].errors]

    def validate_page(self, form: Form, question: Question) -> bool:
        """Check a question across its fields once they passed; add errors, return validity."""
        return True

    def example_formdata(self, question: Question) -> dict[str, Any]:
        """Return form data that answers a question validly, for tests and demos."""
        return {}

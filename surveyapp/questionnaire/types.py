"""One description per question type: everything that depends on what a question asks.

A type says which definition keys apply to it, the export columns it fills and their SQL
type, the labels of its stored values, its form fields and how answers go between forms
and rows, what counts as an answer, how conditions read it, how an imported cell is
checked, synthetic answers, the template macro that shows it, and flags the analysis asks
(`single_choice`, `open_text`, ...). Everything else asks `question.kind`; nothing outside
this module compares type names or spells column ids.

To add a type: write a subclass here and register it in `QUESTION_TYPES`, add the macro
its `widget` names to `web/templates/respond/_questions.html`, and document it in
`questionnaires/README.md`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from werkzeug.datastructures import MultiDict
from wtforms import Form, validators
from wtforms.fields import SelectChoice, StringField, TextAreaField

from surveyapp.questionnaire.forms import (
    ANSWER_NEEDED,
    ChoiceRadioField,
    ChoiceSelectField,
    ChoicesField,
    NumberField,
    RankField,
    WholeNumberField,
)
from surveyapp.questionnaire.model import Column, Question, translate

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
GIVE_A_DATE = f"Please give a date such as {EXAMPLE_DATE}."
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

    def __repr__(self) -> str:
        return f"<question type {self.name}>"

    # The definition

    def read_bound(self, value: Any) -> Any:
        """Return a definition's `min` or `max`, or raise ValueError saying what it must be."""
        raise ValueError(f"does not apply to a {self.name} question")

    def default_max_length(self, appearance: str | None) -> int | None:
        """Return the length cap of an answer when the definition gives none."""
        return None

    def condition_operand(self, question: Question, test: str, value: Any) -> Any:
        """Return the operand of a condition test on this question, or raise ValueError."""
        if test in ("min", "max"):
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
        """Return a value as conditions' `min` and `max` compare it, or None if unreadable."""
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


class _ChoiceType(QuestionType):
    """A type answered by picking among the question's choices."""

    has_choices = True

    def condition_operand(self, question, test, value):
        name = super().condition_operand(question, test, value)
        if not question.choice(name):
            raise ValueError(f"'{name}' is not a choice of question '{question.name}'")
        return name

    def value_labels(self, question, language=None):
        return {c.name: translate(c.label, language) for c in question.choices}

    def _choices(self, question, language) -> list[SelectChoice]:
        return [SelectChoice(c.name, translate(c.label, language)) for c in question.choices]

    def _picks(self, question, count, rng) -> np.ndarray:
        names = [c.name for c in question.choices]
        return np.array(names, dtype=object)[rng.integers(0, len(names), count)]


class SelectOne(_ChoiceType):
    """One choice of a list, as radio buttons or a drop-down."""

    name = "select_one"
    keys = ("choices", "appearance", "required")
    appearances = ("dropdown", "radio")
    single_choice = True

    def widget(self, question):
        return "dropdown" if question.appearance == "dropdown" else "radio"

    def fields(self, question, language):
        label = translate(question.label, language)
        choices = self._choices(question, language)
        if question.appearance == "dropdown":
            field = ChoiceSelectField(
                label,
                choices=[SelectChoice("", "Choose...")] + choices,
                validators=_presence(question),
            )
        else:
            field = ChoiceRadioField(label, choices=choices, validators=_presence(question))
        return {question.name: field}

    def synthetic(self, question, count, rng):
        return {question.name: self._picks(question, count, rng)}

    def example_formdata(self, question):
        return {question.name: question.choices[0].name}


class SelectMultiple(_ChoiceType):
    """Any number of choices of a list, as check boxes; one 0/1 column per choice."""

    name = "select_multiple"
    keys = ("choices", "min_choices", "max_choices", "required")
    sql_type = int
    condition_tests = frozenset({"contains", "answered"})

    def columns(self, question):
        return tuple(
            Column(f"{question.name}.{c.name}", question, choice=c) for c in question.choices
        )

    def value_labels(self, question, language=None):
        return {0: NOT_CHOSEN, 1: CHOSEN}

    def is_given(self, value):
        return _given(value) and str(value) != "0"

    def import_problem(self, value):
        return None if value in ("", "0", "1") else "must be 0, 1 or empty"

    def synthetic(self, question, count, rng):
        columns = question.columns()
        low = max(question.min_choices or 0, 1 if question.required else 0)
        high = question.max_choices if question.max_choices is not None else len(columns)
        how_many = rng.integers(low, high + 1, count)  # within the question's own bounds
        order = np.argsort(rng.random((count, len(columns))), axis=1).argsort(axis=1)
        chosen = order < how_many[:, None]
        return {c.name: chosen[:, i].astype(int) for i, c in enumerate(columns)}

    def widget(self, question):
        return "checkboxes"

    def fields(self, question, language):
        checks = []
        if question.required or question.min_choices or question.max_choices:
            low = question.min_choices or (1 if question.required else 0)
            high = question.max_choices or -1
            checks.append(
                validators.Length(min=low, max=high, message=_choices_message(low, high))
            )
        label = translate(question.label, language)
        choices = self._choices(question, language)
        return {question.name: ChoicesField(label, choices=choices, validators=checks)}

    def formdata_answers(self, question, formdata):
        return self._flags(question, formdata.getlist(question.name))

    def form_answers(self, form, question):
        return self._flags(question, form[question.name].data or [])

    def _flags(self, question, chosen) -> dict[str, int]:
        chosen = set(chosen)
        return {c.name: int(c.choice.name in chosen) for c in question.columns()}

    def answers_formdata(self, question, row):
        for column in question.columns():
            if str(row.get(column.name)) == "1":
                yield question.name, column.choice.name

    def failed_columns(self, form, question):
        return [c.name for c in question.columns()] if form[question.name].errors else []

    def example_formdata(self, question):
        return {question.name: [question.choices[0].name]}


def _choices_message(low: int, high: int) -> str:
    if high == -1:
        return f"Please choose at least {low}."
    if low == 0:
        return f"Please choose at most {high}."
    return f"Please choose between {low} and {high}."


def _item_columns(question: Question) -> tuple[Column, ...]:
    return tuple(Column(f"{question.name}.{i.name}", question, item=i) for i in question.items)


class Grid(_ChoiceType):
    """Items (statements) each answered with one choice of a shared scale."""

    name = "grid"
    keys = ("choices", "items", "required")
    has_items = True
    scale_grid = True

    def columns(self, question):
        return _item_columns(question)

    def synthetic(self, question, count, rng):
        return {c.name: self._picks(question, count, rng) for c in question.columns()}

    def fields(self, question, language):
        choices = self._choices(question, language)
        return {
            column.name: ChoiceRadioField(
                translate(column.item.label, language),
                choices=choices,
                validators=_presence(question),
            )
            for column in question.columns()
        }

    def example_formdata(self, question):
        return {c.name: question.choices[0].name for c in question.columns()}


class Rank(QuestionType):
    """An order of the items, 1 = first; one column per item holding its rank."""

    name = "rank"
    keys = ("items", "required")
    sql_type = int
    has_items = True
    condition_tests = EQUALITY_TESTS | {"answered", "min", "max"}

    def columns(self, question):
        return _item_columns(question)

    def value_labels(self, question, language=None):
        return {n: f"rank {n}" for n in range(1, len(question.items) + 1)}

    def synthetic(self, question, count, rng):
        ranks = np.argsort(rng.random((count, len(question.items))), axis=1) + 1
        return {c.name: ranks[:, position] for position, c in enumerate(question.columns())}

    def fields(self, question, language):
        ranks = [SelectChoice(str(n)) for n in range(1, len(question.items) + 1)]
        return {
            column.name: RankField(
                translate(column.item.label, language),
                choices=[SelectChoice("", "-")] + ranks,
                validators=_presence(question),
            )
            for column in question.columns()
        }

    def stored(self, value):
        return int(value)

    def failed_columns(self, form, question):
        columns = [c.name for c in question.columns()]
        return columns if any(form[name].errors for name in columns) else []

    def validate_page(self, form, question):
        fields = [form[c.name] for c in question.columns()]
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

    def example_formdata(self, question):
        return {c.name: str(n) for n, c in enumerate(question.columns(), 1)}


class Text(QuestionType):
    """Free text, one line or (`appearance: multiline`) several."""

    name = "text"
    keys = ("appearance", "max_length", "required")
    appearances = ("multiline",)
    open_text = True

    def default_max_length(self, appearance):
        return LONG_TEXT_CAP if appearance == "multiline" else TEXT_CAP

    def synthetic(self, question, count, rng):
        return {question.name: np.array([f"answer {i}" for i in range(count)], dtype=object)}

    def widget(self, question):
        return "textarea" if question.appearance == "multiline" else "text"

    def fields(self, question, language):
        cap = validators.Length(
            max=question.max_length,
            message=f"Please keep this under {question.max_length} characters.",
        )
        field = TextAreaField if question.appearance == "multiline" else StringField
        label = translate(question.label, language)
        # required: something besides spaces, which the filter strips
        presence = [validators.DataRequired(message=ANSWER_NEEDED)]
        checks = (presence if question.required else _presence(question)) + [cap]
        return {question.name: field(label, validators=checks, filters=[_strip])}

    def example_formdata(self, question):
        return {question.name: f"Answer to {question.name}"}


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


class _NumberType(QuestionType):
    """A number within optional bounds `min` and `max`; `inputmode` is the keyboard asked for."""

    keys = ("min", "max", "required")
    numeric = True
    condition_tests = EQUALITY_TESTS | {"answered", "min", "max"}
    field_class: type = NumberField
    inputmode = "decimal"

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


def _default_range(low, high, span):
    """Return bounds for synthetic numbers: the given ones, else 0 or `span` from the other."""
    if low is None:
        low = 0 if high is None or high >= 0 else high - span
    if high is None:
        high = low + span
    return low, high


def _number_bounds(question: Question) -> list:
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


class Note(QuestionType):
    """Text shown to the respondent; no answer and no column."""

    name = "note"
    keys = ()
    is_answer = False

    def columns(self, question):
        return ()


def parse_iso_date(value: Any) -> date | None:
    """Return the date an ISO text (YYYY-MM-DD) names, or None if it names none."""
    if isinstance(value, date):
        return None if isinstance(value, datetime) else value  # a date and time is not a date
    if not isinstance(value, str) or not ISO_DATE.match(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


class IsoDateField(StringField):
    """A date written YYYY-MM-DD, as an `<input type="date">` sends it."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or valuelist[0] == "":
            return
        if not str(valuelist[0]).strip():  # spaces only: no date (Optional clears this)
            raise ValueError(ANSWER_NEEDED)
        self.data = parse_iso_date(str(valuelist[0]))
        if self.data is None:
            raise ValueError(GIVE_A_DATE)

    def _value(self):
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if self.data else ""


class DateRange:
    """A validator: the date lies within the question's bounds, naming them if not."""

    def __init__(self, low: date | None, high: date | None):
        self.low, self.high = low, high
        if low is not None and high is not None:
            self.message = f"Please give a date from {low} to {high}."
        elif low is not None:
            self.message = f"Please give a date on or after {low}."
        else:
            self.message = f"Please give a date on or before {high}."

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise validators.ValidationError(self.message)


class Date(QuestionType):
    """A calendar date, stored as ISO text (YYYY-MM-DD), within optional `min` and `max`."""

    name = "date"
    keys = ("min", "max", "required")
    condition_tests = EQUALITY_TESTS | {"answered", "min", "max"}
    value_format = "ISO date (YYYY-MM-DD)"

    def read_bound(self, value):
        day = parse_iso_date(value)
        if day is None:
            shown = f", not {value!r}" if isinstance(value, str) else ""
            raise ValueError(f"must be a date such as {EXAMPLE_DATE}{shown}")
        return day

    def condition_operand(self, question, test, value):
        try:
            day = self.read_bound(value)
        except ValueError as error:
            raise ValueError(f"'{test}' {error}") from None
        return day if test in ("min", "max") else day.isoformat()

    def ordered(self, value):
        return parse_iso_date(value)

    def synthetic(self, question, count, rng):
        year = timedelta(days=364)
        low, high = question.min, question.max
        if low is None:
            low = high - year if high is not None else EXAMPLE_DATE.replace(month=1, day=1)
        high = high if high is not None else low + year
        days = rng.integers(0, (high - low).days + 1, count)
        dates = [(low + timedelta(days=int(n))).isoformat() for n in days]
        return {question.name: np.array(dates, dtype=object)}

    def fields(self, question, language):
        checks = _presence(question)
        if question.min is not None or question.max is not None:
            checks.append(DateRange(question.min, question.max))
        return {
            question.name: IsoDateField(translate(question.label, language), validators=checks)
        }

    def stored(self, value):
        return value.isoformat()

    def example_formdata(self, question):
        return {question.name: str(question.min or question.max or EXAMPLE_DATE)}


QUESTION_TYPES: dict[str, QuestionType] = {
    kind.name: kind
    for kind in (
        SelectOne(),
        SelectMultiple(),
        Grid(),
        Rank(),
        Text(),
        Integer(),
        Decimal(),
        Note(),
        Date(),
    )
}


def types_allowing(test: str) -> list[str]:
    """Return the names of the question types a condition test may read."""
    return [name for name, kind in QUESTION_TYPES.items() if test in kind.condition_tests]

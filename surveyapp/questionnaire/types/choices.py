"""Questions answered with choices of a list: select_one, select_multiple and grid."""

from __future__ import annotations

import math

import numpy as np
from wtforms import validators
from wtforms.fields import SelectChoice

from surveyapp.questionnaire.forms import (
    ChoiceRadioField,
    ChoiceSelectField,
    ChoicesField,
)
from surveyapp.questionnaire.model import Column, translate
from surveyapp.questionnaire.types.base import (
    CHOSEN,
    NOT_CHOSEN,
    QuestionType,
    _given,
    _item_columns,
    _presence,
)
from surveyapp.questionnaire.wording import _, ngettext


class _ChoiceType(QuestionType):
    """A type answered by picking among the question's choices."""

    has_choices = True

    def value_labels(self, question, language=None):
        return {c.name: translate(c.label, language) for c in question.choices}

    def value_codes(self, question):
        """Code each choice by its `value`, the number the analysis uses (Agree = 4).

        When no choice has a value and every name is a whole number ("5", "4"), the names
        are the codes. Otherwise a choice without a value is numbered, in choice order, from
        one above the largest value (from 1 when none has one): regions 1, 2, 3...; "Do not
        know" after Agree = 4 ... Disagree = 1 is 5.
        """
        values = [c.value for c in question.choices if c.value is not None]
        if not values and all(_whole_number(c.name) for c in question.choices):
            return {c.name: int(c.name) for c in question.choices}
        following = math.floor(max(values)) + 1 if values else 1
        codes = {}
        for choice in question.choices:
            if choice.value is None:
                codes[choice.name], following = following, following + 1
            else:
                codes[choice.name] = choice.value
        return codes

    def missing_values(self, question):
        return [c.name for c in question.choices if c.missing]

    def measure_of(self, question):
        """Ordinal when the choices carry values (a scale), else nominal."""
        return "ordinal" if any(c.value is not None for c in question.choices) else "nominal"

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
                choices=[SelectChoice("", _("Choose…"))] + choices,
                validators=_presence(question),
            )
        else:
            field = ChoiceRadioField(label, choices=choices, validators=_presence(question))
        return {question.name: field}

    def synthetic(self, question, count, rng):
        return {question.name: self._picks(question, count, rng)}

    def example_formdata(self, question):
        return {question.name: question.choices[0].name}

    def xlsform_rows(self, question, form, row, required):
        """Return a select_one row on the question's choice list (a dropdown: minimal)."""
        row = {**row, **required, "type": f"select_one {form.choice_list(question)}"}
        if question.appearance == "dropdown":
            row["appearance"] = "minimal"
        return [row]


class SelectMultiple(_ChoiceType):
    """Any number of choices of a list, as check boxes; one 0/1 column per choice."""

    name = "select_multiple"
    keys = ("choices", "min_choices", "max_choices", "required")
    sql_type = int
    condition_tests = frozenset({"contains", "answered"})

    def xlsform_rows(self, question, form, row, required):
        """Return a select_multiple row, with its bounds on the number chosen."""
        row = {**row, **required, "type": f"select_multiple {form.choice_list(question)}"}
        return [{**row, **form.count_constraint(question)}]

    def columns(self, question):
        return tuple(
            Column(f"{question.name}.{c.name}", question, choice=c) for c in question.choices
        )

    def value_labels(self, question, language=None):
        return {0: NOT_CHOSEN, 1: CHOSEN}

    def value_codes(self, question):
        return {0: 0, 1: 1}

    def missing_values(self, question):
        return []

    def measure_of(self, question):
        return "nominal"

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


def _whole_number(name: str) -> bool:
    """Whether a choice name is a whole number written plainly ("5", not "05")."""
    return name.isdigit() and str(int(name)) == name


def _choices_message(low: int, high: int):
    if high == -1:
        return ngettext("Please choose at least %(num)d.", "Please choose at least %(num)d.", low)
    if low == 0:
        return ngettext("Please choose at most %(num)d.", "Please choose at most %(num)d.", high)
    return _("Please choose between %(low)d and %(high)d.", low=low, high=high)


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

    items_are_questions = True

    def xlsform_rows(self, question, form, row, required):
        """Return a table-list group of one select_one per item, all on the scale's list."""
        scale = form.choice_list(question)
        rows = [{**row, "type": "begin group", "appearance": "table-list"}]
        for item, column in zip(question.items, question.columns(), strict=True):
            rows.append(
                {
                    "type": f"select_one {scale}",
                    "name": form.item_name(column.name),
                    **required,
                    **form.texts("label", item.label),
                    **form.texts("hint", item.hint),
                }
            )
        return [*rows, {"type": "end group", "name": row["name"]}]

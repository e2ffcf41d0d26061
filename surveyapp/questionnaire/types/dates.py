"""The date question: an ISO date (YYYY-MM-DD) stored as text, with optional bounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from wtforms import validators
from wtforms.fields import StringField

from surveyapp.questionnaire.forms import (
    ANSWER_NEEDED,
    UnreadableStops,
)
from surveyapp.questionnaire.model import translate
from surveyapp.questionnaire.types.base import (
    EQUALITY_TESTS,
    EXAMPLE_DATE,
    GIVE_A_DATE,
    ISO_DATE,
    QuestionType,
    _presence,
)
from surveyapp.questionnaire.wording import _


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


class IsoDateField(UnreadableStops, StringField):
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
            self.message = _("Please give a date from %(low)s to %(high)s.", low=low, high=high)
        elif low is not None:
            self.message = _("Please give a date on or after %(low)s.", low=low)
        else:
            self.message = _("Please give a date on or before %(high)s.", high=high)

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
    condition_tests = EQUALITY_TESTS | {"answered", "min", "max", "above", "below"}
    value_format = "ISO date (YYYY-MM-DD)"
    measure = "scale"

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
        return day if test in ("min", "max", "above", "below") else day.isoformat()

    def ordered(self, value):
        return parse_iso_date(value)

    def typed(self, values):
        return values.map(parse_iso_date, na_action="ignore")

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

    def xlsform_rows(self, question, form, row, required):
        """Return a date row, with its bounds as a constraint on dates."""
        return [{**row, **required, "type": "date", **form.bounds(question, dated=True)}]

"""The rank question: each item given a rank from 1, each rank used once."""

from __future__ import annotations

import numpy as np
from wtforms.fields import SelectChoice

from surveyapp.questionnaire.forms import (
    RankField,
)
from surveyapp.questionnaire.model import translate
from surveyapp.questionnaire.types.base import (
    EQUALITY_TESTS,
    QuestionType,
    _item_columns,
    _presence,
)
from surveyapp.questionnaire.wording import gettext, listed


class Rank(QuestionType):
    """An order of the items, 1 = first; one column per item holding its rank."""

    name = "rank"
    keys = ("items", "required")
    sql_type = int
    has_items = True
    condition_tests = EQUALITY_TESTS | {"answered", "min", "max", "above", "below"}
    measure = "ordinal"

    def xlsform_rows(self, question, form, row, required):
        """Return a rank row on the list of the items ranked."""
        entries = form.list_of(question, question.items, form.rank_names(question))
        return [{**row, **required, "type": f"rank {entries}"}]

    def columns(self, question):
        return _item_columns(question)

    def value_labels(self, question, language=None):
        return {n: f"rank {n}" for n in range(1, len(question.items) + 1)}

    def value_codes(self, question):
        return {n: n for n in range(1, len(question.items) + 1)}

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
        if len(given) != len(fields):
            fields[0].errors = list(fields[0].errors) + [
                gettext("Please give every item a rank, or none.")
            ]
            return False
        holders: dict[str, list] = {}  # by rank as given (a bad one is its field's error)
        for field in fields:
            holders.setdefault(str(field.data), []).append(field)
        valid = True
        for rank, sharing in sorted(holders.items(), key=lambda held: (len(held[0]), held[0])):
            if len(sharing) > 1:  # each item concerned gets the message, naming the others
                message = _rank_shared(rank, [field.label.text for field in sharing])
                for field in sharing:
                    field.errors = list(field.errors) + [message]
                valid = False
        return valid

    def example_formdata(self, question):
        return {c.name: str(n) for n, c in enumerate(question.columns(), 1)}


def _rank_shared(rank: str, items: list[str]) -> str:
    """Say which items share a rank: 'Rank 2 is given twice: to Health and Pensions.'"""
    named = listed(items, "and")
    if len(items) == 2:
        return gettext(
            "Please use each rank only once. Rank %(rank)s is given twice: to %(items)s.",
            rank=rank,
            items=named,
        )
    if len(items) == 3:
        return gettext(
            "Please use each rank only once. Rank %(rank)s is given three times: to %(items)s.",
            rank=rank,
            items=named,
        )
    return gettext(
        "Please use each rank only once. Rank %(rank)s is given %(count)d times: to %(items)s.",
        rank=rank,
        count=len(items),
        items=named,
    )

"""One description per question type: everything that depends on what a question asks.

A type says which definition keys apply to it, the export columns it fills and their SQL
type, the labels of its stored values, its form fields and how answers go between forms
and rows, what counts as an answer, how conditions read it, how an imported cell is
checked, synthetic answers, the template macro that shows it, and flags the analysis asks
(`single_choice`, `open_text`, ...). Everything else asks `question.kind`; nothing outside
this package compares type names or spells column ids.

To add a type: write a `QuestionType` subclass in a module of this package and register it
in `QUESTION_TYPES` below, add the macro its `widget` names to
`web/templates/respond/_questions.html`, and document it in `questionnaires/README.md`.
"""

from __future__ import annotations

from surveyapp.questionnaire.types.base import (
    CHOSEN,
    GIVE_A_DATE,
    NOT_CHOSEN,
    OPTIONAL_KEYS,
    QuestionType,
)
from surveyapp.questionnaire.types.choices import Grid, SelectMultiple, SelectOne
from surveyapp.questionnaire.types.dates import Date
from surveyapp.questionnaire.types.numbers import Decimal, Integer
from surveyapp.questionnaire.types.ranks import Rank
from surveyapp.questionnaire.types.texts import Note, Text

__all__ = [
    "CHOSEN",
    "GIVE_A_DATE",
    "NOT_CHOSEN",
    "OPTIONAL_KEYS",
    "QUESTION_TYPES",
    "QuestionType",
    "types_allowing",
]

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

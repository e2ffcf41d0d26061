"""The questionnaire model: plain dataclasses for surveys, pages, questions and columns."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from surveyapp.questionnaire.conditions import Condition
    from surveyapp.questionnaire.types import QuestionType

CRITERIA = ("relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability")

Text = dict[str, str]


class QuestionnaireError(Exception):
    """A questionnaire definition that cannot be used, naming the place that is wrong."""


def translate(text: Text | None, language: str | None = None) -> str:
    """Return a text in the given language, else in the questionnaire's first language."""
    if not text:
        return ""
    if language and language in text:
        return text[language]
    return next(iter(text.values()))


@dataclass(frozen=True)
class Choice:
    """One answer a respondent can pick; `missing` marks a non-substantive one."""

    name: str
    label: Text
    value: float | None = None
    missing: bool = False


@dataclass(frozen=True)
class Item:
    """One row of a grid or one thing to rank."""

    name: str
    label: Text
    hint: Text | None = None


@dataclass(frozen=True)
class Column:
    """One column of the response table and of the export.

    Parameters
    ----------
    name : str
        The column id: ``QUESTION``, ``QUESTION.ITEM`` or ``QUESTION.CHOICE``.
    question : Question
        The question whose answers the column holds.
    item, choice : Item or Choice, optional
        The grid or rank item, or the select_multiple choice, the column is for.
    """

    name: str
    question: Question
    item: Item | None = None
    choice: Choice | None = None

    @property
    def sql_type(self) -> type:
        """Return the Python type sqlite-utils maps to this column's SQL type."""
        return self.question.kind.sql_type

    def label(self, language: str | None = None) -> str:
        """Return the column's label: the question's, with the item's or choice's."""
        label = translate(self.question.label, language)
        part = self.item or self.choice
        return f"{label} - {translate(part.label, language)}" if part else label


@dataclass(frozen=True)
class Question:
    """One question of a page, as in an XLSForm survey row.

    Parameters
    ----------
    name : str
        The question id.
    type : str
        The name of its type, a key of ``surveyapp.questionnaire.types.QUESTION_TYPES``;
        ``kind`` is the type itself, which everything that depends on the type asks.
    label, hint : dict of language to text
    required : bool
    relevant : Condition, optional
        When the question is shown.
    choices, items : tuple
        Its choices (choice types) and items (grid, rank).
    appearance : str, optional
    min, max : number or date, optional
        Bounds of a number (integer, decimal) or a date.
    max_length, min_choices, max_choices : int, optional
    criterion : str, optional
        Analysis metadata: the evaluation criterion it informs.
    figure : int, optional
        Analysis metadata: the report figure a grid reproduces.
    """

    name: str
    type: str
    label: Text
    hint: Text | None = None
    required: bool = False
    relevant: Condition | None = None
    choices: tuple[Choice, ...] = ()
    items: tuple[Item, ...] = ()
    appearance: str | None = None
    min: float | date | None = None
    max: float | date | None = None
    max_length: int | None = None
    min_choices: int | None = None
    max_choices: int | None = None
    criterion: str | None = None
    figure: int | None = None

    @functools.cached_property
    def kind(self) -> QuestionType:
        """Return the question's type: what it asks, stores, shows and checks."""
        from surveyapp.questionnaire.types import QUESTION_TYPES

        return QUESTION_TYPES[self.type]

    def columns(self) -> tuple[Column, ...]:
        """Return the export columns this question fills."""
        return self._columns

    @functools.cached_property
    def _columns(self) -> tuple[Column, ...]:
        return self.kind.columns(self)

    def column_of(self, part: Item | Choice | str) -> Column:
        """Return the column of a grid or rank item, or of a select_multiple choice."""
        return self._parts[part if isinstance(part, str) else part.name]

    @functools.cached_property
    def _parts(self) -> dict[str, Column]:
        return {(c.item or c.choice).name: c for c in self.columns() if c.item or c.choice}

    def choice(self, name: str) -> Choice | None:
        """Return the choice with this name, or None."""
        return next((c for c in self.choices if c.name == name), None)

    @property
    def multiline(self) -> bool:
        """Whether the question takes long text."""
        return self.appearance == "multiline"


@dataclass(frozen=True)
class Page:
    """One page of the questionnaire, submitted at once."""

    name: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None


@dataclass(frozen=True)
class Questionnaire:
    """A whole survey definition: pages of questions, with its schedule defaults."""

    id: str
    title: Text
    pages: tuple[Page, ...]
    languages: tuple[str, ...] = ("en",)
    description: Text | None = None
    opens: datetime | None = None
    closes: datetime | None = None
    open_link: bool = False
    version: str = ""
    definition: dict = field(default_factory=dict, compare=False, repr=False)
    path: str = ""

    @property
    def questions(self) -> list[Question]:
        """Return every question in page order."""
        return [q for page in self.pages for q in page.questions]

    def question(self, name: str) -> Question | None:
        """Return the question with this name, or None."""
        return next((q for q in self.questions if q.name == name), None)

    def columns(self) -> list[Column]:
        """Return every export column in questionnaire order."""
        return [column for q in self.questions for column in q.columns()]

    def column(self, name: str) -> Column | None:
        """Return the export column with this name, or None."""
        return next((c for c in self.columns() if c.name == name), None)

    def page_of(self, question_name: str) -> int:
        """Return the index of the page that holds a question."""
        for index, page in enumerate(self.pages):
            if any(q.name == question_name for q in page.questions):
                return index
        raise KeyError(question_name)

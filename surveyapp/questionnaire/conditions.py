"""Conditions on earlier answers that decide whether a question is shown (`relevant`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from surveyapp.questionnaire.model import translate
from surveyapp.questionnaire.types import QuestionType, types_allowing
from surveyapp.questionnaire.wording import N_, gettext, listed, quoted

TESTS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "answered",
    "min",
    "max",
    "above",
    "below",
)
COMBINATIONS = ("all", "any", "not")
# the tests that compare an answer with choice names
CHOICE_TESTS = ("equals", "not_equals", "in", "not_in", "contains")
# the tests that bound an ordered answer from below and from above: one of each may share a
# mapping ({question: years, min: 2, max: 10} is between 2 and 10)
LOWER, UPPER = ("min", "above"), ("max", "below")
BOUNDS = LOWER + UPPER


@dataclass(frozen=True)
class Condition:
    """A test on one earlier answer, or a combination of conditions.

    Parameters
    ----------
    test : str
        One of `TESTS` or `COMBINATIONS`.
    question : str, optional
        The question the test reads.
    column : str, optional
        The export column the test reads.
    operand : Any
        What the answer is compared with.
    parts : tuple of Condition
        The conditions a combination combines.
    kind : QuestionType, optional
        The type of the question read, which says what counts as an answer and how
        `min`, `max`, `above` and `below` compare; without it an answer is any non-empty
        value, compared as a number.
    """

    test: str
    question: str | None = None
    column: str | None = None
    operand: Any = None
    parts: tuple[Condition, ...] = ()
    kind: QuestionType | None = field(default=None, compare=False, repr=False)

    def questions(self) -> set[str]:
        """Return the names of the questions this condition reads."""
        if self.question:
            return {self.question}
        return set().union(*(part.questions() for part in self.parts))

    def holds(self, row: dict[str, Any]) -> bool:
        """Whether the condition is true for a row of answers keyed by export column."""
        if self.test == "all":
            return all(part.holds(row) for part in self.parts)
        if self.test == "any":
            return any(part.holds(row) for part in self.parts)
        if self.test == "not":
            return not self.parts[0].holds(row)
        value = row.get(self.column)
        if self.test == "contains":
            return str(value) == "1"
        if self.test == "answered":
            given = self.kind.is_given(value) if self.kind else value not in (None, "")
            return given == self.operand
        if value is None or value == "":
            return self.test in ("not_equals", "not_in")
        if self.test == "equals":
            return str(value) == self.operand
        if self.test == "not_equals":
            return str(value) != self.operand
        if self.test == "in":
            return str(value) in self.operand
        if self.test == "not_in":
            return str(value) not in self.operand
        ordered = self.kind.ordered(value) if self.kind else _number(value)
        if ordered is None:
            return False
        if self.test == "min":
            return ordered >= self.operand
        if self.test == "max":
            return ordered <= self.operand
        if self.test == "above":
            return ordered > self.operand
        return ordered < self.operand


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _not_applicable(test: str, kind: QuestionType, name: str) -> str:
    if test in ("equals", "not_equals", "in", "not_in") and "contains" in kind.condition_tests:
        return f"use 'contains' for the {kind.name} question '{name}'"
    *others, last = types_allowing(test)
    return f"'{test}' applies to a {', '.join(others) + ' or ' if others else ''}{last} question"


def parse_condition(raw: Any, earlier: dict) -> Condition:
    """Build a Condition from its YAML form, checking it names earlier questions and choices."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError("a condition must be a mapping such as {question: office, equals: hq}")
    combination = [key for key in COMBINATIONS if key in raw]
    if combination:
        if len(raw) != 1:
            raise ValueError(f"'{combination[0]}' must stand alone in its mapping")
        key = combination[0]
        if key == "not":
            return Condition("not", parts=(parse_condition(raw["not"], earlier),))
        if not isinstance(raw[key], list) or not raw[key]:
            raise ValueError(f"'{key}' needs a non-empty list of conditions")
        return Condition(key, parts=tuple(parse_condition(p, earlier) for p in raw[key]))
    column = raw.get("question")
    if not isinstance(column, str):
        raise ValueError("a condition needs 'question' naming an earlier question")
    name, _, item = column.partition(".")
    question = earlier.get(name)
    if question is None:
        raise ValueError(f"'{name}' is not an earlier question")
    kind = question.kind
    if item and not any(i.name == item for i in question.items):
        raise ValueError(f"'{item}' is not an item of question '{name}'")
    if kind.has_items and not item and raw.keys() - {"question", "answered"}:
        raise ValueError(f"name an item of '{name}', as {name}.ITEM")
    tests = [key for key in raw if key != "question"]
    if _between(tests):  # a lower and an upper bound: both hold
        parts = [parse_condition({"question": column, t: raw[t]}, earlier) for t in tests]
        low, high = sorted(parts, key=lambda part: part.test not in LOWER)
        if low.operand > high.operand:
            raise ValueError(
                f"'{low.test}' {low.operand} is greater than '{high.test}' {high.operand}:"
                " the condition never holds"
            )
        return Condition("all", parts=tuple(parts))
    if len(tests) != 1 or tests[0] not in TESTS:
        raise ValueError(
            f"a condition needs exactly one test of {', '.join(TESTS)}"
            " (or a lower bound, min or above, with an upper bound, max or below)"
        )
    test = tests[0]
    if test not in kind.condition_tests:
        raise ValueError(_not_applicable(test, kind, name))
    operand = raw[test]
    column = question.column_of(item).name if item else name
    if test in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            raise ValueError(f"'{test}' needs a non-empty list of choices")
        operand = tuple(kind.condition_operand(question, test, o) for o in operand)
    elif test == "answered":
        if not isinstance(operand, bool):
            raise ValueError("'answered' must be true or false")
    else:
        operand = kind.condition_operand(question, test, operand)
    # contains reads the choice's column; a choice the list lacks has none: the test reads
    # the question's name, which a select_multiple does not fill, and never holds
    if test == "contains" and question.choice(operand) is not None:
        column = question.column_of(operand).name
    columns = [c.name for c in question.columns()]
    if test == "answered" and not item and columns not in ([], [name]):
        # answered when any column is, as its type counts answers: a grid choice may be
        # named "0", unlike an unticked box
        answered = Condition(
            "any",
            parts=tuple(
                Condition("answered", question=name, column=c, operand=True, kind=kind)
                for c in columns
            ),
        )
        return answered if operand else Condition("not", parts=(answered,))
    return Condition(test, question=name, column=column, operand=operand, kind=kind)


def unknown_choices(condition: Condition, question_of) -> list[tuple[str, str]]:
    """Return (question, value) for each value compared with a choice its question lacks.

    Such a test is kept (KoboToolbox and ODK accept it: an XLSForm may name a choice its
    list has lost): no answer is that value, so `equals` and `in` never hold for it and
    `not_equals` and `not_in` always do. `surveyapp check` warns of each, a typo perhaps.
    """
    if condition.test in COMBINATIONS:
        return [found for part in condition.parts for found in unknown_choices(part, question_of)]
    if condition.test not in CHOICE_TESTS or not condition.kind.has_choices:
        return []
    question = question_of(condition.question)
    values = condition.operand if condition.test in ("in", "not_in") else (condition.operand,)
    return [(question.name, v) for v in values if question.choice(v) is None]


def _between(tests: list[str]) -> bool:
    """Whether a mapping's tests are one lower bound and one upper bound."""
    return (
        len(tests) == 2
        and sum(t in LOWER for t in tests) == 1
        and sum(t in UPPER for t in tests) == 1
    )


def describe(condition: Condition, question_of, language: str | None = None) -> str:
    """Return a condition in words, as it ends "Only if ...": 'you chose “Other”'.

    `question_of` maps a question name to the question (for its label and its choices').
    Labels are in `language`; the words around them in the respondent's (`wording`).
    """
    return _phrase(condition, question_of, language, True)


def _phrase(condition: Condition, question_of, language, positive: bool) -> str:
    test = condition.test
    if test == "not":
        return _phrase(condition.parts[0], question_of, language, not positive)
    if test in COMBINATIONS:
        answered = _answered_question(condition)
        if answered is not None:  # {question: grid, answered: true} reads every item
            label = translate(question_of(answered).label, language)
            return _answered(label, positive == (test == "any"))
        phrases = [_phrase(p, question_of, language, positive) for p in condition.parts]
        joined = phrases[0]
        for phrase in phrases[1:]:
            if positive == (test == "all"):
                joined = gettext("%(one)s and %(other)s", one=joined, other=phrase)
            else:
                joined = gettext("%(one)s or %(other)s", one=joined, other=phrase)
        return joined
    question = question_of(condition.question)
    item = condition.column.partition(".")[2] if question.kind.has_items else ""
    if test == "answered":
        return _answered(_label(question, item, language), positive == condition.operand)
    label = quoted(_label(question, item, language))
    if test in BOUNDS:
        bound = condition.operand
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        relation = _RELATIONS[test, positive][isinstance(bound, date)]
        return gettext(relation, question=label, bound=bound)
    if test == "contains":
        values = (condition.operand,)
        positive_test = True
    else:
        values = condition.operand if test in ("in", "not_in") else (condition.operand,)
        positive_test = test in ("equals", "in")
    chosen = positive_test == positive
    if question.kind.has_choices:
        names = [quoted(_choice_label(question, v, language)) for v in values]
        if chosen:
            if item:
                return gettext(
                    "you chose %(choices)s for %(item)s", choices=listed(names, "or"), item=label
                )
            return gettext("you chose %(choices)s", choices=listed(names, "or"))
        if len(names) == 1:
            if item:
                return gettext(
                    "you did not choose %(choice)s for %(item)s", choice=names[0], item=label
                )
            return gettext("you did not choose %(choice)s", choice=names[0])
        head, last = ", ".join(names[:-1]), names[-1]
        if item:
            return gettext(
                "you chose neither %(choices)s nor %(last)s for %(item)s",
                choices=head,
                last=last,
                item=label,
            )
        return gettext("you chose neither %(choices)s nor %(last)s", choices=head, last=last)
    said = listed([quoted(v) for v in values], "or")
    if chosen:
        return gettext("your answer to %(question)s is %(values)s", question=label, values=said)
    return gettext("your answer to %(question)s is not %(values)s", question=label, values=said)


# (test, holds) -> how a number and a date relate to the bound, in words
_AT_LEAST = (
    N_("your answer to %(question)s is at least %(bound)s"),
    N_("your answer to %(question)s is on or after %(bound)s"),
)
_LESS = (
    N_("your answer to %(question)s is less than %(bound)s"),
    N_("your answer to %(question)s is before %(bound)s"),
)
_AT_MOST = (
    N_("your answer to %(question)s is at most %(bound)s"),
    N_("your answer to %(question)s is on or before %(bound)s"),
)
_MORE = (
    N_("your answer to %(question)s is more than %(bound)s"),
    N_("your answer to %(question)s is after %(bound)s"),
)
_RELATIONS = {
    ("min", True): _AT_LEAST,
    ("min", False): _LESS,
    ("max", True): _AT_MOST,
    ("max", False): _MORE,
    ("above", True): _MORE,
    ("above", False): _AT_MOST,
    ("below", True): _LESS,
    ("below", False): _AT_LEAST,
}


def _answered(label: str, yes: bool) -> str:
    if yes:
        return gettext("you answered %(question)s", question=quoted(label))
    return gettext("you did not answer %(question)s", question=quoted(label))


def _answered_question(condition: Condition) -> str | None:
    """The question whose every column an `answered` combination reads, if it is one."""
    parts = condition.parts
    if parts and all(p.test == "answered" and p.operand is True for p in parts):
        names = {p.question for p in parts}
        if len(names) == 1 and len(parts) > 1:
            return names.pop()
    return None


def _label(question, item: str, language) -> str:
    """Return the label of a question, or of its item (a grid's statement) if named."""
    return translate(question.column_of(item).item.label if item else question.label, language)


def _choice_label(question, name: str, language) -> str:
    choice = question.choice(name)
    return translate(choice.label, language) if choice else name

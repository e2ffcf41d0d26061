"""Conditions on earlier answers that decide whether a question is shown (`relevant`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TESTS = ("equals", "not_equals", "in", "not_in", "contains", "answered", "min", "max")
COMBINATIONS = ("all", "any", "not")


@dataclass(frozen=True)
class Condition:
    """A test on one earlier answer, or a combination of conditions."""

    test: str
    question: str | None = None
    column: str | None = None
    operand: Any = None
    parts: tuple[Condition, ...] = ()

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
        if self.test == "contains":
            return str(row.get(f"{self.column}.{self.operand}")) == "1"
        if self.test == "answered":
            prefix = f"{self.column}."
            given = row.get(self.column) not in (None, "") or any(
                key.startswith(prefix) and str(value) not in ("None", "", "0")
                for key, value in row.items()
            )
            return given == self.operand
        value = row.get(self.column)
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
        try:
            number = float(value)
        except ValueError:
            return False
        return number >= self.operand if self.test == "min" else number <= self.operand


def _choice(question, name: Any) -> str:
    if isinstance(name, bool) or not isinstance(name, str | int | float):
        raise ValueError(f"compare with a choice name or a number, not {name!r}")
    name = str(name)
    if question.type in ("select_one", "select_multiple", "grid") and not question.choice(name):
        raise ValueError(f"'{name}' is not a choice of question '{question.name}'")
    return name


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
    if item and not any(i.name == item for i in question.items):
        raise ValueError(f"'{item}' is not an item of question '{name}'")
    if question.type in ("grid", "rank") and not item and raw.keys() - {"question", "answered"}:
        raise ValueError(f"name an item of '{name}', as {name}.ITEM")
    tests = [key for key in raw if key != "question"]
    if len(tests) != 1 or tests[0] not in TESTS:
        raise ValueError(f"a condition needs exactly one test of {', '.join(TESTS)}")
    test = tests[0]
    operand = raw[test]
    if test in ("equals", "not_equals"):
        operand = _choice(question, operand)
    elif test in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            raise ValueError(f"'{test}' needs a non-empty list of choices")
        operand = tuple(_choice(question, o) for o in operand)
    elif test == "contains":
        if question.type != "select_multiple":
            raise ValueError("'contains' applies to a select_multiple question")
        operand = _choice(question, operand)
    elif test == "answered":
        if not isinstance(operand, bool):
            raise ValueError("'answered' must be true or false")
    elif question.type not in ("integer", "decimal", "rank"):
        raise ValueError(f"'{test}' applies to a number or rank question")
    elif isinstance(operand, bool) or not isinstance(operand, int | float):
        raise ValueError(f"'{test}' must be a number")
    if test in ("equals", "not_equals", "in", "not_in") and question.type == "select_multiple":
        raise ValueError(f"use 'contains' for the select_multiple question '{name}'")
    if test == "answered" and question.type in ("grid", "rank") and not item:
        # answered when any item is: a grid choice may be named "0", unlike an unticked box
        answered = Condition(
            "any",
            parts=tuple(
                Condition("answered", question=name, column=f"{name}.{i.name}", operand=True)
                for i in question.items
            ),
        )
        return answered if operand else Condition("not", parts=(answered,))
    return Condition(test, question=name, column=column, operand=operand)

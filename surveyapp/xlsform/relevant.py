"""XLSForm `relevant` expressions read as the questionnaire's conditions, and written back.

The subset read: `${q} = 'x'`, `${q} != 'x'`, `selected(${q}, 'x')`, comparisons with a
number or a date (`${age} >= 18`, `${day} < date('2026-01-31')`), `${q} = ''` and
`${q} != ''` (not answered, answered), `count-selected(${q}) > 0` (= 0), `and`, `or`,
`not(...)` and parentheses; quotes ' or " (or the "smart" quotes a spreadsheet may put in,
as pyxform reads them). A small recursive-descent parser reads it (or < and < not and
comparisons); nothing is evaluated. Anything else raises `XLSFormError` quoting the part
that is not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from surveyapp.xlsform.errors import XLSFormError

# comparison operator -> (its test, the test when the sides are swapped)
_TESTS = {
    "=": "equals",
    "!=": "not_equals",
    ">=": "min",
    "<=": "max",
    ">": "above",
    "<": "below",
}
_SWAPPED = {"=": "=", "!=": "!=", ">=": "<=", "<=": ">=", ">": "<", "<": ">"}
_OPERATORS = {test: operator for operator, test in _TESTS.items()}
LOWER, UPPER = ("min", "above"), ("max", "below")
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{[^}]*\})
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+))
    | (?P<operator>!=|>=|<=|=|>|<)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][\w:.-]*)
    | (?P<other>\S+?)(?=\s|$|[$'"(),=!<>])
    )""",
    re.VERBOSE,
)
# "smart" quotes a spreadsheet put in, read as plain ones (as pyxform does)
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ARITHMETIC = {"+", "-", "*", "div", "mod", "|"}
SUPPORTED = (
    "${q} = 'x', ${q} != 'x', selected(${q}, 'x'), ${q} >= 18 (>, <, <=), ${q} = '' (!= ''),"
    " count-selected(${q}) > 0, and, or, not(...), parentheses"
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int


def to_condition(
    expression: str, names: dict[str, str] | None = None, types: dict[str, str] | None = None
) -> dict | None:
    """Return an XLSForm `relevant` expression as a YAML condition, or None when it is blank.

    `names` maps a question name as the form writes it to its id in the questionnaire;
    `types` (optional) maps it to its XLSForm type, so that `selected()` of a select_one
    reads as `equals`. Raises XLSFormError quoting the part that is not supported.
    """
    if expression is None or not str(expression).strip():
        return None
    return _Parser(str(expression), names or {}, types or {}).parse()


class _Parser:
    """Reads one expression; each method reads one level of precedence."""

    def __init__(self, expression: str, names: dict[str, str], types: dict[str, str]):
        self.expression = expression.translate(SMART_QUOTES)
        self.names, self.types = names, types
        self.tokens = _tokens(self.expression)
        self.position = 0

    # where we are

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error(None, "the expression ends too early")
        self.position += 1
        return token

    def expect(self, text: str) -> _Token:
        token = self.peek()
        if token is None or token.text != text:
            raise self.error(token, f"'{text}' expected here")
        return self.take()

    def error(self, token: _Token | None, why: str, whole: bool = False) -> XLSFormError:
        """Return the error quoting the part of the expression at `token` (all if None).

        With `whole`, the part runs from `token` to the last token read: a comparison.
        """
        expression = self.expression.strip()
        if token is None:
            return XLSFormError(f'"{expression}" is not supported: {why}')
        part = self.part(token)
        if whole and self.position > 0:
            last = self.tokens[self.position - 1]
            part = self.expression[token.start : last.start + len(last.text)]
        if part == expression:
            return XLSFormError(f'"{expression}" is not supported: {why}')
        return XLSFormError(f'"{part}" is not supported in "{expression}": {why}')

    def part(self, token: _Token) -> str:
        """Return a token's text, with its parenthesised arguments when it is a function."""
        index = self.tokens.index(token)
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if token.kind != "word" or following is None or following.text != "(":
            return token.text
        depth = 0
        for closing in self.tokens[index + 1 :]:
            depth += {"(": 1, ")": -1}.get(closing.text, 0)
            if depth == 0:
                return self.expression[token.start : closing.start + 1]
        return self.expression[token.start :].strip()

    # the grammar

    def parse(self) -> dict:
        condition = self.or_expression()
        token = self.peek()
        if token is not None:
            why = "unbalanced ')'" if token.text == ")" else self.unexpected(token)
            raise self.error(token, why)
        return condition

    def or_expression(self) -> dict:
        parts = [self.and_expression()]
        while self.peek() is not None and self.peek().text == "or":
            self.take()
            parts.append(self.and_expression())
        return parts[0] if len(parts) == 1 else _any(parts)

    def and_expression(self) -> dict:
        parts = [self.unary()]
        while self.peek() is not None and self.peek().text == "and":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else _all(parts)

    def unary(self) -> dict:
        token = self.peek()
        if token is None:
            raise self.error(None, "the expression ends too early")
        if token.text == "not" and self.followed_by_parenthesis():
            self.take()
            self.expect("(")
            inner = self.or_expression()
            self.expect(")")
            return {"not": inner}
        if token.text == "(":
            self.take()
            inner = self.or_expression()
            if self.peek() is None:
                raise self.error(None, "a ')' is missing")
            self.expect(")")
            return inner
        if token.text == "selected" and self.followed_by_parenthesis():
            return self.selected()
        return self.comparison()

    def followed_by_parenthesis(self) -> bool:
        following = self.peek(1)
        return following is not None and following.text == "("

    def selected(self) -> dict:
        start = self.take()
        self.expect("(")
        question = self.operand()
        self.expect(",")
        choice = self.operand()
        self.expect(")")
        if question[0] != "question" or choice[0] not in ("text", "number"):
            raise self.error(start, "selected() takes a question and a choice name", True)
        name, original = question[1], question[2]
        if self.types.get(original) == "select_one":
            return {"question": name, "equals": str(choice[1])}
        return {"question": name, "contains": str(choice[1])}

    def comparison(self) -> dict:
        first = self.peek()
        left = self.operand()
        token = self.peek()
        if token is None or token.kind != "operator":
            if token is None:
                raise self.error(first, "a comparison such as ${q} = 'x' is expected")
            raise self.error(token, self.unexpected(token))
        operator = self.take().text
        right = self.operand()
        if left[0] != "question" and right[0] in ("question", "count"):
            left, right, operator = right, left, _SWAPPED[operator]
        if left[0] == "count":
            return self.count_test(first, left, operator, right)
        if left[0] != "question" or right[0] in ("question", "count"):
            raise self.error(
                first, "a comparison needs one question ${q} and one value such as 'x' or 18", True
            )
        name, original = left[1], left[2]
        kind, value = right[0], right[1]
        test = _TESTS[operator]
        if kind == "text" and value == "":
            if test not in ("equals", "not_equals"):
                raise self.error(first, "'' (no answer) is compared with = or != only", True)
            return {"question": name, "answered": test == "not_equals"}
        if test in ("equals", "not_equals"):
            if self.types.get(original) == "select_multiple":
                raise self.error(
                    first,
                    f"for a select_multiple question, use selected(${{{original}}}, 'x')",
                    True,
                )
            return {"question": name, test: value}
        if kind == "text":
            value = _number_or_date(value)
            if value is None:
                raise self.error(first, f"'{operator}' compares with a number or a date", True)
        return {"question": name, test: value}

    def count_test(self, first: _Token, count: tuple, operator: str, right: tuple) -> dict:
        """count-selected(${q}) > 0 (or >= 1, != 0) is answered; = 0 (or < 1) is not."""
        number = right[1] if right[0] == "number" else None
        answered = {(">", 0): True, (">=", 1): True, ("!=", 0): True}
        unanswered = {("=", 0): False, ("<", 1): False, ("<=", 0): False}
        given = {**answered, **unanswered}.get((operator, number))
        if given is None:
            raise self.error(
                first, "count-selected() is read only as count-selected(${q}) > 0 or = 0", True
            )
        return {"question": count[1], "answered": given}

    def operand(self) -> tuple:
        """Read a question ('question', id, name), a value ('text'|'number'|'date', value)."""
        token = self.take()
        if token.kind == "ref":
            original = token.text[2:-1].strip()
            if not original:
                raise self.error(token, "a question name is missing")
            return ("question", self.names.get(original, original), original)
        if token.kind == "string":
            return ("text", token.text[1:-1])
        if token.kind == "number":
            text = token.text
            return ("number", float(text) if "." in text else int(text))
        if token.kind == "word" and token.text in ("count-selected", "date"):
            if self.peek() is None or self.peek().text != "(":
                raise self.error(token, self.unexpected(token))
            self.take()
            inner = self.operand()
            self.expect(")")
            if token.text == "count-selected":
                if inner[0] != "question":
                    raise self.error(token, "count-selected() takes a question")
                return ("count", inner[1], inner[2])
            day = _number_or_date(inner[1]) if inner[0] == "text" else None
            if not isinstance(day, date):
                raise self.error(token, "date() takes a date written 'YYYY-MM-DD'")
            return ("date", day)
        raise self.error(token, self.unexpected(token))

    def unexpected(self, token: _Token) -> str:
        """Say why a token cannot stand where it is."""
        if token.text in _ARITHMETIC:
            return "arithmetic is not supported"
        index = self.tokens.index(token)
        following = self.tokens[index + 1].text if index + 1 < len(self.tokens) else ""
        if token.kind == "word" and following == "(":
            return f"the function {token.text}() is not supported; supported: {SUPPORTED}"
        if token.text.startswith("."):
            return "'.' (this question's own answer) is not supported in a condition"
        if token.kind == "word":
            return f"'{token.text}' is not understood; supported: {SUPPORTED}"
        return f"unexpected '{token.text}'; supported: {SUPPORTED}"


def _tokens(expression: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:  # only spaces left
            break
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _number_or_date(text: str) -> Any:
    """Return a quoted bound as a number or a date, or None if it is neither."""
    text = text.strip()
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return None


def _any(parts: list[dict]) -> dict:
    """`or` of parts; `or` of equals on one question is `in`."""
    if _one_question(parts, "equals"):
        return {"question": parts[0]["question"], "in": [p["equals"] for p in parts]}
    return {"any": parts}


def _all(parts: list[dict]) -> dict:
    """`and` of parts; `and` of not_equals on one question is `not_in`, two bounds between."""
    if _one_question(parts, "not_equals"):
        return {"question": parts[0]["question"], "not_in": [p["not_equals"] for p in parts]}
    if len(parts) == 2 and parts[0].get("question") == parts[1].get("question"):
        lower = [p for p in parts if any(_single(p, t) for t in LOWER)]
        upper = [p for p in parts if any(_single(p, t) for t in UPPER)]
        if len(lower) == 1 and len(upper) == 1:
            return {**lower[0], **upper[0]}
    return {"all": parts}


def _one_question(parts: list[dict], test: str) -> bool:
    """Whether every part is `test` alone on one and the same question."""
    return all(_single(p, test) for p in parts) and len({p["question"] for p in parts}) == 1


def _single(condition: dict, test: str) -> bool:
    return set(condition) == {"question", test}


def from_condition(condition: dict, names: dict[str, str] | None = None) -> str:
    """Return a YAML condition as an XLSForm `relevant` expression that pyxform accepts.

    `names` maps a question id (or a column, `grid.item`) to the name the form uses.
    `to_condition` reads the expression back as the same condition (`in` of one choice
    as `equals`, and so on: see `questionnaires/README.md`).
    """
    return _Writer(names or {}).write(condition)[0]


class _Writer:
    """Writes conditions; each `write` says whether the text joins parts with and/or."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def write(self, condition: dict) -> tuple[str, bool]:
        """Return the expression and whether it is a list joined by `and` or `or`."""
        if not isinstance(condition, dict) or not condition:
            raise XLSFormError(f"{condition!r} is not a condition")
        if "not" in condition:
            return f"not({self.write(condition['not'])[0]})", False
        for key, joint in (("all", " and "), ("any", " or ")):
            if key in condition:
                return joint.join(self.part(p) for p in condition[key]), True
        question = self.reference(condition["question"])
        tests = [key for key in condition if key != "question"]
        if len(tests) == 2:  # between two bounds
            return " and ".join(self.test(question, t, condition[t]) for t in tests), True
        test = tests[0]
        operand = condition[test]
        if test in ("in", "not_in"):
            joint, operator = (" or ", "=") if test == "in" else (" and ", "!=")
            texts = [f"{question} {operator} {_value(v)}" for v in operand]
            return joint.join(texts), len(texts) > 1
        return self.test(question, test, operand), False

    def part(self, condition: dict) -> str:
        text, joined = self.write(condition)
        return f"({text})" if joined else text

    def reference(self, column: str) -> str:
        return "${" + self.names.get(column, column) + "}"

    def test(self, question: str, test: str, operand: Any) -> str:
        if test == "contains":
            return f"selected({question}, {_value(str(operand))})"
        if test == "answered":
            return f"{question} != ''" if operand else f"{question} = ''"
        if test not in _OPERATORS:
            raise XLSFormError(f"the test '{test}' has no XLSForm expression")
        return f"{question} {_OPERATORS[test]} {_value(operand)}"


def _value(value: Any) -> str:
    """Return a value as an XLSForm literal: 'text', 18, 2.5, date('2026-01-31')."""
    if isinstance(value, bool):
        raise XLSFormError(f"{value!r} is not a value a condition compares with")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"date('{value.isoformat()[:10]}')"
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise XLSFormError(f"{text!r} has both kinds of quotes, which XLSForm cannot write")

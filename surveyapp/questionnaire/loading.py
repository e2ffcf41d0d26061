"""Loading questionnaire definitions from YAML, validated with messages that name the place."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from surveyapp.questionnaire.conditions import parse_condition, unknown_choices
from surveyapp.questionnaire.model import (
    CRITERIA,
    Choice,
    Item,
    Page,
    Question,
    Questionnaire,
    QuestionnaireError,
    Text,
)
from surveyapp.questionnaire.types import OPTIONAL_KEYS, QUESTION_TYPES

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
CHOICE_NAME = re.compile(r"([a-z][a-z0-9_]*|-?\d+)\Z")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\Z")
# The name a page, question, item or choice had in the XLSForm it was imported from, when it
# was not a valid id: kept for export, ignored otherwise.
XLSFORM_NAME = "xlsform_name"


class _Reader:
    """Reads one definition file, raising errors that name the file and question."""

    def __init__(self, path: str):
        self.path = path
        self.where = ""
        self.languages: tuple[str, ...] = ("en",)

    def fail(self, message: str):
        place = f"{self.path}: {self.where}: " if self.where else f"{self.path}: "
        raise QuestionnaireError(place + message)

    def mapping(self, value: Any, what: str, allowed: set[str], required=()) -> dict:
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping, not {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            self.fail(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        for key in required:
            if value.get(key) in (None, "", [], {}):
                self.fail(f"'{key}' is missing")
        return value

    def name(self, value: Any, what: str, pattern=NAME) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(f"{what} must be a name, not {value!r}")
        value = str(value)
        if not pattern.match(value):
            self.fail(f"{what} {value!r} must be lower-case letters, digits and _")
        return value

    def text(self, value: Any, what: str, optional=False) -> Text | None:
        if value is None and optional:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            if str(value).strip():
                return {self.languages[0]: str(value)}
        elif isinstance(value, dict) and value:
            if self.languages[0] not in value:
                self.fail(f"{what} has no text in '{self.languages[0]}'")
            for lang, text in value.items():
                if lang not in self.languages:
                    self.fail(f"{what} is in '{lang}', which is not in 'languages'")
                if not isinstance(text, str) or not text.strip():
                    self.fail(f"{what} in '{lang}' must be non-empty text")
            return {lang: value[lang] for lang in self.languages if lang in value}
        self.fail(f"{what} must be non-empty text or a mapping of language to text")

    def boolean(self, value: Any, what: str) -> bool:
        if not isinstance(value, bool):
            self.fail(f"{what} must be true or false, not {value!r}")
        return value

    def number(self, value: Any, what: str, integer=False) -> float | int | None:
        if value is None:
            return None
        ok = int if integer else int | float
        if isinstance(value, bool) or not isinstance(value, ok):
            self.fail(f"{what} must be {'a whole number' if integer else 'a number'}")
        return value

    def moment(self, value: Any, what: str) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                self.fail(f"{what} must be a date such as 2026-11-02, not {value!r}")
        if isinstance(value, datetime):
            return value.replace(tzinfo=value.tzinfo or UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        self.fail(f"{what} must be a date such as 2026-11-02")

    def unique(self, names: list[str], what: str):
        seen = set()
        for name in names:
            if name in seen:
                self.fail(f"{what} '{name}' appears twice")
            seen.add(name)


def _read_choices(reader: _Reader, raw: Any, lists: dict[str, tuple[Choice, ...]]):
    if isinstance(raw, str):
        if raw not in lists:
            reader.fail(f"choices '{raw}' is not a list in 'choice_lists'")
        return lists[raw]
    if not isinstance(raw, list) or not raw:
        reader.fail("choices must be a list name or a non-empty list")
    choices = []
    for entry in raw:
        entry = reader.mapping(
            entry,
            "a choice",
            {"name", "label", "value", "missing", XLSFORM_NAME},
            ("name", "label"),
        )
        name = reader.name(entry["name"], "choice name", CHOICE_NAME)
        choices.append(
            Choice(
                name=name,
                label=reader.text(entry["label"], f"label of choice '{name}'"),
                value=reader.number(entry.get("value"), f"value of choice '{name}'"),
                missing=reader.boolean(entry.get("missing", False), "missing"),
            )
        )
    reader.unique([c.name for c in choices], "choice")
    return tuple(choices)


def _read_items(reader: _Reader, raw: Any) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        reader.fail("items must be a non-empty list")
    items = []
    for entry in raw:
        entry = reader.mapping(
            entry, "an item", {"name", "label", "hint", XLSFORM_NAME}, ("name", "label")
        )
        name = reader.name(entry["name"], "item name")
        items.append(
            Item(
                name=name,
                label=reader.text(entry["label"], f"label of item '{name}'"),
                hint=reader.text(entry.get("hint"), f"hint of item '{name}'", optional=True),
            )
        )
    reader.unique([i.name for i in items], "item")
    return tuple(items)


QUESTION_KEYS = {"name", "type", "label", "hint", "relevant", "criterion", "figure", XLSFORM_NAME}
QUESTION_KEYS |= set(OPTIONAL_KEYS)


def _bound(reader: _Reader, kind, raw: dict, key: str):
    if raw.get(key) is None:
        return None
    try:
        return kind.read_bound(raw[key])
    except ValueError as error:
        reader.fail(f"{key} {error}")


def _read_question(reader: _Reader, raw: dict, lists, earlier: dict[str, Question]) -> Question:
    type_name = raw.get("type")
    kind = QUESTION_TYPES.get(type_name) if isinstance(type_name, str) else None
    if kind is None:
        reader.fail(f"type {type_name!r} is not one of {', '.join(QUESTION_TYPES)}")
    for key in OPTIONAL_KEYS:
        if key in raw and key not in kind.keys:
            reader.fail(f"'{key}' does not apply to a {kind.name} question")
    if kind.has_choices and "choices" not in raw:
        reader.fail(f"a {kind.name} question needs 'choices'")
    if kind.has_items and "items" not in raw:
        reader.fail(f"a {kind.name} question needs 'items'")
    appearance = raw.get("appearance")
    if appearance is not None and appearance not in kind.appearances:
        reader.fail(f"appearance {appearance!r} is not one of {', '.join(kind.appearances)}")
    low, high = _bound(reader, kind, raw, "min"), _bound(reader, kind, raw, "max")
    if low is not None and high is not None and low > high:
        reader.fail(f"min {low} is greater than max {high}")
    max_length = reader.number(raw.get("max_length"), "max_length", integer=True)
    if max_length is not None and not 1 <= max_length <= 100_000:
        reader.fail("max_length must be between 1 and 100000")
    criterion = raw.get("criterion")
    if criterion is not None and criterion not in CRITERIA:
        reader.fail(f"criterion {criterion!r} is not one of {', '.join(CRITERIA)}")
    choices = _read_choices(reader, raw["choices"], lists) if kind.has_choices else ()
    min_choices = reader.number(raw.get("min_choices"), "min_choices", integer=True)
    max_choices = reader.number(raw.get("max_choices"), "max_choices", integer=True)
    for bound, what in ((min_choices, "min_choices"), (max_choices, "max_choices")):
        if bound is not None and not 0 <= bound <= len(choices):
            reader.fail(f"{what} must be between 0 and the number of choices")
    if min_choices is not None and max_choices is not None and min_choices > max_choices:
        reader.fail(f"min_choices {min_choices} is greater than max_choices {max_choices}")
    relevant = None
    if "relevant" in raw:
        try:
            relevant = parse_condition(raw["relevant"], earlier)
        except ValueError as error:
            reader.fail(f"relevant: {error}")
    return Question(
        name=raw["name"],
        type=kind.name,
        label=reader.text(raw.get("label"), "label"),
        hint=reader.text(raw.get("hint"), "hint", optional=True),
        required=reader.boolean(raw.get("required", False), "required"),
        relevant=relevant,
        choices=choices,
        items=_read_items(reader, raw["items"]) if kind.has_items else (),
        appearance=appearance,
        min=low,
        max=high,
        max_length=max_length or kind.default_max_length(appearance),
        min_choices=min_choices,
        max_choices=max_choices,
        criterion=criterion,
        figure=reader.number(raw.get("figure"), "figure", integer=True),
    )


SURVEY_KEYS = {
    "id",
    "title",
    "description",
    "languages",
    "opens",
    "closes",
    "open_link",
    "choice_lists",
    "pages",
}
PAGE_KEYS = {"name", "title", "intro", "questions", "criterion", XLSFORM_NAME}


def parse_questionnaire(raw: Any, path: str = "<definition>") -> Questionnaire:
    """Build a validated Questionnaire from a parsed YAML document."""
    reader = _Reader(path)
    raw = reader.mapping(raw, "the definition", SURVEY_KEYS, ("id", "title", "pages"))
    languages = raw.get("languages", ["en"])
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) and LANGUAGE.match(x) for x in languages)
    ):
        reader.fail("languages must be a list of language codes such as [en, fr]")
    reader.unique(languages, "language")
    reader.languages = tuple(languages)
    survey_id = reader.name(raw["id"], "id")
    lists = {}
    raw_lists = raw.get("choice_lists") or {}
    if not isinstance(raw_lists, dict):
        reader.fail("choice_lists must be a mapping of list name to choices")
    for list_name, choices in raw_lists.items():
        reader.where = f"choice list '{list_name}'"
        reader.name(list_name, "list name")
        lists[list_name] = _read_choices(reader, choices, {})
    reader.where = ""
    if not isinstance(raw["pages"], list):
        reader.fail("pages must be a list")
    pages, earlier = [], {}
    for number, raw_page in enumerate(raw["pages"], start=1):
        reader.where = f"page {number}"
        if isinstance(raw_page, dict) and raw_page.get("name") not in (None, ""):
            reader.where = f"page '{reader.name(raw_page['name'], 'page name')}'"
        raw_page = reader.mapping(raw_page, "a page", PAGE_KEYS, ("name", "questions"))
        page_name = reader.name(raw_page["name"], "page name")
        reader.where = f"page '{page_name}'"
        criterion = raw_page.get("criterion")
        if criterion is not None and criterion not in CRITERIA:
            reader.fail(f"criterion {criterion!r} is not one of {', '.join(CRITERIA)}")
        if not isinstance(raw_page["questions"], list):
            reader.fail("questions must be a list")
        questions = []
        for position, raw_question in enumerate(raw_page["questions"], start=1):
            reader.where = f"page '{page_name}', question {position}"
            if isinstance(raw_question, dict) and raw_question.get("name") not in (None, ""):
                reader.where = f"question '{reader.name(raw_question['name'], 'question name')}'"
            raw_question = reader.mapping(
                raw_question, "a question", QUESTION_KEYS, ("name", "type", "label")
            )
            name = reader.name(raw_question["name"], "question name")
            reader.where = f"question '{name}'"
            if name in earlier:
                reader.fail("this question name appears twice")
            question = _read_question(reader, raw_question, lists, earlier)
            earlier[name] = question
            questions.append(question)
        reader.where = f"page '{page_name}'"
        pages.append(
            Page(
                name=page_name,
                title=reader.text(raw_page.get("title", page_name), "title"),
                intro=reader.text(raw_page.get("intro"), "intro", optional=True),
                questions=tuple(questions),
            )
        )
    reader.where = ""
    if not pages:
        reader.fail("pages must hold at least one page")
    reader.unique([p.name for p in pages], "page")
    opens = reader.moment(raw.get("opens"), "opens")
    closes = reader.moment(raw.get("closes"), "closes")
    if opens and closes and opens >= closes:
        reader.fail("opens must be before closes")
    title = reader.text(raw["title"], "title")
    description = reader.text(raw.get("description"), "description", optional=True)
    open_link = reader.boolean(raw.get("open_link", False), "open_link")
    canonical = json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False)
    return Questionnaire(
        id=survey_id,
        title=title,
        description=description,
        languages=tuple(languages),
        pages=tuple(pages),
        opens=opens,
        closes=closes,
        open_link=open_link,
        version=hashlib.sha256(canonical.encode()).hexdigest()[:16],
        definition=raw,
        path=path,
    )


def questionnaire_warnings(questionnaire: Questionnaire) -> list[str]:
    """Return what is valid but likely a slip, naming its place: a condition's unknown choice."""
    warnings = []
    for question in questionnaire.questions:
        if question.relevant is None:
            continue
        for name, value in unknown_choices(question.relevant, questionnaire.question):
            choices = ", ".join(c.name for c in questionnaire.question(name).choices)
            warnings.append(
                f"question '{question.name}': relevant: '{value}' is not a choice of question"
                f" '{name}' ({choices}): no answer can be '{value}', so its test never finds it"
            )
    return warnings


class _SafeLoader(yaml.SafeLoader):
    """The safe loader, refusing an impossible date such as 2026-11-31 with its place."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date", node.start_mark
            ) from None


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLoader.construct_yaml_timestamp)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and validate one questionnaire file."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)  # noqa: S506
    except OSError as error:
        raise QuestionnaireError(f"{path}: cannot be read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise QuestionnaireError(f"{path}: is not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireError(f"{path}: {where}not valid YAML: {problem}") from None
    except (ValueError, TypeError, AttributeError) as error:  # a bad explicit tag: !!int x
        raise QuestionnaireError(f"{path}: not valid YAML: {error}") from None
    return parse_questionnaire(raw, str(path))


def load_questionnaires(folder: str | Path) -> dict[str, Questionnaire]:
    """Load every *.yaml questionnaire in a folder, keyed by survey id."""
    folder = Path(folder)
    if not folder.is_dir():
        raise QuestionnaireError(f"{folder}: the questionnaire folder does not exist")
    surveys: dict[str, Questionnaire] = {}
    for path in sorted(folder.glob("*.yaml")):
        questionnaire = load_questionnaire(path)
        if questionnaire.id in surveys:
            other = surveys[questionnaire.id].path
            raise QuestionnaireError(f"{path}: survey id '{questionnaire.id}' is used by {other}")
        surveys[questionnaire.id] = questionnaire
    if not surveys:
        raise QuestionnaireError(f"{folder}: holds no *.yaml questionnaire")
    return surveys

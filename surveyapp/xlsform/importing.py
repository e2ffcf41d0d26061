"""Importing an XLSForm: validated by pyxform, converted to the questionnaire format's mapping."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from surveyapp.questionnaire.loading import CHOICE_NAME, NAME, parse_questionnaire
from surveyapp.questionnaire.model import QuestionnaireError
from surveyapp.xlsform.errors import XLSFormError
from surveyapp.xlsform.kobomatrix import BEGIN as BEGIN_MATRIX
from surveyapp.xlsform.kobomatrix import END as END_MATRIX
from surveyapp.xlsform.kobomatrix import (
    MATRIX_LIST,
    expanded_workbook,
    has_matrix,
    matrix_rows,
    matrix_type,
)
from surveyapp.xlsform.reading import Row, Workbook, language_code, read_xlsform

# Types that carry no question: skipped with a note.
METADATA = {
    "start", "end", "today", "deviceid", "imei", "username", "audit", "subscriberid",
    "simserial", "phonenumber", "email", "start-geopoint", "background-audio",
}  # fmt: skip
SIMPLE = {"text": "text", "string": "text", "integer": "integer", "int": "integer",
          "decimal": "decimal", "date": "date", "note": "note"}  # fmt: skip
CHOICE_TYPES = {"select_one": "select_one", "select_multiple": "select_multiple", "rank": "rank"}
WHY = {
    "calculate": "a calculation has no equivalent in the questionnaire format",
    "hidden": "a hidden value has no equivalent in the questionnaire format",
    "range": "a range (slider) question is not supported; use an integer with min and max",
    "acknowledge": "an acknowledge question is not supported; use a select_one",
    "begin_repeat": "repeated groups are not supported",
    "geopoint": "locations are not supported",
    "gps": "locations are not supported",
    "geotrace": "locations are not supported",
    "geoshape": "locations are not supported",
    "barcode": "barcodes are not supported",
    "trigger": "triggers are not supported",
}
MEDIA = {"image", "photo", "audio", "video", "file", "background-audio", "signature"}
# The spellings of a select's type that pyxform reads (its aliases.select), longest first;
# old forms (pyxform's tutorial, kpi's fixtures) put `from` before the list's name.
_FROM = " from"
SELECT_COMMANDS = {
    "add select one prompt using": "select_one",
    "add select multiple prompt using": "select_multiple",
    "select all that apply" + _FROM: "select_multiple",
    "select one" + _FROM: "select_one",
    "select all that apply": "select_multiple",
    "select_multiple": "select_multiple",
    "select_one": "select_one",
    "select one": "select_one",
    "select1": "select_one",
}
SELECT = re.compile(r"(?P<command>" + "|".join(SELECT_COMMANDS) + r") (?P<list>\S+)"
                    r"( (?P<other>or specify other|or_other|or other))?\Z")  # fmt: skip
BEGIN, END = {"begin_group", "begin group"}, {"end_group", "end group"}
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Columns pyxform reads under another name.
ALIASES = {"caption": "label", "relevance": "relevant", "requiredmsg": "required_message",
           "constraining_message": "constraint_message", "list name": "list_name",
           "bind::relevant": "relevant", "bind::required": "required",
           "bind::constraint": "constraint", "bind::jr:constraintMsg": "constraint_message",
           "bind::jr:requiredMsg": "required_message", "bind::readonly": "read_only",
           "bind::calculate": "calculation", "control::appearance": "appearance"}  # fmt: skip
YES = {"yes", "true", "true()", "1"}
NO = {"no", "false", "false()", "0"}
NUMBER = r"-?\d+(?:\.\d+)?"
BOUND = re.compile(rf"\s*\.\s*(>=|<=|>|<)\s*({NUMBER})\s*\Z")
DATE_BOUND = re.compile(r"\s*\.\s*(>=|<=|>|<)\s*date\(\s*'(\d{4}-\d{2}-\d{2})'\s*\)\s*\Z")
COUNT_BOUND = re.compile(r"\s*count-selected\(\s*\.\s*\)\s*(>=|<=|>|<)\s*(\d+)\s*\Z")
# Columns read by the conversion or harmless to leave out.
KNOWN = {"type", "name", "label", "hint", "required", "required_message", "relevant",
         "constraint", "constraint_message", "appearance", "default", "list_name",
         "read_only", "readonly", "guidance_hint", "value", "score", "missing"}  # fmt: skip


@dataclass
class Node:
    """A survey sheet row that is a question, or a group with the rows it holds."""

    row: Row
    type: str
    list_name: str = ""
    or_other: bool = False
    children: list[Node] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Return the row's name as written."""
        return self.row.get("name")


def _type(row: Row) -> tuple[str, str, bool]:
    """Return a row's type, list name and whether it has `or_other` (pyxform's spellings)."""
    text = re.sub(r"\s+", " ", row.get("type").strip().lower())
    select = SELECT.match(text)
    if select:
        command = SELECT_COMMANDS[select.group("command")]
        return command, select.group("list"), bool(select.group("other"))
    words = re.sub(r"\Aselect (one|multiple) from file ", r"select_\1_from_file ", text).split(" ")
    if words == ["phone", "number"]:
        return "phone number", "", False
    if words[:2] in (["begin", "group"], ["end", "group"], ["begin", "repeat"], ["end", "repeat"]):
        words = [f"{words[0]}_{words[1]}", *words[2:]]
    other = words[-1] == "or_other" and len(words) == 3
    return words[0], (words[1] if len(words) > 1 else ""), other


def make_id(name: str, used: set[str], prefix: str = "q", pattern=NAME) -> str:
    """Return a valid lower-case id for a name, unused so far, and mark it used."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"[^a-z0-9_]+", "_", plain).strip("_") or prefix
    if not pattern.match(plain):
        plain = f"{prefix}_{plain}"
    candidate, number = plain, 2
    while candidate in used:
        candidate, number = f"{plain}_{number}", number + 1
    used.add(candidate)
    return candidate


def _plain_quotes(expression: str) -> str:
    """Return an expression with "smart" quotes made plain, as pyxform reads it."""
    return expression.translate(SMART_QUOTES)


def _validate(path: Path, workbook: Workbook, notes: list[str]) -> None:
    """Refuse a form that pyxform refuses, with pyxform's message.

    A form with Kobo matrices is validated as KoboToolbox compiles it, its matrices expanded.
    """
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    expanded = has_matrix(workbook)
    try:
        with tempfile.TemporaryDirectory() as folder:
            form = path
            if expanded:
                form = Path(folder) / f"{path.stem}.xlsx"
                expanded_workbook(workbook).save(form)
            convert(xlsform=str(form), warnings=warnings, validate=False)
    except Exception as error:  # noqa: BLE001 - pyxform's refusal, whatever its class
        message = str(error).strip() or type(error).__name__
        how = " (its Kobo matrices expanded as KoboToolbox does)" if expanded else ""
        raise XLSFormError(f"pyxform refuses the form{how}: {message}") from None
    notes.extend(f"pyxform: {w}" for w in warnings)


def _aliased(workbook: Workbook) -> Workbook:
    """Return the workbook with its columns under the names pyxform reads them by."""
    for sheet in ("survey", "choices"):
        for row in workbook.rows(sheet):
            row.cells = {ALIASES.get(k, k): v for k, v in row.cells.items()}
    return workbook


def _condition(expression: str, names: dict[str, str]):
    """Return the YAML condition of a `relevant` expression (helper 'conditions' module)."""
    from surveyapp.xlsform.relevant import to_condition

    return to_condition(expression, names=names)


class _Converter:
    """Turns the rows of one workbook into the questionnaire mapping, collecting notes."""

    def __init__(self, workbook: Workbook, notes: list[str]):
        self.book, self.notes = workbook, notes
        self.noted: set[str] = set()
        self.settings = (workbook.rows("settings") or [Row(2, {})])[0]
        self.languages = self._languages()
        self.question_ids: set[str] = set()
        self.page_ids: set[str] = set()
        self.names: dict[str, str] = {}  # XLSForm name -> column the conditions read
        self.kinds: dict[str, str] = {}  # question id -> type
        self.lists: dict[str, list[dict]] = {}
        self.list_ids: dict[str, str] = {}
        self.choice_ids: dict[str, dict[str, str]] = {}  # list -> XLSForm choice name -> id
        self.used_lists: dict[str, list[dict]] = {}
        self.noted: set[str] = set()
        self.question_lists: dict[str, str] = {}  # question or grid column -> its list id

    # --- texts and languages ---
    def _languages(self) -> list[str]:
        default = self.settings.get("default_language")
        self.default = language_code(default) if default else None
        headers = []
        for sheet in ("survey", "choices"):
            for row in self.book.rows(sheet):
                headers += [h for h in row.cells if h not in headers]
        codes: list[str] = [self.default] if self.default else []
        self.codes: dict[str, str] = {}
        for header in headers:
            column, _, language = header.partition("::")
            if not language or column not in ("label", "hint"):
                continue
            code = language_code(language)
            if code is None:
                used = set(codes)
                code = make_id(language, used, "l")[:3]
                self.note(f"language '{language}' has no code: it is written as '{code}'")
            self.codes[language] = code
            if code not in codes:
                codes.append(code)
        if not codes:
            codes = ["en"]
        if self.default is None:
            plain = any("label" in r.cells for r in self.book.rows("survey"))
            self.default = "en" if plain and "en" not in codes[1:] else codes[0]
            if self.default not in codes:
                codes.insert(0, self.default)
        return codes

    def note(self, text: str) -> None:
        """Add a note once."""
        if text not in self.noted:
            self.noted.add(text)
            self.notes.append(text)

    def text(self, row: Row, column: str, sheet: str = "survey"):
        """Return a cell's text in every language: a string, or a mapping by language."""
        texts = {}
        if row.get(column):
            texts[self.default] = row.get(column)
        for header, value in row.cells.items():
            name, _, language = header.partition("::")
            if name == column and language:
                texts[self.codes[language]] = value
        if not texts:
            return None
        first = self.languages[0]
        if first not in texts:
            texts = {first: next(iter(texts.values())), **texts}
            self.note(f"sheet {sheet}, row {row.number}: no {column} in '{first}': "
                      f"another language's is used")  # fmt: skip
        if len(self.languages) == 1:
            return texts[first]
        return {code: texts[code] for code in self.languages if code in texts}

    # --- choices ---
    def choice_list(self, list_name: str, row: Row, other: bool = False) -> str:
        """Return the id of a choices list (with an Other choice when asked), made once."""
        key = f"{list_name} or_other" if other else list_name
        if key in self.list_ids:
            return self.list_ids[key]
        rows = [r for r in self.book.rows("choices") if r.get("list_name") == list_name]
        if not rows:
            raise XLSFormError(f"list '{list_name}' is not on the choices sheet", "survey",
                               row.number, "type")  # fmt: skip
        used, choices, ids = set(), [], {}
        for choice_row in rows:
            original = choice_row.get("name") or choice_row.get("value")
            name = make_id(original, used, "c", CHOICE_NAME)
            ids[original] = name
            label = self.text(choice_row, "label", "choices") or original
            choice = {"name": name, "label": label}
            score = choice_row.get("score") or (choice_row.get("name") and choice_row.get("value"))
            if score:
                try:
                    choice["value"] = float(score)
                    if choice["value"].is_integer():
                        choice["value"] = int(choice["value"])
                except ValueError:
                    pass
            if choice_row.get("missing").lower() in YES:
                choice["missing"] = True
            if name != original:
                choice["xlsform_name"] = original
                self.note(f"sheet choices, row {choice_row.number}: choice '{original}' of "
                          f"list '{list_name}' is named '{name}'")  # fmt: skip
            choices.append(choice)
        if other and "other" not in used:
            choices.append({"name": "other", "label": "Other"})
            ids["other"] = "other"
        list_id = make_id(list_name + ("_or_other" if other else ""), set(self.lists), "list")
        self.lists[list_id] = choices
        self.list_ids[key] = list_id
        self.choice_ids[list_id] = ids
        return list_id

    # --- conditions ---
    def relevant(self, node_row: Row, question_lists: dict[str, str]):
        """Return a row's `relevant` as a YAML condition, choice names mapped to their ids."""
        expression = _plain_quotes(node_row.get("relevant"))
        if not expression:
            return None
        try:
            condition = _condition(expression, self.names)
        except XLSFormError as error:
            raise XLSFormError(f"{error.why}: {expression}", "survey", node_row.number,
                               "relevant") from None  # fmt: skip
        return self._choices_in(condition, question_lists, node_row)

    def _choices_in(self, condition, question_lists, row: Row):
        if not isinstance(condition, dict):
            return condition
        out = {}
        for key, value in condition.items():
            if key in ("all", "any"):
                out[key] = [self._choices_in(c, question_lists, row) for c in value]
            elif key == "not":
                out[key] = self._choices_in(value, question_lists, row)
            elif key in ("equals", "not_equals", "contains", "in", "not_in"):
                if key == "contains" and self.kinds.get(condition.get("question")) == "select_one":
                    key = "equals"  # selected(${q}, 'x') reads a select_one too
                ids = self.choice_ids.get(question_lists.get(condition.get("question"), ""), {})
                values = value if isinstance(value, list) else [value]
                mapped = []
                for v in values:
                    if ids and str(v) not in ids:  # pyxform accepts it: kept, warned of
                        self.note(f"sheet survey, row {row.number}: warning: relevant names "
                                  f"'{v}', which is not a choice of '{condition['question']}'"
                                  f" ({', '.join(ids)}): kept as written; no answer can be "
                                  f"'{v}', so its test never finds it")  # fmt: skip
                    mapped.append(ids.get(str(v), v))
                out[key] = mapped if isinstance(value, list) else mapped[0]
            else:
                out[key] = value
        return out

    @staticmethod
    def both(first, second):
        """Return two conditions that must both hold (either may be None)."""
        if first and second:
            return {"all": [first, second]}
        return first or second

    # --- the survey sheet ---
    def tree(self) -> Node:
        """Return the survey sheet as a tree of groups and questions."""
        root = Node(Row(1, {}), "begin_group")
        stack = [root]
        for row in self.book.rows("survey"):
            if not row.get("type"):
                continue
            kind, list_name, other = _type(row)
            if matrix_type(row) == BEGIN_MATRIX:
                matrix = Node(row, "kobomatrix")
                stack[-1].children.append(matrix)
                stack.append(matrix)
            elif matrix_type(row) == END_MATRIX:
                if len(stack) > 1:
                    stack.pop()
            elif kind in BEGIN:
                group = Node(row, "begin_group")
                stack[-1].children.append(group)
                stack.append(group)
            elif kind in END:
                if len(stack) > 1:
                    stack.pop()
            elif kind in METADATA:
                self.note(f"sheet survey, row {row.number}: {kind} '{row.get('name')}' is "
                          "metadata, not a question: skipped")  # fmt: skip
            elif kind == "phone number":
                self.note(f"sheet survey, row {row.number}: phone number '{row.get('name')}' "
                          "is a text question")  # fmt: skip
                stack[-1].children.append(Node(row, "text"))
            elif kind in SIMPLE or kind in CHOICE_TYPES:
                self.refuse_columns(row)
                stack[-1].children.append(Node(row, SIMPLE.get(kind, kind), list_name, other))
            else:
                why = WHY.get(kind)
                if why is None and kind in MEDIA:
                    why = "photos, sound, video and files are not supported"
                if why is None and kind.endswith(("_from_file", "_external")):
                    why = "choices from a file are not supported"
                raise XLSFormError(f"type '{row.get('type')}': "
                                   f"{why or 'this type is not supported'}", "survey",
                                   row.number, "type")  # fmt: skip
        return root

    def refuse_columns(self, row: Row) -> None:
        """Refuse columns that change what a question asks; note the ones ignored."""
        if row.get("choice_filter"):
            raise XLSFormError("cascading selects (choice_filter) are not supported",
                               "survey", row.number, "choice_filter")  # fmt: skip
        if row.get("default"):
            self.note(f"sheet survey, row {row.number}: default '{row.get('default')}' "
                      "ignored: questions start empty")  # fmt: skip
        if row.get("calculation"):
            self.note(f"sheet survey, row {row.number}: calculation ignored")
        if (row.get("read_only") or row.get("readonly")).lower() in YES:
            self.note(f"sheet survey, row {row.number}: read_only ignored")
        for header in row.cells:
            column = header.partition("::")[0]
            if column not in KNOWN and column not in ("calculation", "choice_filter"):
                self.note(f"sheet survey: column '{column}' ignored")

    def questionnaire(self) -> dict:
        """Return the questionnaire mapping of the whole workbook."""
        pages = []
        for node in self.tree().children:
            name = make_id(node.name or "page", self.page_ids, "page")
            if node.type == "begin_group":
                title = self.text(node.row, "label") or node.name
                questions = self.group(node, None, nested=False)
            elif node.type == "kobomatrix":
                title = self.text(node.row, "label") or node.name
                questions = self.matrix(node, None, nested=False)
            else:
                title = self.title
                questions = self.question(node, None)
            if not questions:
                self.note(f"sheet survey, row {node.row.number}: group '{node.name}' holds "
                          "no question: left out")  # fmt: skip
                continue
            page = {"name": name, "title": title, "questions": questions}
            if node.type in ("begin_group", "kobomatrix") and name != node.name:
                page["xlsform_name"] = node.name
            pages.append(page)
        if not pages:
            raise XLSFormError("the form has no question to convert", "survey")
        survey = {"id": self.survey_id, "title": self.title, "languages": self.languages}
        survey["choice_lists"] = self.lists
        survey["pages"] = pages
        if not self.lists:
            del survey["choice_lists"]
        return survey

    @property
    def title(self) -> str:
        """Return the survey's title: form_title, else form_id, else the file name."""
        return self.settings.get("form_title") or self.settings.get("form_id") or \
            self.book.path.stem  # fmt: skip

    @property
    def survey_id(self) -> str:
        """Return the survey id: form_id made a valid lower-case id, else the file name."""
        original = self.settings.get("form_id") or self.book.path.stem
        return make_id(original, set(), "survey")

    def group(self, node: Node, condition, nested: bool) -> list[dict]:
        """Return the questions of a group, nested groups flattened with a heading note."""
        relevant = self.both(condition, self.relevant(node.row, self.question_lists))
        questions = []
        label = self.text(node.row, "label")
        grid = self.grid(node, relevant)
        if nested and label and not grid:
            heading = {"name": self.question_id(node.name or "heading", node.row, heading=True),
                       "type": "note", "label": label}  # fmt: skip
            if relevant:
                heading["relevant"] = relevant
            questions.append(heading)
        if grid:
            return [grid]
        for child in node.children:
            if child.type == "begin_group":
                questions += self.group(child, relevant, nested=True)
            elif child.type == "kobomatrix":
                questions += self.matrix(child, relevant, nested=True)
            else:
                questions += self.question(child, relevant)
        return questions

    def question_id(self, original: str, row: Row, heading: bool = False) -> str:
        """Return a question's id, noting and keeping a renamed one."""
        name = make_id(original, self.question_ids, "q")
        if not heading:
            self.names[original] = name
        if name != original and not heading:
            self.note(f"sheet survey, row {row.number}: '{original}' is named '{name}'")
        return name

    def grid(self, node: Node, relevant) -> dict | None:
        """Return a group of select_one questions sharing one list as a grid, else None."""
        appearance = node.row.get("appearance").lower()
        if "table-list" not in appearance and "field-list" not in appearance:
            return None
        members = [c for c in node.children if c.type != "note"]
        lists = {c.list_name for c in members}
        least = 1 if "table-list" in appearance else 2
        if not (len(members) >= least and all(c.type == "select_one" and not c.or_other
                                          for c in members) and len(lists) == 1):  # fmt: skip
            if "table-list" in appearance:
                self.note(f"sheet survey, row {node.row.number}: table-list group "
                          f"'{node.name}' is not a grid: shown as questions")  # fmt: skip
            return None
        if "table-list" not in appearance and any(c.type == "note" for c in node.children):
            return None
        members = [c for c in members if c.row.get("appearance").lower() != "label"] or members
        name = self.question_id(node.name or "grid", node.row)
        list_id = self.choice_list(lists.pop(), node.row)
        self.question_lists[name] = list_id
        items, used = [], set()
        for child in members:
            item_id = make_id(child.name, used, "item")
            self.names[child.name] = f"{name}.{item_id}"
            self.question_lists[f"{name}.{item_id}"] = list_id
            self.kinds[f"{name}.{item_id}"] = "select_one"
            item = {"name": item_id, "label": self.text(child.row, "label") or child.name}
            hint = self.text(child.row, "hint")
            if hint:
                item["hint"] = hint
            if item_id != child.name:
                item["xlsform_name"] = child.name
            if child.row.get("relevant"):
                self.note(f"sheet survey, row {child.row.number}: relevant of grid item "
                          f"'{child.name}' ignored")  # fmt: skip
            items.append(item)
        grid = {"name": name, "type": "grid",
                "label": self.text(node.row, "label") or self.text(members[0].row, "label")
                or node.name, "items": items, "choices": list_id}  # fmt: skip
        hint = self.text(node.row, "hint")
        if hint:
            grid["hint"] = hint
        if all(self.required(c.row) for c in members):
            grid["required"] = True
        if relevant:
            grid["relevant"] = relevant
        if name != node.name:
            grid["xlsform_name"] = node.name
        return grid

    def matrix(self, node: Node, condition, nested: bool) -> list[dict]:
        """Return a Kobo matrix as grids: one per select_one column, the matrix's rows as items."""
        row = node.row
        relevant = self.both(condition, self.relevant(row, self.question_lists))
        rows = matrix_rows(self.book, row)
        if not rows:
            list_name = row.get(MATRIX_LIST)
            why = f"list '{list_name}' is not on the choices sheet" if list_name else "is empty"
            raise XLSFormError(f"a Kobo matrix takes its rows from the list named in "
                               f"{MATRIX_LIST}, which {why}", "survey", row.number,
                               MATRIX_LIST)  # fmt: skip
        for column in node.children:
            if column.type != "select_one" or column.or_other:
                raise XLSFormError(f"a Kobo matrix column of type '{column.row.get('type')}' "
                                   "is not supported: only select_one columns become grids "
                                   "(one per column, the matrix's rows as its items)", "survey",
                                   column.row.number, "type")  # fmt: skip
        questions = []
        label = self.text(row, "label")
        if nested and label:
            heading = {"name": self.question_id(node.name or "matrix", row, heading=True),
                       "type": "note", "label": label}  # fmt: skip
            if relevant:
                heading["relevant"] = relevant
            questions.append(heading)
        used, items = set(), []
        for choice_row in rows:
            original = choice_row.get("name")
            item = {"name": make_id(original, used, "item"),
                    "label": self.text(choice_row, "label", "choices") or original}  # fmt: skip
            if item["name"] != original:
                item["xlsform_name"] = original
            items.append((original, item))
        names = {column.name for column in node.children}
        for column in node.children:
            questions.append(self.matrix_column(node, column, items, names, relevant))
        return questions

    def matrix_column(self, node: Node, column: Node, items, names: set, relevant) -> dict:
        """Return one select_one column of a Kobo matrix as a grid."""
        row = column.row
        name = self.question_id(f"{node.name}_{column.name}", row)
        list_id = self.choice_list(column.list_name, row)
        self.question_lists[name] = list_id
        for original, item in items:
            item_id = item["name"]
            # KoboToolbox names this cell MATRIX_ROW_COLUMN: other questions may read it
            self.names[f"{node.name}_{original}_{column.name}"] = f"{name}.{item_id}"
            self.question_lists[f"{name}.{item_id}"] = list_id
            self.kinds[f"{name}.{item_id}"] = "select_one"
        grid = {"name": name, "type": "grid",
                "label": self.text(row, "label") or column.name,
                "items": [dict(item) for _, item in items], "choices": list_id}  # fmt: skip
        hint = self.text(row, "hint")
        if hint:
            grid["hint"] = hint
        if self.required(row):
            grid["required"] = True
        expression = row.get("relevant")
        read = set(re.findall(r"\$\{\s*([^}\s]+)\s*\}", expression)) & names
        if read:
            self.note(f'sheet survey, row {row.number}: relevant "{expression}" of matrix '
                      f"column '{column.name}' reads its own row: ignored, every row is "
                      "asked")  # fmt: skip
        else:
            relevant = self.both(relevant, self.relevant(row, self.question_lists))
        if relevant:
            grid["relevant"] = relevant
        self.constraint(row, "grid", grid)
        return grid

    def required(self, row: Row) -> bool:
        """Whether a row is required; an expression is noted and read as not required."""
        value = row.get("required").strip().lower()
        if value and value not in YES | NO:
            self.note(f"sheet survey, row {row.number}: required '{row.get('required')}' is "
                      "an expression: the question is not required")  # fmt: skip
        return value in YES

    def question(self, node: Node, condition) -> list[dict]:
        """Return a question row as the format's question(s): an Other text follows or_other."""
        row = node.row
        relevant = self.both(condition, self.relevant(row, self.question_lists))
        name = self.question_id(node.name, row)
        question = {"name": name, "type": node.type}
        label = self.text(row, "label")
        hint = self.text(row, "hint")
        if label is None:
            label = hint or node.name
            hint = None if label is hint else hint
            self.note(f"sheet survey, row {row.number}: '{node.name}' has no label: "
                      f"'{label if isinstance(label, str) else node.name}' is used")  # fmt: skip
        question["label"] = label
        if hint:
            question["hint"] = hint
        if node.type in CHOICE_TYPES:
            list_id = self.choice_list(node.list_name, row, node.or_other)
            self.question_lists[name] = list_id
            self.kinds[name] = node.type
            if node.type == "rank":
                choices = self.lists[list_id]
                question["items"] = [
                    {"name": make_id(str(c["name"]), set(), "item"), "label": c["label"]}
                    for c in choices
                ]
            else:
                question["choices"] = list_id
        if node.type != "note" and self.required(row):
            question["required"] = True
        if row.get("required_message"):
            self.note(f"sheet survey, row {row.number}: required_message ignored: "
                      "the survey says which answer is missing in its own words")  # fmt: skip
        self.appearance(row, node.type, question)
        self.constraint(row, node.type, question)
        if relevant:
            question["relevant"] = relevant
        if name != node.name:
            question["xlsform_name"] = node.name
        questions = [question]
        if node.or_other:
            other = {"name": make_id(f"{name}_other", self.question_ids, "q"), "type": "text",
                     "label": "Specify other.",
                     "relevant": self.both(condition, {"question": name,
                                           "contains" if node.type == "select_multiple"
                                           else "equals": "other"})}  # fmt: skip
            questions.append(other)
        return questions

    def appearance(self, row: Row, kind: str, question: dict) -> None:
        """Set the appearance options the format has; note the others."""
        for word in row.get("appearance").lower().split():
            if word == "multiline" and kind == "text":
                question["appearance"] = "multiline"
            elif word == "minimal" and kind == "select_one":
                question["appearance"] = "dropdown"
            else:
                self.note(f"sheet survey, row {row.number}: appearance '{word}' ignored")

    def constraint(self, row: Row, kind: str, question: dict) -> None:
        """Turn bounds (`. >= 0 and . <= 40`, dates, count-selected) into the format's own."""
        expression = _plain_quotes(row.get("constraint"))
        if not expression:
            return
        bounds = [self._bound(part, kind, row) for part in re.split(r"\s+and\s+", expression)]
        if all(bounds):
            for key, value in bounds:
                question[key] = value
            return
        self.note(f"sheet survey, row {row.number}: constraint '{expression}' is not enforced")

    def _bound(self, part: str, kind: str, row: Row) -> tuple[str, object] | None:
        """Return one bound of a constraint as (key, value), or None when it is not one."""
        pattern, keys = {
            "integer": (BOUND, ("min", "max")),
            "decimal": (BOUND, ("min", "max")),
            "date": (DATE_BOUND, ("min", "max")),
            "select_multiple": (COUNT_BOUND, ("min_choices", "max_choices")),
        }.get(kind, (None, None))
        match = pattern.match(part) if pattern else None
        if match is None:
            return None
        operator, bound = match.group(1), match.group(2)
        key = keys[0] if operator.startswith(">") else keys[1]
        if kind == "date":
            if len(operator) == 1:
                return None
            return key, bound
        number = float(bound)
        if len(operator) == 1 and kind == "decimal":
            self.note(f"sheet survey, row {row.number}: strict bound '{part.strip()}' is read "
                      "as inclusive")  # fmt: skip
        elif len(operator) == 1:
            number += 1 if operator == ">" else -1
        return key, int(number) if number.is_integer() else number


def import_xlsform(path: str | Path) -> tuple[dict, list[str]]:
    """Return an XLSForm as the questionnaire mapping, with the notes on what was changed."""
    path = Path(path)
    if not path.is_file():
        raise XLSFormError("no such file")
    notes: list[str] = []
    workbook = _aliased(read_xlsform(path))
    _validate(path, workbook, notes)
    try:
        survey = _Converter(workbook, notes).questionnaire()
    except XLSFormError:
        raise
    except Exception as error:  # noqa: BLE001 - a form this converter misreads: no traceback
        raise XLSFormError(f"the form cannot be converted ({type(error).__name__}: {error});"
                           " please report it with the form") from None  # fmt: skip
    try:
        parse_questionnaire(survey, str(path))
    except QuestionnaireError as error:
        raise XLSFormError(f"the converted questionnaire is not valid: {error}") from None
    return survey, notes


class _Dumper(yaml.SafeDumper):
    """Writes every condition and text in full, without YAML anchors."""

    def ignore_aliases(self, data) -> bool:
        return True


def questionnaire_yaml(survey: dict, source: str = "") -> str:
    """Return a questionnaire mapping as the YAML text of a definition file."""
    head = f"# Imported from the XLSForm {source} by surveyapp import-xlsform.\n" if source else ""
    text = yaml.dump(survey, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=99)
    return head + text

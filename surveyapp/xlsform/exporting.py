"""Writing a questionnaire as an XLSForm (sheets survey, choices, settings) for ODK and Kobo.

The form is what pyxform converts without error or warning:

- a page is a `begin group`/`end group` with appearance `field-list` (one screen), its
  title the group's label and its intro a note at its top; the survey's description is a
  note at the top of the first page. A page named like a question is named `PAGE_page`,
  since `${name}` must name one element only;
- names are the questionnaire's ids, or for a questionnaire imported from an XLSForm the
  names the form had (`xlsform_name`), in conditions too;
- a grid is a `table-list` group named after it, holding one `select_one LIST` per item
  (named after the item) on the scale's list;
- a rank is `rank LIST`, its items the list's choices;
- `min`/`max` (and `min_choices`/`max_choices`, a non-default `max_length`) are a
  `constraint` with its `constraint_message` in every language, the words the web form says;
- a choice's `value` and `missing` are kept in the extra choices columns `score` and
  `missing` (pyxform passes them through; `value` itself is pyxform's other name for `name`);
- every language is a column `label::English (en)`, `hint::French (fr)`...; a text missing
  in a language is given in the first one, as the web form shows it.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from openpyxl import Workbook
from openpyxl.styles import Font

from surveyapp.analysis.words import language_name
from surveyapp.questionnaire.loading import XLSFORM_NAME
from surveyapp.questionnaire.model import Question, Questionnaire, Text, translate

SCORE, MISSING = "score", "missing"
FIELD_LIST, TABLE_LIST, MULTILINE, MINIMAL = "field-list", "table-list", "multiline", "minimal"
_TRANSLATIONS = Path(__file__).resolve().parent.parent / "web" / "translations"
_TRANSLATED = ("label", "hint", "constraint_message")
_ENGLISH = "en"


def export_xlsform(questionnaire: Questionnaire, path_or_buffer: str | os.PathLike | IO[bytes]):
    """Write a questionnaire as an XLSForm workbook to a path or a binary file object."""
    form = _Form(questionnaire)
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    _write_sheet(survey, form.survey_columns(), form.survey_rows())
    _write_sheet(workbook.create_sheet("choices"), form.choice_columns(), form.choice_rows())
    _write_sheet(workbook.create_sheet("settings"), *form.settings())
    workbook.save(path_or_buffer)


def language_column(name: str, language: str) -> str:
    """Return a translated column's header: label::English (en)."""
    return f"{name}::{_language(language)}"


def _language(code: str) -> str:
    """Return a language as XLSForm names it: its English name and code, English (en)."""
    return f"{language_name(code, _ENGLISH)} ({code})"


def _write_sheet(sheet, columns: list[str], rows: list[dict]):
    """Write a header row in bold and one row per mapping, every cell plain text or number."""
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a label starting with "=" is text, not a formula
    sheet.freeze_panes = "A2"


class _Form:
    """One questionnaire laid out as XLSForm rows."""

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.languages = questionnaire.languages
        self.catalogues = {lang: _catalogue(lang) for lang in self.languages}
        self.lists: dict[str, list[dict]] = {}
        self.list_names: dict[tuple, str] = {}
        self.raw_questions = {
            raw["name"]: raw
            for page in questionnaire.definition.get("pages", [])
            for raw in page.get("questions", [])
        }
        raw_lists = questionnaire.definition.get("choice_lists") or {}
        self.raw_pages = {raw["name"]: raw for raw in questionnaire.definition.get("pages", [])}
        # the names the form uses: an imported form's own (`xlsform_name`), else the ids
        self.form_names = {q.name: _form_name(self.raw_questions.get(q.name), q.name)
                           for q in questionnaire.questions}  # fmt: skip
        # question id -> {choice (or item) id -> its name in the form}
        self.choice_names: dict[str, dict[str, str]] = {}
        item_names: dict[str, dict[str, str]] = {}
        for q in questionnaire.questions:
            raw = self.raw_questions.get(q.name, {})
            choices = raw.get("choices")
            if isinstance(choices, str):
                choices = raw_lists.get(choices, [])
            self.choice_names[q.name] = _form_names(choices)
            item_names[q.name] = _form_names(raw.get("items"))
        # a grid item is a question of its own, named after the item: `grid.item` -> item
        self.item_names = {
            column.name: item_names[q.name].get(item.name, item.name)
            for q in questionnaire.questions
            if q.kind.items_are_questions
            for item, column in zip(q.items, q.columns(), strict=True)
        }
        self.names = set(self.form_names.values()) | set(self.item_names.values())
        self.names |= {_form_name(self.raw_pages.get(p.name), p.name) for p in questionnaire.pages}
        self._rows = list(self._survey())

    # --- the three sheets ---

    def survey_columns(self) -> list[str]:
        """The survey sheet's headers: a translated column in every language, as pyxform asks."""
        used = {key for row in self._rows for key in row}
        translated = {key.partition("::")[0] for key in used if "::" in key}
        columns = ["type", "name"]
        for name in _TRANSLATED:  # all languages of a column used, as pyxform checks
            if name in translated:
                columns += [language_column(name, lang) for lang in self.languages]
        return columns + [
            c for c in ("required", "relevant", "constraint", "appearance") if c in used
        ]

    def survey_rows(self) -> list[dict]:
        """The survey sheet's rows, header to cell."""
        return self._rows

    def choice_columns(self) -> list[str]:
        """The choices sheet's headers; score and missing only when a choice has them."""
        columns = ["list_name", "name", *(language_column("label", x) for x in self.languages)]
        rows = self.choice_rows()
        return columns + [c for c in (SCORE, MISSING) if any(c in r for r in rows)]

    def choice_rows(self) -> list[dict]:
        """The choices sheet's rows, list by list."""
        return [row for entries in self.lists.values() for row in entries]

    def settings(self) -> tuple[list[str], list[dict]]:
        """The settings sheet's headers and its one row."""
        q = self.questionnaire
        row = {
            "form_id": q.id,
            "form_title": translate(q.title),
            "default_language": _language(self.languages[0]),
            "version": q.version,
        }
        return list(row), [row]

    # --- rows ---

    def texts(self, name: str, text: Text | None) -> dict:
        """A text in every language's column, the first language's where one is missing."""
        if not text:
            return {}
        return {language_column(name, lang): translate(text, lang) for lang in self.languages}

    def _messages(self, message: str, **values) -> dict:
        """The constraint message in every language, from the web form's catalogues."""
        return {
            language_column("constraint_message", lang): self.catalogues[lang].gettext(message)
            % values
            for lang in self.languages
        }

    def _unique(self, name: str) -> str:
        """A name no other element of the form has, kept as taken."""
        candidate, number = name, 1
        while candidate in self.names:
            number += 1
            candidate = f"{name}_{number}"
        self.names.add(candidate)
        return candidate

    def _survey(self) -> Iterator[dict]:
        """The survey sheet's rows: one group per page."""
        q = self.questionnaire
        questions = set(self.form_names.values()) | set(self.item_names.values())
        for number, page in enumerate(q.pages):
            name = _form_name(self.raw_pages.get(page.name), page.name)
            if name in questions:  # ${name} (a condition, a label) names one element only
                name = self._unique(f"{name}_page")
            yield {
                "type": "begin group",
                "name": name,
                "appearance": FIELD_LIST,
                **self.texts("label", page.title),
            }
            if number == 0 and q.description:
                yield {
                    "type": "note",
                    "name": self._unique("description"),
                    **self.texts("label", q.description),
                }
            if page.intro:
                yield {
                    "type": "note",
                    "name": self._unique(f"{page.name}_intro"),
                    **self.texts("label", page.intro),
                }
            for question in page.questions:
                yield from self._question(question)
            yield {"type": "end group", "name": name}

    def _question(self, question: Question) -> Iterator[dict]:
        """The rows of one question: one, or a grid's group of selects."""
        row = {
            "name": self.form_names[question.name],
            **self.texts("label", question.label),
            **self.texts("hint", question.hint),
        }
        relevant = self.raw_questions.get(question.name, {}).get("relevant")
        if relevant is not None:
            from surveyapp.xlsform.relevant import from_condition

            row["relevant"] = from_condition(
                self._form_condition(relevant), {**self.form_names, **self.item_names}
            )
        required = {"required": "yes"} if question.required and question.kind.is_answer else {}
        yield from question.kind.xlsform_rows(question, self, row, required)

    def item_name(self, column: str) -> str:
        """The form's name of a grid item, a question of its own, from its export column."""
        return self.item_names[column]

    def length_constraint(self, question: Question) -> dict:
        """The constraint and its messages of a text's length, when not the default."""
        if question.max_length == question.kind.default_max_length(question.appearance):
            return {}
        return {
            "constraint": f"string-length(.) <= {question.max_length}",
            **self.plural(
                "Please keep this under %(num)d character.",
                "Please keep this under %(num)d characters.",
                question.max_length,
            ),
        }

    def bounds(self, question: Question, dated: bool = False) -> dict:
        """The constraint and its messages of a number's (or a date's) min and max."""
        low, high = question.min, question.max
        if low is None and high is None:
            return {}

        def literal(bound):
            return f"date('{bound.isoformat()}')" if dated else _number(bound)

        tests = []
        if low is not None:
            tests.append(f". >= {literal(low)}")
        if high is not None:
            tests.append(f". <= {literal(high)}")
        what = "date" if dated else "number"
        shown = {"low": _shown(low), "high": _shown(high)} if dated else {"low": low, "high": high}
        if low is not None and high is not None:
            key = "from %(low)s to %(high)s." if dated else "from %(low)g to %(high)g."
        elif low is not None:
            key = "on or after %(low)s." if dated else "of at least %(low)g."
        else:
            key = "on or before %(high)s." if dated else "of at most %(high)g."
        message = f"Please give a {what} {key}"
        used = {k: v for k, v in shown.items() if f"%({k})" in message}
        return {"constraint": " and ".join(tests), **self._messages(message, **used)}

    def count_constraint(self, question: Question) -> dict:
        """The constraint and its messages of a select_multiple's min_choices and max_choices."""
        low, high = question.min_choices, question.max_choices
        if low is None and high is None:
            return {}
        tests = []
        if low is not None:
            tests.append(f"count-selected(.) >= {low}")
        if high is not None:
            tests.append(f"count-selected(.) <= {high}")
        constraint = {"constraint": " and ".join(tests)}
        if high is None:
            return {**constraint, **self.plural(*["Please choose at least %(num)d."] * 2, low)}
        if not low:
            return {**constraint, **self.plural(*["Please choose at most %(num)d."] * 2, high)}
        return {
            **constraint,
            **self._messages("Please choose between %(low)d and %(high)d.", low=low, high=high),
        }

    def plural(self, singular: str, plural: str, num: int) -> dict:
        """A constraint message about `num` things in every language."""
        return {
            language_column("constraint_message", lang): self.catalogues[lang].ngettext(
                singular, plural, num
            )
            % {"num": num}
            for lang in self.languages
        }

    def choice_list(self, question: Question) -> str:
        """The list name of a question's choices."""
        return self.list_of(question, question.choices, self.choice_names[question.name])

    def rank_names(self, question: Question) -> dict[str, str]:
        """A rank's items' names in the form."""
        return _form_names(self.raw_questions.get(question.name, {}).get("items"))

    def _form_condition(self, condition):
        """Return a YAML condition with the choice names the form uses (an imported form's)."""
        if not isinstance(condition, dict):
            return condition
        if "question" not in condition:
            return {
                key: [self._form_condition(p) for p in parts]
                if isinstance(parts, list)
                else self._form_condition(parts)
                for key, parts in condition.items()
            }
        names = self.choice_names.get(str(condition["question"]).partition(".")[0], {})
        question = self.questionnaire.question(str(condition["question"]).partition(".")[0])
        if not names or question is None or not question.kind.has_choices:
            return condition
        result = dict(condition)
        for test in ("equals", "not_equals", "contains"):
            if test in result:
                result[test] = names.get(str(result[test]), result[test])
        for test in ("in", "not_in"):
            if isinstance(result.get(test), list):
                result[test] = [names.get(str(v), v) for v in result[test]]
        return result

    def list_of(self, question: Question, entries, originals: dict[str, str]) -> str:
        """Return the list name of a question's choices (or rank items), adding it once."""
        raw = self.raw_questions.get(question.name, {}).get("choices")
        key = ("list", raw) if isinstance(raw, str) else ("question", question.name)
        if key in self.list_names:
            return self.list_names[key]
        wanted = raw if isinstance(raw, str) else question.name
        name, number = wanted, 1
        while name in self.lists:
            number += 1
            name = f"{wanted}_{number}"
        self.list_names[key] = name
        rows = []
        for entry in entries:
            original = originals.get(entry.name, entry.name)
            row = {"list_name": name, "name": original, **self.texts("label", entry.label)}
            if getattr(entry, "value", None) is not None:
                row[SCORE] = entry.value
            if getattr(entry, "missing", False):
                row[MISSING] = "yes"
            rows.append(row)
        self.lists[name] = rows
        return name


def _form_name(raw: dict | None, name: str) -> str:
    """Return the name an entry has in the form: the imported form's own, else its id."""
    if isinstance(raw, dict) and raw.get(XLSFORM_NAME):
        return str(raw[XLSFORM_NAME])
    return name


def _form_names(entries) -> dict[str, str]:
    """Return {id: name in the form} of a definition's choices or items."""
    if not isinstance(entries, list):
        return {}
    return {
        str(e["name"]): _form_name(e, str(e["name"]))
        for e in entries
        if isinstance(e, dict) and "name" in e
    }


def _number(value) -> str:
    """A bound as a constraint writes it: 2.5, 40."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(bound: date | None) -> str | None:
    """A date bound as a message shows it: 2026-11-02."""
    return bound.isoformat() if bound is not None else None


@functools.cache
def _catalogue(language: str) -> NullTranslations:
    """The web form's messages in a language, read from its catalogue (English if none)."""
    source = _TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if not source.exists():
        return NullTranslations()
    with source.open("rb") as handle:
        catalogue = read_po(handle)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)  # fuzzy translations left out, as pybabel compile does
    compiled.seek(0)
    return Translations(compiled)

"""Completed responses imported from a CSV file in the export's format, all or none."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from exports.safety import restored_text
from surveyapp.analysis.words import choice_labels, label_language, language_names
from surveyapp.csv_input import UnreadableCsv, read_csv_file
from surveyapp.questionnaire.answers import check_answers
from surveyapp.questionnaire.model import Questionnaire
from surveyapp.store.connection import storage_fault
from surveyapp.store.imports import earlier_import, file_fingerprint, store_imported_responses
from surveyapp.store.invitations import attribute_values, invitations_with
from surveyapp.store.responses import response_ids, response_row, responses_by_answers

MAX_IMPORT_ERRORS = 200
MAX_LISTED = 20  # valid choices named in a message


class ImportRejected(Exception):
    """A file of responses that was not imported, with every problem found in it."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str]:
    """Return a CSV file's header, its rows and the fingerprint of its bytes."""
    try:
        header, rows, content = read_csv_file(path)
    except UnreadableCsv as error:
        raise ImportRejected([str(error)]) from None
    return header, rows, file_fingerprint(content)


def _imported_already(db, survey: str, path: Path, fingerprint: str) -> list[str]:
    """Return the problem of a file imported before (the same bytes), if it was."""
    earlier = earlier_import(db, survey, fingerprint)
    if earlier is None:
        return []
    when = earlier["imported_at"].replace("T", " at ").replace("+00:00", " UTC")
    return [
        f"{path}: this file was imported already, on {when} ({earlier['responses']} responses,"
        f" from {earlier['file_name']}): the same file is never imported twice"
    ]


def _unknown_attributes(db, survey: str, attributes: dict) -> list[str]:
    """Return the problem of invitation attributes that no invitation link carries."""
    if not attributes or invitations_with(db, survey, attributes):
        return []
    given = ", ".join(f"{key}={value}" for key, value in attributes.items())
    known = "; ".join(
        f"{key}={', '.join(values)}" for key, values in attribute_values(db, survey).items()
    )
    return [
        f"no invitation link of {survey} was made with {given}"
        f" ({f'the links carry {known}' if known else 'no link carries attributes'})"
    ]


def _duplicate(answers: tuple, line: int, stored: dict, seen: dict) -> str | None:
    """Return why a row repeats a stored response or an earlier line, or None; note the row."""
    if answers in stored:
        where = f"response {stored[answers]}, stored already"
    elif answers in seen:
        where = f"line {seen[answers]} of this file"
    else:
        seen[answers] = line
        return None
    return f"the same answers in every column as {where} (--allow-duplicates imports it anyway)"


def _listed(values: list[str]) -> str:
    """Return values as a list in a message, the first MAX_LISTED of them."""
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f", ... ({len(values)} in all)" if len(values) > MAX_LISTED else "")


def _language(
    questionnaire: Questionnaire, value: str, labels: bool, language: str | None
) -> tuple[str | None, str | None]:
    """Return the language a row was answered in (None: blank, not known), or its problem.

    The code must be one of the questionnaire's languages (en, fr, es); with ``labels`` the
    language's name in ``language`` (as ``export --labels`` writes it) is read too.
    """
    value = value.strip()
    if not value:
        return None, None
    if value in questionnaire.languages:
        return value, None
    names = language_names(questionnaire.languages, language)
    if labels:
        by_name = {name.casefold(): code for code, name in names.items()}
        if value.casefold() in by_name:
            return by_name[value.casefold()], None
        named = ", ".join(f"{code} ({name})" for code, name in names.items())
        return None, f"'{value}' is not one of the languages {named}, or empty"
    return None, f"'{value}' is not one of the languages {', '.join(names)}, or empty"


def _cell_problems(
    questionnaire: Questionnaire, raw: dict, labels: bool, language: str | None = None
) -> dict[str, str]:
    """Check the cells the form's check cannot explain well; return {column: problem}.

    A choice must be one of the question's (the problem lists them, where the web form
    only says to choose one offered). With ``labels``, a choice is read by its label in
    ``language`` (as ``export --labels --lang`` writes it) and replaced by its name in
    ``raw``.
    """
    problems = {}
    for column in questionnaire.columns():
        question, value = column.question, raw.get(column.name) or ""
        known = choice_labels(question, language if labels else None)
        if labels and known is not None and value != "":
            names: dict[str, str] = {}
            for name, label in known.items():
                names.setdefault(str(label), str(name))
            label = restored_text(value)  # labels pass the CSV's formula protection too
            if label not in names:
                valid = _listed([f"'{text}'" for text in names])
                problems[column.name] = f"'{label}' is not one of the labels {valid}"
                continue
            value = raw[column.name] = names[label]
        trouble = question.kind.import_problem(value)
        choices = [str(name) for name in known or ()]
        if trouble is None and value != "" and choices and value not in choices:
            trouble = f"'{value}' is not one of {_listed(choices)}"
        if trouble:
            problems[column.name] = trouble
    return problems


def _check_header(path: Path, header: list[str], questionnaire: Questionnaire) -> list[str]:
    known = {"response_id", "language"} | {c.name for c in questionnaire.columns()}
    problems = [
        f"{path}: column '{name}' is not in the export" for name in header if name not in known
    ]
    problems += [
        f"{path}: column '{name}' appears twice" for name in set(header) if header.count(name) > 1
    ]
    missing = [c.name for c in questionnaire.columns() if c.name not in header]
    if missing:
        problems.append(f"{path}: columns missing: {', '.join(missing)}")
    return problems


def _response_id(value: str, taken: set[int]) -> tuple[int | None, str | None]:
    if not value.strip():
        return None, None
    try:
        number = int(value)
    except ValueError:
        return None, "must be a whole number or empty"
    if number < 1 or number > 2**62:
        return None, "must be a positive whole number"
    if number in taken:
        return None, f"response {number} exists already"
    taken.add(number)
    return number, None


def import_responses(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    path: str | Path,
    attributes: dict | None = None,
    allow_duplicates: bool = False,
    labels: bool = False,
    language: str | None = None,
) -> int:
    """Import completed responses from a CSV in the export's format, all or none.

    Every value is validated as the web form validates it; any problem rejects the whole
    file with the line and column of each problem. A file imported before (the same bytes)
    is refused, and so is a row with the same answers as a stored response or an earlier
    row, unless ``allow_duplicates``. ``attributes`` are the invitation attributes the
    responses answered under (region=Africa): they count toward that group's response rate.
    With ``labels`` choices are read by their labels in ``language`` (``export --labels
    --lang``; by default the questionnaire's first language), not names. An optional
    column ``language`` gives the language each response was answered in: a language of
    the questionnaire, or empty when not known. Returns the number imported.
    """
    language = label_language([questionnaire], language)  # LanguageError if not one
    path = Path(path)
    header, rows, fingerprint = _read_csv(path)
    problems = _imported_already(db, questionnaire.id, path, fingerprint)
    if problems:
        raise ImportRejected(problems)
    problems = _unknown_attributes(db, questionnaire.id, attributes or {})
    problems += _check_header(path, header, questionnaire)
    if problems:
        raise ImportRejected(problems)
    taken = response_ids(db, questionnaire.id)
    records: list[dict[str, Any]] = []
    text_columns = [c.name for c in questionnaire.columns() if c.question.kind.open_text]
    stored = {} if allow_duplicates else responses_by_answers(db, questionnaire)
    seen: dict[tuple, int] = {}
    for line, raw in enumerate(rows, start=2):
        problems_before = len(problems)
        if None in raw:
            problems.append(f"{path}: line {line}: more values than columns")
            continue
        response_id, trouble = _response_id(raw.get("response_id") or "", taken)
        if trouble:
            problems.append(f"{path}: line {line}, column 'response_id': {trouble}")
        answered_in, trouble = _language(
            questionnaire, raw.get("language") or "", labels, language
        )
        if trouble:
            problems.append(f"{path}: line {line}, column 'language': {trouble}")
        cell_problems = _cell_problems(questionnaire, raw, labels, language)
        for name, trouble in cell_problems.items():
            problems.append(f"{path}: line {line}, column '{name}': {trouble}")
        for column in text_columns:  # undo the export's protection against formulas
            raw[column] = restored_text(raw.get(column) or "")
        clean, errors, _ = check_answers(questionnaire, raw, strict=True)
        for name, messages in errors.items():
            for message in messages if name not in cell_problems else ():
                problems.append(f"{path}: line {line}, column '{name}': {message}")
        record = response_row(questionnaire, clean, "import", answered_in)
        record["response_id"] = response_id
        records.append(record)
        if not allow_duplicates and len(problems) == problems_before:
            answers = tuple(record[column.name] for column in questionnaire.columns())
            repeated = _duplicate(answers, line, stored, seen)
            if repeated:
                problems.append(f"{path}: line {line}: {repeated}")
        if len(problems) >= MAX_IMPORT_ERRORS:
            problems.append(f"{path}: stopped after {MAX_IMPORT_ERRORS} problems")
            break
    if not rows:
        problems.append(f"{path}: holds no responses")
    if problems:
        raise ImportRejected(problems)
    try:
        store_imported_responses(
            db, questionnaire, records, fingerprint, path.name, attributes or {}
        )
    except sqlite3.Error as error:
        if storage_fault(error, "") is not None:
            raise  # the disk full, the file read-only, a lock: the command says so
        raise ImportRejected([f"{path}: nothing was imported: {error}"]) from None
    return len(records)

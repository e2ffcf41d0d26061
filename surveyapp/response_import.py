"""Completed responses imported from a CSV file in the export's format, all or none."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from exports.safety import restored_text
from surveyapp.questionnaire.answers import check_answers
from surveyapp.questionnaire.model import Questionnaire
from surveyapp.store.responses import insert_responses, response_ids, response_row

MAX_IMPORT_ERRORS = 200


class ImportRejected(Exception):
    """A file of responses that was not imported, with every problem found in it."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ImportRejected([f"{path}: cannot be read: {error.strerror}"]) from None
    except UnicodeDecodeError as error:
        raise ImportRejected([f"{path}: is not UTF-8 text (byte {error.start})"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ImportRejected([f"{path}: line {reader.line_num}: {error}"]) from None
    return list(reader.fieldnames or []), rows


def _check_header(path: Path, header: list[str], questionnaire: Questionnaire) -> list[str]:
    known = {"response_id"} | {c.name for c in questionnaire.columns()}
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
    db: sqlite_utils.Database, questionnaire: Questionnaire, path: str | Path
) -> int:
    """Import completed responses from a CSV in the export's format, all or none.

    Every value is validated as the web form validates it; any problem rejects the whole
    file with the line and column of each problem. Returns the number imported.
    """
    path = Path(path)
    header, rows = _read_csv(path)
    problems = _check_header(path, header, questionnaire)
    if problems:
        raise ImportRejected(problems)
    taken = response_ids(db, questionnaire.id)
    records: list[dict[str, Any]] = []
    text_columns = [c.name for c in questionnaire.columns() if c.question.kind.open_text]
    for line, raw in enumerate(rows, start=2):
        if None in raw:
            problems.append(f"{path}: line {line}: more values than columns")
            continue
        response_id, trouble = _response_id(raw.get("response_id") or "", taken)
        if trouble:
            problems.append(f"{path}: line {line}, column 'response_id': {trouble}")
        for column in questionnaire.columns():
            trouble = column.question.kind.import_problem(raw.get(column.name) or "")
            if trouble:
                problems.append(f"{path}: line {line}, column '{column.name}': {trouble}")
        for column in text_columns:  # undo the export's protection against formulas
            raw[column] = restored_text(raw.get(column) or "")
        clean, errors, _ = check_answers(questionnaire, raw, strict=True)
        for name, messages in errors.items():
            for message in messages:
                problems.append(f"{path}: line {line}, column '{name}': {message}")
        record = response_row(questionnaire, clean, "import")
        record["response_id"] = response_id
        records.append(record)
        if len(problems) >= MAX_IMPORT_ERRORS:
            problems.append(f"{path}: stopped after {MAX_IMPORT_ERRORS} problems")
            break
    if not rows:
        problems.append(f"{path}: holds no responses")
    if problems:
        raise ImportRejected(problems)
    try:
        insert_responses(db, questionnaire, records)
    except sqlite3.Error as error:
        raise ImportRejected([f"{path}: nothing was imported: {error}"]) from None
    return len(records)

"""CSV files an evaluator gives the tool (responses to import, links to remind), read whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path


class UnreadableCsv(ValueError):
    """A file that is not readable UTF-8 CSV, with the place that is wrong."""


def read_csv_file(path: Path) -> tuple[list[str], list[dict[str, str]], bytes]:
    """Return a CSV file's header, its rows and its bytes; UnreadableCsv naming the place."""
    try:
        content = path.read_bytes()
        text = content.decode("utf-8-sig")
    except OSError as error:
        raise UnreadableCsv(f"{path}: cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UnreadableCsv(f"{path}: is not UTF-8 text (byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise UnreadableCsv(f"{path}: line {reader.line_num}: {error}") from None
    return list(reader.fieldnames or []), rows, content

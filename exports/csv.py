"""CSV writing of tables, UTF-8 with a header row."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import IO

import pandas as pd

from exports._files import replaced
from exports.safety import neutralise as neutralised


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    """Return True if a column name or a text cell holds a carriage return."""
    texts = [str(name) for name in frame.columns]
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not pd.api.types.is_numeric_dtype(column.dtype):
            texts += [value for value in column if isinstance(value, str)]
    return any("\r" in text for text in texts)


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str], neutralise: bool = True) -> None:
    """Write a table as CSV to an open file or a path, as ``exports._files.replaced`` says.

    A path is replaced whole, never half-written; ``-`` is standard output, a device or a
    pipe is written in place, and a symbolic link is written through.

    With ``neutralise`` (the default) text that starts like a formula (``=``, ``+``, ``-``,
    ``@``, tab, carriage return) gets a leading apostrophe, so that a spreadsheet opening
    the file shows it as text instead of evaluating it; ``exports.safety.restored_text``
    takes it off again when the file is read back.

    Python's csv quotes a field holding the line terminator ("\n") but not a lone carriage
    return, which spreadsheets and csv readers take as the end of a row (the rest of the
    text would start a row of its own, unneutralised): when any text holds one, every text
    field is quoted.
    """
    options = {"index": False, "lineterminator": "\n"}
    if neutralise:
        frame = neutralised(frame)
    if _holds_carriage_return(frame):
        options["quoting"] = csv.QUOTE_NONNUMERIC
    if hasattr(target, "write"):
        frame.to_csv(target, **options)
        if target is sys.stdout:
            target.flush()
        return
    with replaced(target) as partial:
        frame.to_csv(partial, encoding="utf-8", **options)

"""CSV writing of tables, UTF-8 with a header row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import pandas as pd

from exports.safety import neutralise as neutralised


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str], neutralise: bool = True) -> None:
    """Write a table as CSV to a path (replaced whole, never half-written) or an open file.

    With ``neutralise`` (the default) text that starts like a formula (``=``, ``+``, ``-``,
    ``@``, tab, carriage return) gets a leading apostrophe, so that a spreadsheet opening
    the file shows it as text instead of evaluating it.
    """
    if neutralise:
        frame = neutralised(frame)
    if hasattr(target, "write"):
        frame.to_csv(target, index=False, lineterminator="\n")
        if target is sys.stdout:
            target.flush()
        return
    path = Path(target)
    partial = path.with_name(f".{path.name}.partial")
    try:
        frame.to_csv(partial, index=False, lineterminator="\n", encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)

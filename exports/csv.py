"""CSV writing of tables, UTF-8 with a header row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import pandas as pd


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str]) -> None:
    """Write a table as CSV to a path (replaced whole, never half-written) or an open file."""
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

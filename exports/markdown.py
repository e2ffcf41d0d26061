"""Markdown of report tables: a heading, a GitHub pipe table and the notes, per table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from exports._files import replaced
from exports.blocks import TableBlock, decimal_names, flat_table, is_missing

__all__ = ["TableBlock", "to_markdown", "write_markdown"]


def _escape(text: str) -> str:
    """Return text safe inside a pipe-table cell: pipes escaped, line breaks as spaces."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def _format(value, percent: bool, fixed: bool = False) -> str:
    """Return a cell as shown: fractions as 45%, whole numbers plain, others to 2 places.

    With ``fixed`` (a two-decimal column) every number has 2 places, whole ones too.
    """
    if is_missing(value):
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _escape(str(value))
    if percent:
        return f"{value:.0%}"
    if fixed or (isinstance(value, float) and not value.is_integer()):
        return f"{value:.2f}"
    return str(int(value))


def _is_number_column(column: pd.Series) -> bool:
    """Return True when the column holds numbers only (it is right-aligned)."""
    values = column.dropna()
    return bool(len(values)) and all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
        for v in values
    )


def pipe_table(block: TableBlock) -> str:
    """Return the block's table as a GitHub pipe table, numbers aligned right."""
    table, percent = flat_table(block)
    header = [_escape(str(name)) for name in table.columns]
    align = [
        "---:" if _is_number_column(table.iloc[:, c]) else "---" for c in range(table.shape[1])
    ]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    names = [str(name) for name in table.columns]
    fixed = decimal_names(block)
    for row in table.itertuples(index=False, name=None):
        cells = [
            _format(v, name in percent, name in fixed) for v, name in zip(row, names, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_markdown(blocks: list[TableBlock]) -> str:
    """Return the blocks as Markdown: "## title", the pipe table, then each note as a line."""
    parts = []
    for block in blocks:
        if block.title:
            parts.append(f"## {' '.join(block.title.split())}")
        parts.append(pipe_table(block))
        parts.extend(note for note in block.notes)
    return "\n\n".join(parts) + "\n"


def write_markdown(blocks: list[TableBlock], target) -> None:
    """Write the blocks as Markdown (UTF-8) to an open text file or a path.

    A path is written as ``exports._files.replaced`` says ("-" is standard output).
    """
    text = to_markdown(blocks)
    if hasattr(target, "write"):
        target.write(text)
        return
    with replaced(target) as partial:
        Path(partial).write_text(text, encoding="utf-8")

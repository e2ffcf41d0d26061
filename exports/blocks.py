"""A labelled table with its title and notes, as written to a workbook sheet or Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class TableBlock:
    """One table of a report, ready to write.

    Parameters
    ----------
    name : str
        Sheet name in a workbook (shortened to 31 characters, made unique and stripped of
        ``[]:*?/\\`` when written).
    title : str
        Title written above the table.
    table : pandas.DataFrame
        The wide table, already labelled: the first column(s) hold the row labels and the
        column names are the headers shown. A named index is written as leading columns;
        a default (unnamed) index is not written. Tuple (MultiIndex) column names are
        joined with a space.
    percent_columns : list of str
        Columns holding fractions 0-1, shown as percentages (0.45 as 45%).
    decimal_columns : list of str
        Columns whose numbers are always shown to two decimals, whole ones too (a mean
        of 2 as 2.00, among 2.60), such as mean ratings and weighted counts.
    notes : list of str
        Lines written under the table (base, exclusions, suppression rule).
    header_blocks : bool
        The two-level column names are a header row of blocks over a row of groups (a
        banner table, as the report's Table 6): a workbook writes two header rows, each
        block's cell merged across its groups (``header_rows``); Markdown, which has one
        header row, heads each column "Block: group" (``column_name``).
    """

    name: str
    title: str
    table: pd.DataFrame
    percent_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decimal_columns: list[str] = field(default_factory=list)
    header_blocks: bool = False


def _within(group, block) -> bool:
    """Whether a group's heading already says its block's label ("Staff (n = 40)")."""
    return str(group).startswith(str(block))


def column_name(label, header_blocks: bool = False) -> str:
    """Return a column label as one header string.

    Tuple levels are joined with a space, or with ``header_blocks`` as "Block: group"
    (only the group where its heading starts with the block's label).
    """
    if isinstance(label, tuple) and header_blocks and len(label) == 2:
        block, group = label
        return str(group) if _within(group, block) else f"{block}: {group}"
    if isinstance(label, tuple):
        return " ".join(str(part) for part in label if str(part) != "")
    return str(label)


def header_rows(labels) -> list[list[tuple[str, int, int]]]:
    """Return two-level column labels as two header rows of (text, columns, rows) spanned.

    Consecutive columns of one block share a cell over their groups; a block of one
    column whose group's heading starts with the block's label (the item column, a survey
    as a whole) is one cell spanning both rows, headed with the group's heading.
    """
    runs: list[tuple[str, list[str]]] = []
    for block, group in labels:
        if runs and runs[-1][0] == str(block):
            runs[-1][1].append(str(group))
        else:
            runs.append((str(block), [str(group)]))
    top: list[tuple[str, int, int]] = []
    bottom: list[tuple[str, int, int]] = []
    for block, groups in runs:
        if len(groups) == 1 and _within(groups[0], block):
            top.append((groups[0], 1, 2))
        else:
            top.append((block, len(groups), 1))
            bottom += [(group, 1, 1) for group in groups]
    return [top, bottom]


def decimal_names(block: TableBlock) -> set[str]:
    """Return the flat header names of the block's two-decimal columns."""
    return {column_name(label, block.header_blocks) for label in block.decimal_columns}


def flat_table(block: TableBlock) -> tuple[pd.DataFrame, set[str]]:
    """Return the block's table with a flat string header and the set of percent columns.

    Raises ValueError when a percent column is missing or holds values outside 0-1 (such as
    percentages 0-100, which would show as 4500%).
    """
    table = block.table
    if any(name is not None for name in table.index.names):
        table = table.reset_index()
    table = table.copy()
    table.columns = [column_name(label, block.header_blocks) for label in table.columns]
    percent = {column_name(label, block.header_blocks) for label in block.percent_columns}
    for column in sorted(percent):
        if column not in table.columns:
            raise ValueError(f"{block.name}: percent column '{column}' is not in the table")
        values = pd.to_numeric(table[column], errors="coerce")
        if ((values < 0) | (values > 1.000001)).any():
            raise ValueError(
                f"{block.name}: percent column '{column}' must hold fractions 0-1, "
                f"found {values.max():g}"
            )
    return table, percent


def is_missing(value) -> bool:
    """Return True for None, NaN, NA and NaT (not for strings or lists)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

"""Excel workbooks of report tables: one sheet per table, then the responses and dictionary."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from exports._files import replaced
from exports.blocks import TableBlock, decimal_names, flat_table, header_rows, is_missing
from exports.safety import starts_like_a_formula

__all__ = ["TableBlock", "sheet_names", "write_workbook"]

TABLE_FREEZE = "A3"  # table sheets: title in row 1, header in row 2
BLOCKS_FREEZE = "B4"  # a banner's sheet: blocks in row 2 over groups in row 3, items in A
DATA_FREEZE = "A2"  # Responses and Data dictionary: header in row 1
RESPONSES, DICTIONARY = "Responses", "Data dictionary"
MAX_WIDTH, MIN_WIDTH = 60, 6
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
BOLD = Font(bold=True)


def sheet_names(names: list[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Return valid, unique sheet names: no []:*?/\\, at most 31 characters, never blank."""
    taken = {name.casefold() for name in reserved}
    result = []
    for name in names:
        clean = _FORBIDDEN.sub("", str(name)).strip().strip("'").strip() or "Sheet"
        if clean.casefold() == "history":  # reserved by Excel
            clean = "History table"
        candidate, number = clean[:31], 1
        while candidate.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            candidate = clean[: 31 - len(suffix)] + suffix
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def _cell_value(value):
    """Return a value openpyxl stores as itself: numbers as numbers, text as text."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, bool | int | float | dt.date | dt.time):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _cell(sheet: Worksheet, row: int, column: int, value):
    """Write a value to a cell and return the cell; text is always a string, never a formula.

    openpyxl takes text starting with "=" as a formula: the cell is set back to a string
    (written as an inline string, which no spreadsheet evaluates), and text that starts
    like a formula is marked with Excel's quote prefix, so that editing the cell keeps it
    text. The text itself is kept as written, without an apostrophe.
    """
    value = _cell_value(value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if starts_like_a_formula(value):
            cell.quotePrefix = True
    return cell


def _shown_width(value, number_format: str | None) -> int:
    """Return roughly how many characters a cell takes on screen."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if number_format == "0%":
            return len(f"{value:.0%}")
        return len(f"{value:.2f}" if number_format else f"{value:.10g}")
    longest = max(str(value).splitlines() or [""], key=len)
    return len(longest)


def _number_format(column: pd.Series, percent: bool, decimals: bool) -> str | None:
    """Return the column's number format: 0% for fractions, 0.00 for non-whole numbers."""
    if percent:
        return "0%"
    if decimals and pd.api.types.is_float_dtype(column.dtype):
        values = column.dropna()
        if len(values) and not (values == values.round()).all():
            return "0.00"
    return None


def _write_rows(
    sheet, table, first_row: int, percent: set[str], decimals: bool, fixed=(), header=True
):
    """Write the header (bold, unless the caller wrote it) and rows from first_row on;
    return the column widths."""
    columns = [str(name) for name in table.columns]
    widths = [len(name) if header else MIN_WIDTH for name in columns]
    for c, name in enumerate(columns, start=1):
        if header:
            _cell(sheet, first_row, c, name).font = BOLD
    formats = [
        "0.00" if name in fixed else _number_format(table.iloc[:, c], name in percent, decimals)
        for c, name in enumerate(columns)
    ]
    for r, row in enumerate(table.itertuples(index=False, name=None), start=first_row + 1):
        for c, raw in enumerate(row, start=1):
            value = _cell_value(raw)
            if value is None:
                continue
            cell = _cell(sheet, r, c, value)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and formats[c - 1]:
                cell.number_format = formats[c - 1]
            widths[c - 1] = max(widths[c - 1], _shown_width(value, formats[c - 1]))
    return widths


def _fit(sheet: Worksheet, widths: list[int]) -> None:
    """Set each column's width from the longest value shown in it."""
    for c, width in enumerate(widths, start=1):
        letter = get_column_letter(c)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))


def _block_header(sheet: Worksheet, block: TableBlock, widths: list[int]) -> None:
    """Write a two-level header in rows 2-3: blocks merged across their groups."""
    table = block.table
    if any(name is not None for name in table.index.names):
        table = table.reset_index()
    labels = [name if isinstance(name, tuple) else (name, name) for name in table.columns]
    for row, cells in enumerate(header_rows(labels), start=2):
        column = 1
        for text, across, down in cells:
            while sheet.cell(row=row, column=column).coordinate in sheet.merged_cells:
                column += 1
            cell = _cell(sheet, row, column, text)
            cell.font = BOLD
            cell.alignment = Alignment(horizontal="center" if across > 1 else None,
                                       vertical="top", wrap_text=across > 1)  # fmt: skip
            if across > 1 or down > 1:
                last_row, last_column = row + down - 1, column + across - 1
                sheet.merge_cells(start_row=row, start_column=column,
                                  end_row=last_row, end_column=last_column)  # fmt: skip
            if across == 1:
                widths[column - 1] = max(widths[column - 1], len(text))
            column += across


def _table_sheet(sheet: Worksheet, block: TableBlock) -> None:
    """Write a block: title in A1, header in row 2 (rows 2-3 for a header of blocks over
    groups), rows below, then its notes."""
    table, percent = flat_table(block)
    _cell(sheet, 1, 1, block.title).font = Font(bold=True, size=12)
    header = 3 if block.header_blocks else 2
    widths = _write_rows(sheet, table, header, percent, decimals=True,
                         fixed=decimal_names(block), header=not block.header_blocks)  # fmt: skip
    if block.header_blocks:
        _block_header(sheet, block, widths)
    row = header + len(table) + 2
    for note in block.notes:
        _cell(sheet, row, 1, note).font = Font(italic=True)
        row += 1
    sheet.freeze_panes = BLOCKS_FREEZE if block.header_blocks else TABLE_FREEZE
    _fit(sheet, widths)


def _data_sheet(sheet: Worksheet, frame: pd.DataFrame) -> None:
    """Write a data frame with its header in row 1, frozen, and the columns fitted."""
    widths = _write_rows(sheet, frame, 1, set(), decimals=False)
    sheet.freeze_panes = DATA_FREEZE
    if len(frame.columns):
        sheet.auto_filter.ref = sheet.dimensions
    _fit(sheet, widths)


def write_workbook(
    path: str | Path,
    blocks: list[TableBlock],
    responses: pd.DataFrame | None = None,
    dictionary: pd.DataFrame | None = None,
    title: str = "",
    data_sheets: tuple[str, str] = (RESPONSES, DICTIONARY),
) -> Path:
    """Write the tables, one sheet each, then "Responses" and "Data dictionary" if given.

    ``data_sheets`` names those two sheets (in the report's language).

    Table sheets have the title in A1, the header in row 2 and are frozen at A3; the
    responses and dictionary sheets have their header in row 1, frozen at A2. Text is
    stored as text, as written, never as a formula (see ``_cell``): unlike CSV, a workbook
    needs no apostrophe before "=", "+", "-" or "@". ``path`` is written as
    ``exports._files.replaced`` says ("-" is standard output).
    """
    responses_sheet, dictionary_sheet = data_sheets
    reserved = tuple(
        name
        for name, frame in ((responses_sheet, responses), (dictionary_sheet, dictionary))
        if frame is not None
    )
    workbook = Workbook()
    workbook.remove(workbook.active)
    if title:
        workbook.properties.title = title
    for block, name in zip(blocks, sheet_names([b.name for b in blocks], reserved), strict=True):
        _table_sheet(workbook.create_sheet(name), block)
    if responses is not None:
        _data_sheet(workbook.create_sheet(responses_sheet), responses)
    if dictionary is not None:
        _data_sheet(workbook.create_sheet(dictionary_sheet), dictionary)
    if not workbook.sheetnames:
        workbook.create_sheet("Empty")
    with replaced(path, binary=True) as partial:
        workbook.save(partial)
    return Path(path)

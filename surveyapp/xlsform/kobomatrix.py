"""KoboToolbox's matrix question (`begin_kobomatrix` ... `end_kobomatrix`), which pyxform lacks.

KoboToolbox expands a matrix before pyxform sees it (kpi's
`kpi/utils/xlsform_preprocessors/kobomatrix_handler.py`): the list named in the
`kobo--matrix_list` column gives the matrix's rows, each question between begin and end is
a column, and every row becomes a group `MATRIX_ROW` of one question `MATRIX_ROW_COLUMN` per
column, a reference `${COLUMN}` in a column's relevant, constraint or required naming the
same row's question. `expanded_survey` does the same, so that pyxform can validate a form
with matrices as KoboToolbox compiles it; the import itself turns each `select_one` column
into a grid (see `importing`).
"""

from __future__ import annotations

import re

from surveyapp.xlsform.reading import Row, Workbook

BEGIN, END = "begin_kobomatrix", "end_kobomatrix"
MATRIX_LIST = "kobo--matrix_list"
# the columns of a question whose expressions KoboToolbox rewrites for each row
EXPRESSIONS = ("relevant", "constraint", "required")


def matrix_type(row: Row) -> str:
    """Return `begin_kobomatrix` or `end_kobomatrix` for a matrix's rows, else ''."""
    words = re.sub(r"[\s_]+", "_", row.get("type").strip().lower())
    return words if words in (BEGIN, END) else ""


def has_matrix(workbook: Workbook) -> bool:
    """Whether the survey sheet holds a Kobo matrix."""
    return any(matrix_type(row) == BEGIN for row in workbook.rows("survey"))


def matrix_rows(workbook: Workbook, matrix: Row) -> list[Row]:
    """Return the choices rows that are a matrix's rows (its `kobo--matrix_list`)."""
    list_name = matrix.get(MATRIX_LIST)
    return [r for r in workbook.rows("choices") if r.get("list_name") == list_name]


def expanded_survey(workbook: Workbook) -> list[dict[str, str]]:
    """Return the survey sheet's rows with every matrix expanded as KoboToolbox does."""
    rows: list[dict[str, str]] = []
    matrix: Row | None = None
    columns: list[Row] = []
    for row in workbook.rows("survey"):
        kind = matrix_type(row)
        if kind == BEGIN:
            matrix, columns = row, []
        elif kind == END and matrix is not None:
            rows += _expand(workbook, matrix, columns)
            matrix = None
        elif matrix is not None:
            columns.append(row)
        else:
            rows.append(dict(row.cells))
    if matrix is not None:  # no end: left for pyxform to refuse
        rows.append(dict(matrix.cells))
    return rows


def _expand(workbook: Workbook, matrix: Row, columns: list[Row]) -> list[dict[str, str]]:
    """Return one matrix as kpi writes it: a header group, then a group per matrix row."""
    name = matrix.get("name")
    labels = {k: v for k, v in matrix.cells.items() if k.partition("::")[0] == "label"}
    out = [{"type": "begin_group", "name": f"{name}_header", "relevant": matrix.get("relevant")}]
    out.append({"type": "note", "name": f"{name}_header_note", **(labels or {"label": name})})
    for column in columns:
        out.append({"type": "note", "name": f"{name}_header_{column.get('name')}",
                    **_labels(column)})  # fmt: skip
    out.append({"type": "end_group"})
    for item in matrix_rows(workbook, matrix):
        base = f"{name}_{item.get('name')}"
        out.append({"type": "begin_group", "name": base, "relevant": matrix.get("relevant")})
        out.append({"type": "note", "name": f"{base}_note", **_labels(item)})
        for column in columns:
            cells = {k: v for k, v in column.cells.items() if k != MATRIX_LIST}
            cells["name"] = f"{base}_{column.get('name')}"
            for key in EXPRESSIONS:
                for other in columns:
                    reference = "${" + other.get("name") + "}"
                    replacement = "${" + f"{base}_{other.get('name')}" + "}"
                    cells[key] = cells.get(key, "").replace(reference, replacement)
            out.append({k: v for k, v in cells.items() if v})
        out.append({"type": "end_group"})
    return [{k: v for k, v in row.items() if v} for row in out]


def _labels(row: Row) -> dict[str, str]:
    """Return a row's label cells (every language), or its name as the label."""
    labels = {k: v for k, v in row.cells.items() if k.partition("::")[0] == "label"}
    return labels or {"label": row.get("name")}


def expanded_workbook(workbook: Workbook):
    """Return an openpyxl workbook of the form with its matrices expanded, for pyxform."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    sheets = {
        "survey": expanded_survey(workbook),
        "choices": [dict(r.cells) for r in workbook.rows("choices")],
        "settings": [dict(r.cells) for r in workbook.rows("settings")],
    }
    for title, rows in sheets.items():
        if not rows:
            continue
        headers = list(dict.fromkeys(h for row in rows for h in row))
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(h) for h in headers])
    return book

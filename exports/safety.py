"""Neutralise text that a spreadsheet would evaluate as a formula (CSV/formula injection).

``neutralise_text`` puts an apostrophe before such text and ``restored_text``, its exact
inverse, takes it off when an exported file is read back. CSV needs the apostrophe, since a
spreadsheet decides what a CSV field is; a workbook says itself that a cell is text, so
``exports.xlsx`` stores such text as written, as a string cell.
"""

from __future__ import annotations

import pandas as pd

# OWASP "CSV Injection": cells starting with these are read as formulas by Excel/LibreOffice.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_a_formula(text: str) -> bool:
    """Return True if the text starts with a trigger, behind any number of apostrophes."""
    return text.lstrip("'").startswith(TRIGGERS)


def neutralise_text(value):
    """Return a string prefixed with an apostrophe if it starts like a formula; else as is.

    Text that starts with apostrophes before a trigger ("'=x") gets one more ("''=x"), so
    that ``restored_text`` can tell it from neutralised text and give back what was written.
    """
    if isinstance(value, str) and starts_like_a_formula(value):
        return "'" + value
    return value


def restored_text(value):
    """Return neutralised text as it was before ``neutralise_text``; other values as they are.

    The leading apostrophe goes only where ``neutralise_text`` put it: when what follows
    starts like a formula. For any value, ``restored_text(neutralise_text(value)) == value``.
    """
    if isinstance(value, str) and value[:1] == "'" and starts_like_a_formula(value[1:]):
        return value[1:]
    return value


def _neutralise_label(label):
    """Return a column label neutralised, each level of a tuple (MultiIndex) label too."""
    if isinstance(label, tuple):
        return tuple(neutralise_text(part) for part in label)
    return neutralise_text(label)


def _never_text(dtype) -> bool:
    """Return True for dtypes that cannot hold a string: numbers, booleans, dates."""
    types = pd.api.types
    return (
        types.is_numeric_dtype(dtype)
        or types.is_bool_dtype(dtype)
        or types.is_datetime64_any_dtype(dtype)
        or types.is_timedelta64_dtype(dtype)
    )


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose string cells and column labels cannot start a formula.

    Only strings change: numbers, booleans, dates and missing values are kept as they are
    (a numeric -3 stays -3, a text "-3" becomes "'-3"). The index is left unchanged.
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _never_text(column.dtype):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype("object")
        out.isetitem(position, column.map(neutralise_text, na_action="ignore"))
    out.columns = out.columns.map(_neutralise_label)
    return out

"""SPSS .sav files of responses, with variable labels and numerically coded value labels."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyreadstat

from exports._files import replaced
from exports.blocks import is_missing

MAX_NAME_BYTES = 64
MAX_LABEL_BYTES = 256  # variable labels; longer ones are cut by the format
MAX_VALUE_LABEL_BYTES = 120
RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
_INVALID = re.compile(r"[^A-Za-z0-9._]")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _cut(text: str, limit: int) -> str:
    """Return text shortened to at most limit UTF-8 bytes, never splitting a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _legal_name(column) -> str:
    """Return an SPSS-legal name for one column, before shortening and de-duplication."""
    name = _INVALID.sub("_", str(column))
    name = re.sub(r"\.+$", lambda m: "_" * len(m.group()), name)  # no dot at the end
    if not name[:1].isalpha():
        name = "v" + name
    if name.upper() in RESERVED:
        name += "_"
    return name


def spss_names(columns) -> dict:
    """Return {column: SPSS name}: ASCII letters, digits, ``.`` and ``_``, at most 64 bytes.

    A name starts with a letter (else ``v`` is put in front), never ends with a dot, is not
    an SPSS keyword (ALL, AND, BY, ...) and is unique regardless of case: a name already
    taken is shortened and given a suffix ``_2``, ``_3``, ... Legal names are kept.
    """
    result, taken = {}, set()
    for column in columns:
        base = _legal_name(column)[:MAX_NAME_BYTES]
        candidate, number = base, 1
        while candidate.upper() in taken:
            number += 1
            suffix = f"_{number}"
            candidate = base[: MAX_NAME_BYTES - len(suffix)] + suffix
        taken.add(candidate.upper())
        result[column] = candidate
    return result


def _key(value) -> str | None:
    """Return a choice value as its name: 5, 5.0 and "5" all give "5"; missing gives None."""
    if is_missing(value) or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(name: str) -> float | None:
    """Return a choice name as a number if it is one ("5", 0, "-1"), else None."""
    return float(name) if _NUMBER.fullmatch(name) else None


def _numeric(column: pd.Series) -> bool:
    """Return True for a column of numbers (booleans aside), even if stored as objects."""
    if pd.api.types.is_numeric_dtype(column.dtype):
        return True
    kind = pd.api.types.infer_dtype(column, skipna=True)
    return kind in {"integer", "floating", "mixed-integer-float", "decimal"}


def _coded(column: pd.Series, labels: dict) -> tuple[pd.Series, dict, dict]:
    """Return the column as numeric codes, its SPSS value labels and {code: choice name}.

    Numeric choice names (a rating 5..1, a 0/1 choice) are their own codes; other choice
    names are coded 1..n in the order of ``labels``.
    """
    names = [_key(name) for name in labels]
    numbers = [_as_number(name) for name in names]
    if all(number is not None for number in numbers):
        codes = dict(zip(names, numbers, strict=True))
    else:
        codes = {name: float(position) for position, name in enumerate(names, start=1)}
    keys = column.map(_key)
    unknown = sorted(set(keys.dropna()) - set(codes))
    if unknown:
        shown = ", ".join(repr(value) for value in unknown[:5])
        raise ValueError(f"column '{column.name}' holds values without a label: {shown}")
    values = keys.map(codes, na_action="ignore").astype("float64")
    value_labels = {
        codes[name]: _cut(str(label), MAX_VALUE_LABEL_BYTES)
        for name, label in zip(names, labels.values(), strict=True)
    }
    used = {_whole(code): name for name, code in codes.items()}
    return values, value_labels, used


def _whole(number: float) -> int | float:
    """Return a whole number as an int (5.0 as 5), any other number as it is."""
    return int(number) if float(number).is_integer() else number


def _text(column: pd.Series) -> pd.Series:
    """Return a text column as Python strings, missing as None."""
    return column.astype("object").map(lambda v: None if is_missing(v) else str(v))


def write_sav(
    path: str | Path,
    frame: pd.DataFrame,
    variable_labels: dict[str, str],
    value_labels: dict[str, dict],
) -> dict[str, dict]:
    """Write the frame as an SPSS .sav file; return {column: {code: choice name}} used.

    ``value_labels`` gives, for each choice column, {choice name: label} in choice order:
    such columns are written as numbers with value labels (see ``_coded``), and a value
    with no label raises ValueError. Numeric columns stay numbers, other columns text;
    missing stays missing (empty in a text column). Columns whose name SPSS cannot take
    are renamed (``spss_names``) and their label starts with the original name. Text is
    written as given: a .sav file is not a spreadsheet, so nothing is neutralised.
    """
    if frame.columns.duplicated().any():
        raise ValueError("the frame has duplicate column names")
    frame = frame.reset_index(drop=True)
    names = spss_names(frame.columns)
    data, labels, codes, used = {}, {}, {}, {}
    for column in frame.columns:
        name, series = names[column], frame[column]
        if column in value_labels:
            data[name], codes[name], used[column] = _coded(series, value_labels[column])
        elif pd.api.types.is_bool_dtype(series.dtype):
            data[name] = series.astype("float64")
        elif _numeric(series):
            data[name] = pd.to_numeric(series)
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            data[name] = series
        else:
            data[name] = _text(series)
        label = str(variable_labels.get(column) or "")
        if name != str(column):
            label = f"{column}: {label}" if label else str(column)
        if label:
            labels[name] = _cut(label, MAX_LABEL_BYTES)
    out = pd.DataFrame(data, index=range(len(frame)))
    path = Path(path)
    with replaced(path) as partial:
        pyreadstat.write_sav(
            out, str(partial), column_labels=labels or None, variable_value_labels=codes or None
        )
    return used

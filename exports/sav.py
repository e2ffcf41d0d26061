"""SPSS .sav files of responses, with variable labels and numerically coded value labels."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyreadstat

from exports._files import replaced
from exports.blocks import is_missing

MAX_NAME_BYTES = 64
MAX_LABEL_BYTES = 256  # variable labels; longer ones are cut by the format
MAX_VALUE_LABEL_BYTES = 120
MAX_WIDTH = 40  # of a number format
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


def _default_codes(names: list[str]) -> dict[str, float]:
    """Return codes when none are given: numeric names as themselves, else 1..n in order."""
    numbers = [_as_number(name) for name in names]
    if all(number is not None for number in numbers):
        return dict(zip(names, numbers, strict=True))
    return {name: float(position) for position, name in enumerate(names, start=1)}


def _coded(
    column: pd.Series, labels: dict, given: dict | None = None
) -> tuple[pd.Series, dict, dict, dict]:
    """Return the column as numeric codes, its value labels, {code: choice name} and codes.

    ``given`` is {choice name: code}; without it numeric choice names (a rating 5..1, a
    0/1 choice) are their own codes and other choice names are coded 1..n in the order of
    ``labels``. Two choices with the same code raise ValueError.
    """
    names = [_key(name) for name in labels]
    if given is None:
        codes = _default_codes(names)
    else:
        codes = {_key(name): float(code) for name, code in given.items()}
        uncoded = [name for name in names if name not in codes]
        if uncoded:
            raise ValueError(f"column '{column.name}': no code for {', '.join(uncoded)}")
    shared = {}
    for name in names:
        shared.setdefault(codes[name], []).append(name)
    clashes = [f"{', '.join(n)} (code {_whole(c)})" for c, n in shared.items() if len(n) > 1]
    if clashes:
        raise ValueError(f"column '{column.name}': choices share a code: {'; '.join(clashes)}")
    keys = column.map(_key)
    unknown = sorted(set(keys.dropna()) - set(names))
    if unknown:
        shown = ", ".join(repr(value) for value in unknown[:5])
        raise ValueError(f"column '{column.name}' holds values without a label: {shown}")
    values = keys.map(codes, na_action="ignore").astype("float64")
    value_labels = {
        codes[name]: _cut(str(label), MAX_VALUE_LABEL_BYTES)
        for name, label in zip(names, labels.values(), strict=True)
    }
    used = {_whole(codes[name]): name for name in names}
    return values, value_labels, used, {name: codes[name] for name in names}


def _whole(number: float) -> int | float:
    """Return a whole number as an int (5.0 as 5), any other number as it is."""
    return int(number) if float(number).is_integer() else number


def _text(column: pd.Series) -> pd.Series:
    """Return a text column as Python strings, missing as None."""
    return column.astype("object").map(lambda v: None if is_missing(v) else str(v))


def _is_date(column: pd.Series) -> bool:
    """Return True for a column of dates (datetime64, or datetime.date objects)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return True
    values = column.dropna()
    return bool(len(values)) and all(isinstance(v, dt.date) for v in values)


def _number_format(values: pd.Series, decimals: int = 2) -> str:
    """Return an SPSS F format that shows the numbers: F3.0 for 1..100, F8.2 for 2.75.

    Whole numbers get no decimals and the width of the longest; other numbers
    ``decimals`` places, at least 8 wide.
    """
    if pd.api.types.is_integer_dtype(values.dtype):
        decimals = 0
    values = pd.to_numeric(values, errors="coerce").dropna()
    values = values[values.abs() != float("inf")]
    if not len(values):
        return f"F8.{decimals}"
    whole = (values == values.round()).all()
    digits = max(len(str(int(abs(v)))) + (v < 0) for v in values)
    if whole:
        return f"F{min(digits, MAX_WIDTH)}.0"
    return f"F{min(max(8, digits + 1 + decimals), MAX_WIDTH)}.{decimals}"


def _missing_ranges(column, codes: dict, missing) -> list:
    """Return pyreadstat's missing declaration for the choices named missing.

    SPSS takes at most three discrete missing values, or a range: more than three missing
    codes are declared as the range from the lowest to the highest, which must hold no
    substantive code.
    """
    chosen = sorted({codes[_key(name)] for name in missing if _key(name) in codes})
    if len(chosen) <= 3:
        return chosen
    low, high = chosen[0], chosen[-1]
    inside = [name for name, code in codes.items() if low <= code <= high and code not in chosen]
    if inside:
        raise ValueError(
            f"column '{column}': more than three missing codes, and {', '.join(inside)} lies"
            " between them: SPSS cannot declare them"
        )
    return [{"lo": low, "hi": high}]


def write_sav(
    path: str | Path,
    frame: pd.DataFrame,
    variable_labels: dict[str, str],
    value_labels: dict[str, dict],
    codes: dict[str, dict] | None = None,
    missing: dict[str, list] | None = None,
    measures: dict[str, str] | None = None,
    text_labels: dict[str, dict] | None = None,
) -> dict[str, dict]:
    """Write the frame as an SPSS .sav file; return {column: {code: choice name}} used.

    Parameters
    ----------
    path : str or Path
        The file, written as ``exports._files.replaced`` says ("-" is standard output).
    frame : pandas.DataFrame
        One row per response.
    variable_labels : dict
        {column: label}. Columns whose name SPSS cannot take are renamed
        (``spss_names``) and their label starts with the original name.
    value_labels : dict
        For each choice column, {choice name: label} in choice order: such columns are
        written as numeric codes with value labels; a value with no label raises
        ValueError.
    codes : dict, optional
        For a choice column, {choice name: code}: the numbers written (the analysis values,
        Agree = 4). Without it numeric choice names (a rating 5..1, a 0/1 choice) are
        their own codes and other names are coded 1..n in the order of ``value_labels``.
        Two choices of a column with the same code raise ValueError.
    missing : dict, optional
        For a choice column, the choice names declared user-missing (Do not know): SPSS,
        PSPP, Stata and R (haven) leave them out of means and percentages.
    measures : dict, optional
        {column: "nominal", "ordinal" or "scale"}; by default choice and text columns are
        nominal and numbers and dates scale.
    text_labels : dict, optional
        For a column of short codes kept as text (a language: en, fr), {code: label}: the
        column stays text, its codes get value labels, and a blank (no code) is declared
        user-missing. A code with no label raises ValueError.

    Numeric columns stay numbers, dates (datetime64 or ``datetime.date``) are written as
    SPSS dates (DATE11), other columns as text as wide as their longest value; missing
    stays missing (empty in a text column). Codes are shown as F1.0 (as wide as the
    largest code), whole numbers without decimals and other numbers with two. Text is
    written as given: a .sav file is not a spreadsheet, so nothing is neutralised.
    """
    if frame.columns.duplicated().any():
        raise ValueError("the frame has duplicate column names")
    codes, missing, measures = codes or {}, missing or {}, measures or {}
    text_labels = text_labels or {}
    frame = frame.reset_index(drop=True)
    names = spss_names(frame.columns)
    data, labels, coded_labels, used = {}, {}, {}, {}
    formats, levels, declared = {}, {}, {}
    for column in frame.columns:
        name, series = names[column], frame[column]
        level = "scale"
        if column in value_labels:
            data[name], coded_labels[name], used[column], by_name = _coded(
                series, value_labels[column], codes.get(column)
            )
            formats[name] = _number_format(pd.Series(list(by_name.values())))
            level = "nominal"
            if missing.get(column):
                declared[name] = _missing_ranges(column, by_name, missing[column])
        elif column in text_labels:
            data[name], level = _text(series), "nominal"
            unlabelled = sorted(set(data[name].dropna()) - set(text_labels[column]))
            if unlabelled:
                shown = ", ".join(repr(value) for value in unlabelled[:5])
                raise ValueError(f"column '{column}' holds values without a label: {shown}")
            coded_labels[name] = {
                str(code): _cut(str(label), MAX_VALUE_LABEL_BYTES)
                for code, label in text_labels[column].items()
            }
            declared[name] = [" "]  # blank: SPSS pads text, so " " is the empty value
        elif pd.api.types.is_bool_dtype(series.dtype):
            data[name] = series.astype("float64")
            formats[name], level = "F1.0", "nominal"
        elif _numeric(series):
            data[name] = pd.to_numeric(series)
            formats[name] = _number_format(data[name])
        elif _is_date(series):
            data[name] = series
        else:
            data[name], level = _text(series), "nominal"
        levels[name] = measures.get(column, level)
        label = str(variable_labels.get(column) or "")
        if name != str(column):
            label = f"{column}: {label}" if label else str(column)
        if label:
            labels[name] = _cut(label, MAX_LABEL_BYTES)
    out = pd.DataFrame(data, index=range(len(frame)))
    with replaced(path, binary=True) as partial:
        pyreadstat.write_sav(
            out,
            str(partial),
            column_labels=labels or None,
            variable_value_labels=coded_labels or None,
            missing_ranges=declared or None,
            variable_measure=levels or None,
            variable_format=formats or None,
        )
    return used

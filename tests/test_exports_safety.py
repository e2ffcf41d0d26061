"""Formula neutralisation (OWASP CSV injection), in memory and in CSV files read back."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from exports.csv import write_csv
from exports.safety import neutralise, neutralise_text

# Text answers a spreadsheet would evaluate: each must come back with an apostrophe first.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_starts_like_a_formula_gets_an_apostrophe(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Agree", "", "1-2", " =not a formula", "'=already safe", "Très bien, 中文", -3, 2.5, None],
)
def test_other_values_are_kept(value):
    assert neutralise_text(value) == value


def test_numbers_stay_numbers_and_text_numbers_become_text():
    frame = pd.DataFrame(
        {
            "count": [-3, 4],
            "mean": [-2.5, np.nan],
            "flag": [True, False],
            "day": pd.to_datetime(["2026-11-02", "2026-11-03"]),
            "mixed": [-3, "-3"],
        }
    )
    safe = neutralise(frame)
    assert list(safe.dtypes) == list(frame.dtypes)
    assert safe["count"].tolist() == [-3, 4]
    assert safe["mean"].iloc[0] == -2.5 and np.isnan(safe["mean"].iloc[1])
    assert safe["flag"].tolist() == [True, False]
    assert safe["day"].equals(frame["day"])
    assert safe["mixed"].tolist() == [-3, "'-3"]


def test_headers_and_categories_are_neutralised_and_the_original_is_kept():
    frame = pd.DataFrame({"=cmd": ["+1", None], "region": pd.Categorical(["@a", "b"])})
    safe = neutralise(frame)
    assert list(safe.columns) == ["'=cmd", "region"]
    assert safe["'=cmd"].iloc[0] == "'+1" and pd.isna(safe["'=cmd"].iloc[1])
    assert safe["region"].tolist() == ["'@a", "b"]
    assert list(frame.columns) == ["=cmd", "region"]
    assert frame["=cmd"].iloc[0] == "+1"


def test_tuple_headers_are_neutralised_level_by_level():
    columns = pd.MultiIndex.from_tuples([("-share", "Staff"), ("n", "=x")])
    safe = neutralise(pd.DataFrame([[0.5, 3]], columns=columns))
    assert list(safe.columns) == [("'-share", "Staff"), ("n", "'=x")]


def read_csv_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def answers() -> pd.DataFrame:
    return pd.DataFrame(
        {"response_id": range(1, len(FORMULAS) + 1), "comments": FORMULAS, "years": -3}
    )


def test_csv_file_has_every_formula_neutralised(tmp_path):
    path = tmp_path / "staff.csv"
    write_csv(answers(), path)
    header, *rows = read_csv_rows(path)
    assert header == ["response_id", "comments", "years"]
    assert [row[1] for row in rows] == ["'" + text for text in FORMULAS]
    assert {row[2] for row in rows} == {"-3"}  # a number, not text: left alone


def test_csv_to_an_open_file_is_neutralised_too():
    buffer = io.StringIO()
    write_csv(answers(), buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert [row[1] for row in rows[1:]] == ["'" + text for text in FORMULAS]


def test_csv_can_be_written_as_is(tmp_path):
    path = tmp_path / "raw.csv"
    write_csv(answers(), path, neutralise=False)
    assert [row[1] for row in read_csv_rows(path)[1:]] == FORMULAS


def test_exports_load_without_flask_surveyapp_or_pyplot():
    code = (
        "import sys\n"
        "import exports.csv, exports.safety, exports.xlsx, exports.sav, exports.markdown\n"
        "import exports.charts\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'surveyapp')"
        " or m == 'matplotlib.pyplot']\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_carriage_return_inside_text_cannot_start_a_row(tmp_path):
    path = tmp_path / "injected.csv"
    write_csv(pd.DataFrame({"comments": ["fine\r=cmd|' /C calc'!A0", "ok"], "n": [1, 2]}), path)
    assert read_csv_rows(path) == [
        ["comments", "n"],
        ["fine\r=cmd|' /C calc'!A0", "1"],
        ["ok", "2"],
    ]


def test_plain_tables_are_written_unquoted(tmp_path):
    path = tmp_path / "plain.csv"
    write_csv(pd.DataFrame({"region": ["africa", None], "n": [3, 4]}), path)
    assert path.read_text(encoding="utf-8") == "region,n\nafrica,3\n,4\n"

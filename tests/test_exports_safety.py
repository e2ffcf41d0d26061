"""Formula neutralisation (OWASP CSV injection), in memory and in CSV files read back."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.csv import write_csv
from exports.safety import TRIGGERS, neutralise, neutralise_text, restored_text

# Text answers a spreadsheet would evaluate: each must come back with an apostrophe first.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_starts_like_a_formula_gets_an_apostrophe(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Agree", "", "1-2", " =not a formula", "'quoted", "''", "Très bien, 中文", -3, 2.5, None],
)
def test_other_values_are_kept(value):
    assert neutralise_text(value) == value
    assert restored_text(value) == value


@pytest.mark.parametrize(
    "text, neutralised",
    [("'=x", "''=x"), ("''+1", "'''+1"), ("'\tx", "''\tx")],
)
def test_text_with_apostrophes_before_a_formula_gets_one_more(text, neutralised):
    # "'=x" typed by a respondent is kept apart from "=x" neutralised, so both come back.
    assert neutralise_text(text) == neutralised
    assert restored_text(neutralised) == text
    assert restored_text(neutralise_text(text[1:])) == text[1:]


@pytest.mark.parametrize("text", FORMULAS)
def test_restored_text_takes_the_apostrophe_off_a_formula(text):
    assert restored_text("'" + text) == text


# Text that starts like a formula, behind apostrophes or not, mixed with any text at all.
FORMULA_LIKE = st.tuples(
    st.text(alphabet="'", max_size=3), st.sampled_from([*TRIGGERS, "", "a"]), st.text()
).map("".join)


@given(st.one_of(st.text(), FORMULA_LIKE))
def test_restored_text_is_the_inverse_of_neutralise_text(text):
    neutralised = neutralise_text(text)
    assert not neutralised.startswith(TRIGGERS)
    assert restored_text(neutralised) == text


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


def test_csv_read_back_and_restored_gives_the_answers_as_written(tmp_path):
    texts = [*FORMULAS, "'=typed with an apostrophe", "'quoted", "plain"]
    path = tmp_path / "answers.csv"
    write_csv(pd.DataFrame({"comments": texts}), path)
    assert [restored_text(row[0]) for row in read_csv_rows(path)[1:]] == texts


def test_two_writers_to_one_csv_file_at_once_both_succeed(tmp_path, monkeypatch):
    # Both writers finish their temporary file before either renames it over the path:
    # with one fixed temporary name for both, the second rename found nothing to rename.
    path = tmp_path / "crosstab.csv"
    frames = [pd.DataFrame({"writer": [n] * 1000, "text": ["x" * 50] * 1000}) for n in (1, 2)]
    both_written = threading.Barrier(2, timeout=10)
    to_csv = pd.DataFrame.to_csv

    def to_csv_then_wait(frame, *args, **kwargs):
        result = to_csv(frame, *args, **kwargs)
        both_written.wait()
        return result

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv_then_wait)
    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(write_csv, frame, path) for frame in frames]:
            future.result()
    monkeypatch.undo()
    written = pd.read_csv(path)
    assert any(written.equals(frame) for frame in frames)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_leftover_temporary_file_does_not_stop_a_csv_write(tmp_path):
    path = tmp_path / "crosstab.csv"
    (tmp_path / ".crosstab.csv.partial").mkdir()  # in the way of the old fixed name
    write_csv(pd.DataFrame({"n": [1]}), path)
    assert path.read_text(encoding="utf-8") == "n\n1\n"


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

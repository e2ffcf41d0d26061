"""Code frequency by group, checked against a table counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlite_utils

from coding.frequency import code_frequency, frequency_table
from coding.tidy import ALL, FREQUENCY_COLUMNS, FREQUENCY_EXTRA_COLUMNS, UNCODED
from surveyapp.store.codings import Codebook
from surveyapp.store.migrations import migrate

# Six answers: four from staff, two from constituents.
ANSWERS = pd.DataFrame(
    [
        ("staff", 1, "money and people", "Staff"),
        ("staff", 2, "people left", "Staff"),
        ("staff", 3, "nothing to add", "Staff"),
        ("staff", 4, "vacant posts", "Staff"),
        ("constituents", 1, "the budget", "Constituents"),
        ("constituents", 2, "no idea", "Constituents"),
    ],
    columns=["survey", "response_id", "text", "group"],
)

# Coder ana: staff 1 has A and B, staff 2 and 4 have B, constituents 1 has A;
# staff 3 and constituents 2 are left uncoded.
#
#               All (base 6)     Constituents (base 2)    Staff (base 4)
#   B           3   3/6 = 0.50   0   0/2 = 0.00           3   3/4 = 0.75
#   A           2   2/6 = 0.33   1   1/2 = 0.50           1   1/4 = 0.25
#   (uncoded)   2   2/6 = 0.33   1   1/2 = 0.50           1   1/4 = 0.25
#
# B is more frequent than A, so it comes first though A was created first. The shares of All
# add up to 7/6: staff 1 is counted under both codes.
EXPECTED = [
    ("B", ALL, 3, 6, 3 / 6),
    ("B", "Constituents", 0, 2, 0 / 2),
    ("B", "Staff", 3, 4, 3 / 4),
    ("A", ALL, 2, 6, 2 / 6),
    ("A", "Constituents", 1, 2, 1 / 2),
    ("A", "Staff", 1, 4, 1 / 4),
    (UNCODED, ALL, 2, 6, 2 / 6),
    (UNCODED, "Constituents", 1, 2, 1 / 2),
    (UNCODED, "Staff", 1, 4, 1 / 4),
]


@pytest.fixture
def codebook(tmp_path):
    db = sqlite_utils.Database(tmp_path / "x.db")
    migrate(db)
    codebook = Codebook(db, "constraints")
    a = codebook.add_code("A", "ana")
    b = codebook.add_code("B", "ana")
    codebook.set_codes("staff", 1, [a, b], "ana")
    codebook.set_codes("staff", 2, [b], "ana")
    codebook.set_codes("staff", 3, [], "ana")
    codebook.assign("staff", 4, b, "ana")
    codebook.assign("constituents", 1, a, "ana")
    codebook.assign("staff", 5, a, "ana")  # an answer since emptied: not among the answers
    codebook.assign("constituents", 2, a, "ben")  # another coder's coding
    yield codebook
    db.close()


def as_rows(tidy: pd.DataFrame) -> list[tuple]:
    """Return the tidy table's rows in the CSV's columns, shares rounded to 6 places."""
    rows = tidy[FREQUENCY_COLUMNS].itertuples(index=False, name=None)
    return [(*row[:4], round(row[4], 6)) for row in rows]


def rounded(rows: list[tuple]) -> list[tuple]:
    return [(*row[:4], round(row[4], 6)) for row in rows]


def test_frequency_matches_the_table_counted_by_hand(codebook):
    tidy = code_frequency(codebook.coding("ana"), ANSWERS, ["A", "B"], min_cell=1)
    assert FREQUENCY_COLUMNS == ["code", "group", "respondents", "base", "share"]
    assert list(tidy.columns) == [*FREQUENCY_COLUMNS, *FREQUENCY_EXTRA_COLUMNS]
    assert not tidy.suppressed.any()
    assert as_rows(tidy) == rounded(EXPECTED)


def test_shares_can_add_up_to_more_than_all_respondents(codebook):
    tidy = code_frequency(codebook.coding("ana"), ANSWERS, ["A", "B"], min_cell=1)
    overall = tidy[tidy.group == ALL]
    assert overall.share.sum() == pytest.approx(7 / 6)
    assert overall.respondents.sum() == 7 > len(ANSWERS)


def test_repeated_coding_rows_count_a_respondent_once():
    coding = pd.DataFrame(
        [("staff", 1, "A"), ("staff", 1, "A"), ("staff", 2, "A")],
        columns=["survey", "response_id", "code"],
    )
    tidy = code_frequency(coding, ANSWERS, ["A"], min_cell=1)
    assert tidy.set_index(["code", "group"]).loc[("A", ALL), "respondents"] == 2
    assert tidy.set_index(["code", "group"]).loc[(UNCODED, ALL), "respondents"] == 4


@pytest.mark.parametrize(
    ("codes", "order"),
    [
        (["A", "B", "C"], ["A", "B", "C", UNCODED]),
        (["C", "B", "A"], ["B", "A", "C", UNCODED]),
    ],
)
def test_equally_frequent_codes_keep_the_codebook_order(codes, order):
    coding = pd.DataFrame(
        [("staff", 1, "A"), ("staff", 2, "B")], columns=["survey", "response_id", "code"]
    )
    tidy = code_frequency(coding, ANSWERS, codes, min_cell=1)
    assert list(dict.fromkeys(tidy.code)) == order
    unused = tidy[tidy.code == "C"]
    assert unused.respondents.tolist() == [0, 0, 0]
    assert unused.share.tolist() == [0, 0, 0]


def test_nothing_coded_leaves_everyone_uncoded():
    coding = pd.DataFrame(columns=["survey", "response_id", "code"])
    tidy = code_frequency(coding, ANSWERS, ["A"], min_cell=1)
    assert as_rows(tidy) == rounded(
        [
            ("A", ALL, 0, 6, 0),
            ("A", "Constituents", 0, 2, 0),
            ("A", "Staff", 0, 4, 0),
            (UNCODED, ALL, 6, 6, 1),
            (UNCODED, "Constituents", 2, 2, 1),
            (UNCODED, "Staff", 4, 4, 1),
        ]
    )


def test_frequency_table_has_a_row_per_code_and_n_and_share_per_group(codebook):
    wide = frequency_table(code_frequency(codebook.coding("ana"), ANSWERS, ["A", "B"], min_cell=1))
    assert wide.shape == (3, 6)
    assert list(wide.index) == ["B", "A", UNCODED]
    assert list(wide.columns) == [
        ("respondents", ALL),
        ("share", ALL),
        ("respondents", "Constituents"),
        ("share", "Constituents"),
        ("respondents", "Staff"),
        ("share", "Staff"),
    ]
    assert wide.loc["B", ("respondents", "Staff")] == 3
    assert wide.loc["A", ("share", "Constituents")] == pytest.approx(0.5)
    assert wide.loc[UNCODED, ("share", ALL)] == pytest.approx(2 / 6)


def test_groups_below_the_minimum_cell_have_no_numbers():
    # Constituents gave 2 answers and staff 4: with the default minimum of 5 both groups are
    # suppressed and only All (6) is shown; with a minimum of 3 staff are shown.
    coded = pd.DataFrame(
        [("staff", 1, "A"), ("constituents", 1, "A")], columns=["survey", "response_id", "code"]
    )
    tidy = code_frequency(coded, ANSWERS, ["A"])
    shown = tidy[~tidy.suppressed]
    assert set(shown.group) == {ALL}
    hidden = tidy[tidy.suppressed]
    assert set(hidden.group) == {"Constituents", "Staff"}
    assert hidden[["respondents", "base", "share"]].isna().all().all()
    lower = code_frequency(coded, ANSWERS, ["A"], min_cell=3).set_index(["code", "group"])
    assert lower.loc[("A", "Staff"), "respondents"] == 1
    assert lower.loc[("A", "Constituents"), "suppressed"]
    assert pd.isna(lower.loc[("A", "Constituents"), "respondents"])

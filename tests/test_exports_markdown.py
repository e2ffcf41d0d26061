"""Markdown of report tables: headings, pipe tables and notes, checked line by line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from exports.markdown import TableBlock, to_markdown

AGREEMENT = TableBlock(
    name="Relevance",
    title="Figure 2: gender and LNOB",
    table=pd.DataFrame(
        {
            "Answer": ["Agree", "Somewhat agree"],
            "Staff n": [20, 25],
            "Staff %": [0.45, 0.36],
            "Constituents %": ["suppressed", "suppressed"],
        }
    ),
    percent_columns=["Staff %", "Constituents %"],
    notes=["Base: n = substantive answers (Do not know excluded)", "Groups of fewer than 5"],
)
PRIORITIES = TableBlock(
    name="Table 6",
    title="Priority index",
    table=pd.DataFrame(
        {"Area": ["Informal Economy", "Climate Change"], "Staff": [4.71, 3.31], "n": [64.0, 61]}
    ),
)


def test_blocks_become_headings_tables_and_notes(tmp_path):
    path = tmp_path / "report.md"
    path.write_text(to_markdown([AGREEMENT, PRIORITIES]), encoding="utf-8")
    assert path.read_text(encoding="utf-8").splitlines() == [
        "## Figure 2: gender and LNOB",
        "",
        "| Answer | Staff n | Staff % | Constituents % |",
        "| --- | ---: | ---: | --- |",
        "| Agree | 20 | 45% | suppressed |",
        "| Somewhat agree | 25 | 36% | suppressed |",
        "",
        "Base: n = substantive answers (Do not know excluded)",
        "",
        "Groups of fewer than 5",
        "",
        "## Priority index",
        "",
        "| Area | Staff | n |",
        "| --- | ---: | ---: |",
        "| Informal Economy | 4.71 | 64 |",
        "| Climate Change | 3.31 | 61 |",
    ]


@pytest.mark.parametrize(
    "value, percent, shown",
    [
        (0.45, True, "45%"),
        (1.0, True, "100%"),
        (0.004, True, "0%"),
        (np.float64(0.2), True, "20%"),
        (4.71, False, "4.71"),
        (5.0, False, "5"),
        (np.int64(12), False, "12"),
        (np.nan, False, ""),
        (np.nan, True, ""),
        (None, False, ""),
        ("suppressed", True, "suppressed"),
        ("a | b", False, "a \\| b"),
        ("first line\nsecond", False, "first line second"),
        ("C:\\path|x", False, "C:\\\\path\\|x"),
    ],
)
def test_cells_are_formatted_and_escaped(value, percent, shown):
    block = TableBlock("t", "", pd.DataFrame({"x": [value]}), ["x"] if percent else [])
    assert to_markdown([block]).splitlines()[2] == f"| {shown} |"


def test_headers_are_escaped_and_an_empty_title_gives_no_heading():
    block = TableBlock("t", "", pd.DataFrame({"a|b": ["x"]}))
    assert to_markdown([block]) == "| a\\|b |\n| --- |\n| x |\n"


def test_a_named_index_becomes_the_first_column():
    table = pd.DataFrame({"share": [0.5]}, index=pd.Index(["Funding"], name="code"))
    text = to_markdown([TableBlock("t", "Codes", table, ["share"])])
    assert "| code | share |\n| --- | ---: |\n| Funding | 50% |" in text


def test_percentages_given_as_0_to_100_are_refused():
    block = TableBlock("t", "", pd.DataFrame({"%": [45.0]}), ["%"])
    with pytest.raises(ValueError, match="fractions 0-1"):
        to_markdown([block])


BANNER = TableBlock(
    name="Table 6",
    title="Priority index",
    table=pd.DataFrame(
        [["Informal Economy", 4.71, 4.83, 5.0, 4.43]],
        columns=pd.MultiIndex.from_tuples(
            [
                ("Item", "Item"),
                ("Staff", "Staff (n = 64)"),
                ("Staff by region", "Africa"),
                ("Staff by region", "Arab States"),
                ("Constituents", "Constituents"),
            ]
        ),
    ),  # fmt: skip
    decimal_columns=[("Staff", "Staff (n = 64)"), ("Staff by region", "Arab States")],
    header_blocks=True,
)


def test_a_header_of_blocks_is_one_heading_block_colon_group():
    lines = to_markdown([BANNER]).splitlines()
    assert lines[2] == (
        "| Item | Staff (n = 64) | Staff by region: Africa | Staff by region: Arab States"
        " | Constituents |"
    )
    assert lines[4] == "| Informal Economy | 4.71 | 4.83 | 5.00 | 4.43 |"

"""Excel workbooks of report tables, read back with openpyxl."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from exports.xlsx import TableBlock, sheet_names, write_workbook

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
# A workbook says a cell is text, so text is stored as written: no apostrophe in front. A
# carriage return too: openpyxl writes through lxml (python-docx needs it), which escapes it.
STORED = FORMULAS

AGREEMENT = TableBlock(
    name="Relevance",
    title="Figure 2: gender and LNOB, by survey",
    table=pd.DataFrame(
        {
            "Answer": ["Agree", "Somewhat agree", "Somewhat disagree", "Disagree"],
            "Staff n": [20, 25, 8, 3],
            "Staff %": [20 / 56, 25 / 56, 8 / 56, 3 / 56],
            "Constituents n": ["suppressed"] * 4,
            "Constituents %": ["suppressed"] * 4,
        }
    ),
    percent_columns=["Staff %", "Constituents %"],
    notes=[
        "Base: n = substantive answers (Do not know excluded)",
        "Groups with fewer than 5 answers are suppressed",
    ],
)
PRIORITIES = TableBlock(
    name="Table 6: priority index [staff/constituents]",
    title="Priority index (mean rating, 5 = top priority)",
    table=pd.DataFrame(
        {
            "Area": ["Informal Economy", "Financing of social protection", "Climate Change"],
            "Staff": [4.71, 4.59, 3.31],
            "Africa": [4.83, 4.75, 3.30],
            "Arab States": [np.nan, np.nan, np.nan],
            "Constituents and partners": [4.43, 5.00, 3.57],
        }
    ),
    notes=["Arab States: fewer than 5 ratings, suppressed"],
)
RESPONSES = pd.DataFrame(
    {
        "response_id": range(1, len(FORMULAS) + 1),
        "region": "africa",
        "comments": FORMULAS,
        "years": [3, -3, np.nan, 10, 1, 2],
    }
)
DICTIONARY = pd.DataFrame(
    {
        "column": ["response_id", "region", "comments", "years"],
        "question": ["", "region", "comments", "years"],
        "type": ["id", "single", "text", "number"],
        "label": ["Response", "Region", "Key factors that constrained results", "Years"],
    }
)


@pytest.fixture
def workbook(tmp_path):
    path = write_workbook(
        tmp_path / "report.xlsx",
        [AGREEMENT, PRIORITIES, TableBlock("relevance", "Again", AGREEMENT.table)],
        responses=RESPONSES,
        dictionary=DICTIONARY,
        title="Flagship Programme surveys",
    )
    return openpyxl.load_workbook(path)


def column_of(sheet, header: str, header_row: int = 2) -> int:
    """Return the 1-based column whose header is the given text."""
    for cell in sheet[header_row]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


def test_one_sheet_per_table_then_responses_and_dictionary(workbook):
    assert workbook.sheetnames == [
        "Relevance",
        "Table 6 priority index staffcon",
        "relevance (2)",
        "Responses",
        "Data dictionary",
    ]
    assert workbook.properties.title == "Flagship Programme surveys"


def test_table_sheet_has_bold_title_bold_header_and_frozen_header(workbook):
    sheet = workbook["Relevance"]
    assert sheet["A1"].value == "Figure 2: gender and LNOB, by survey"
    assert sheet["A1"].font.bold
    assert [c.value for c in sheet[2]] == list(AGREEMENT.table.columns)
    assert all(c.font.bold for c in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[3]] == ["Agree", 20, pytest.approx(20 / 56), "suppressed",
                                           "suppressed"]  # fmt: skip


def test_percentages_are_numbers_formatted_as_percent(workbook):
    sheet = workbook["Relevance"]
    percent, count = column_of(sheet, "Staff %"), column_of(sheet, "Staff n")
    for row in range(3, 7):
        assert sheet.cell(row, percent).number_format == "0%"
        assert isinstance(sheet.cell(row, percent).value, float)
        assert sheet.cell(row, count).data_type == "n"
        assert sheet.cell(row, count).number_format == "General"
    assert sheet.cell(3, column_of(sheet, "Constituents %")).data_type == "s"


def test_means_show_two_decimals_and_missing_cells_are_empty(workbook):
    sheet = workbook["Table 6 priority index staffcon"]
    staff = column_of(sheet, "Staff")
    assert [sheet.cell(row, staff).value for row in range(3, 6)] == [4.71, 4.59, 3.31]
    assert sheet.cell(3, staff).number_format == "0.00"
    arab = column_of(sheet, "Arab States")
    assert [sheet.cell(row, arab).value for row in range(3, 6)] == [None, None, None]


def test_notes_follow_the_table_after_a_blank_row(workbook):
    sheet = workbook["Relevance"]
    last = 2 + len(AGREEMENT.table)
    assert all(cell.value is None for cell in sheet[last + 1])
    assert [sheet.cell(last + 2, 1).value, sheet.cell(last + 3, 1).value] == AGREEMENT.notes


def test_columns_are_fitted_to_their_longest_value(workbook):
    sheet = workbook["Table 6 priority index staffcon"]
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDE"}
    assert widths["A"] >= len("Financing of social protection")
    assert widths["E"] >= len("Constituents and partners")
    assert widths["B"] < widths["A"]


@pytest.mark.parametrize(
    "sheet, freeze, header",
    [
        ("Responses", "A2", ["response_id", "region", "comments", "years"]),
        ("Data dictionary", "A2", ["column", "question", "type", "label"]),
    ],
)
def test_data_sheets_have_the_header_in_row_one_frozen(workbook, sheet, freeze, header):
    assert workbook[sheet].freeze_panes == freeze
    assert [c.value for c in workbook[sheet][1]] == header


def test_responses_read_back_with_pandas(workbook, tmp_path):
    frame = pd.read_excel(tmp_path / "report.xlsx", sheet_name="Responses")
    assert frame["response_id"].tolist() == list(range(1, 7))
    assert frame["years"].tolist()[:2] == [3, -3]  # numbers, never neutralised
    assert np.isnan(frame["years"].iloc[2])
    assert frame["comments"].tolist() == STORED


@pytest.mark.parametrize("row", range(2, 2 + len(FORMULAS)))
def test_formula_answers_are_stored_as_text(workbook, row):
    cell = workbook["Responses"].cell(row, 3)
    assert cell.data_type != "f"
    assert cell.data_type == "s"
    assert cell.value == STORED[row - 2]
    assert cell.quotePrefix  # Excel keeps the cell text when it is edited


def sheet_xml(path, name: str) -> str:
    """Return the XML of a workbook's sheet, found by its name."""
    book = openpyxl.load_workbook(path)
    position = book.sheetnames.index(name) + 1
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{position}.xml").decode("utf-8")


def test_the_file_holds_formula_like_answers_as_strings_without_an_apostrophe(tmp_path):
    frame = pd.DataFrame({"comments": ["- lack of resources", "=1+1", '=HYPERLINK("x","y")']})
    path = write_workbook(tmp_path / "x.xlsx", [], responses=frame)
    xml = sheet_xml(path, "Responses")
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    cells = dict(re.findall(r'<c r="(A\d+)"[^>]*t="inlineStr"[^>]*><is><t[^>]*>([^<]*)</t>', xml))
    assert cells == {
        "A1": "comments",
        "A2": "- lack of resources",
        "A3": "=1+1",
        "A4": '=HYPERLINK("x","y")',
    }


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice absent"
)
def test_libreoffice_shows_formula_like_answers_as_text(tmp_path):
    frame = pd.DataFrame({"comments": ["- lack of resources", "=1+1", "+2*3"]})
    path = write_workbook(tmp_path / "x.xlsx", [], responses=frame)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [office, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "csv", "--outdir", str(tmp_path / "out"), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    lines = (tmp_path / "out" / "x.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["comments", "- lack of resources", "=1+1", "+2*3"]


def test_titles_headers_labels_and_notes_are_text_too(tmp_path):
    block = TableBlock(
        name="=x",
        title="=cmd|' /C calc'!A0",
        table=pd.DataFrame({"=Answer": ["+Agree"], "-share": [0.5]}),
        percent_columns=["-share"],
        notes=["@note"],
    )
    sheet = openpyxl.load_workbook(write_workbook(tmp_path / "x.xlsx", [block]))["=x"]
    cells = [sheet["A1"], sheet["A2"], sheet["B2"], sheet["A3"], sheet["A5"]]
    assert [c.value for c in cells] == ["=cmd|' /C calc'!A0", "=Answer", "-share", "+Agree",
                                        "@note"]  # fmt: skip
    assert {c.data_type for c in cells} == {"s"}
    assert all(c.quotePrefix for c in cells)
    assert sheet["B3"].value == 0.5 and sheet["B3"].number_format == "0%"


def test_every_text_reads_back_as_written(tmp_path):
    texts = ["=x", "'=x", "'quoted"]
    block = TableBlock("t", "'=title", pd.DataFrame({"'=Answer": texts}), notes=["'@note"])
    responses = pd.DataFrame({"comments": texts})
    book = openpyxl.load_workbook(write_workbook(tmp_path / "x.xlsx", [block], responses))
    shown = [c.value for c in book["t"]["A"] if c.value is not None]
    assert shown == ["'=title", "'=Answer", *texts, "'@note"]
    assert [c.value for c in book["Responses"]["A"]] == ["comments", *texts]


def test_a_named_index_is_written_as_the_row_labels(tmp_path):
    table = pd.DataFrame({"share": [0.25, 0.75]}, index=pd.Index(["B", "A"], name="code"))
    path = write_workbook(tmp_path / "x.xlsx", [TableBlock("Codes", "Codes", table, ["share"])])
    sheet = openpyxl.load_workbook(path)["Codes"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["code", "share"],
        ["B", 0.25],
        ["A", 0.75],
    ]


def test_the_file_is_replaced_whole_and_nothing_is_left_behind(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"old")
    write_workbook(path, [PRIORITIES])
    assert openpyxl.load_workbook(path).sheetnames == ["Table 6 priority index staffcon"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_percentages_over_one_are_refused_and_the_old_file_kept(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"old")
    block = TableBlock("P", "P", pd.DataFrame({"x": ["a"], "%": [45.0]}), ["%"])
    with pytest.raises(ValueError, match="fractions 0-1"):
        write_workbook(path, [block])
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_control_characters_excel_cannot_hold_are_dropped(tmp_path):
    frame = pd.DataFrame({"comments": ["bell\x07 and\x00 nul", "tab\tkept"]})
    path = write_workbook(tmp_path / "x.xlsx", [], responses=frame)
    sheet = openpyxl.load_workbook(path)["Responses"]
    assert [sheet["A2"].value, sheet["A3"].value] == ["bell and nul", "tab\tkept"]


@pytest.mark.parametrize(
    "names, reserved, expected",
    [
        (["Table 6: means [staff]"], (), ["Table 6 means staff"]),
        (["a/b\\c?d*e"], (), ["abcde"]),
        (["x" * 40], (), ["x" * 31]),
        (["Staff", "staff", "STAFF"], (), ["Staff", "staff (2)", "STAFF (3)"]),
        (["x" * 40, "x" * 35], (), ["x" * 31, "x" * 27 + " (2)"]),
        (["", "[]"], (), ["Sheet", "Sheet (2)"]),
        (["'quoted'"], (), ["quoted"]),
        (["History"], (), ["History table"]),
        (["Responses"], ("Responses",), ["Responses (2)"]),
    ],
)
def test_sheet_names_are_valid_and_unique(names, reserved, expected):
    assert sheet_names(names, reserved) == expected


def test_two_level_headers_are_joined_and_percent_columns_matched(tmp_path):
    # The shape of coding.frequency.frequency_table: codes as a named index, (measure, group).
    columns = pd.MultiIndex.from_tuples([("respondents", "All"), ("share", "All")])
    table = pd.DataFrame([[3, 0.5]], index=pd.Index(["Funding"], name="code"), columns=columns)
    block = TableBlock("Codes", "Figure 16", table, percent_columns=[("share", "All")])
    sheet = openpyxl.load_workbook(write_workbook(tmp_path / "x.xlsx", [block]))["Codes"]
    assert [c.value for c in sheet[2]] == ["code", "respondents All", "share All"]
    assert [c.value for c in sheet[3]] == ["Funding", 3, 0.5]
    assert sheet["C3"].number_format == "0%" and sheet["B3"].number_format == "General"


def test_a_header_of_blocks_is_merged_over_its_groups(tmp_path):
    columns = pd.MultiIndex.from_tuples(
        [("Item", "Item"), ("Staff", "Staff (n = 64)"), ("Staff by region", "Africa"),
         ("Staff by region", "Africa n"), ("Staff by region", "Arab States (n = 6)"),
         ("Constituents", "Constituents (n = 9)")]
    )  # fmt: skip
    table = pd.DataFrame([["Informal Economy", 4.71, 4.83, 6, 5.0, 4.43]], columns=columns)
    means = [c for c in columns[1:] if not c[1].endswith(" n")]
    block = TableBlock("Table 6", "Title", table, decimal_columns=means, header_blocks=True)
    sheet = openpyxl.load_workbook(write_workbook(tmp_path / "t6.xlsx", [block]))["Table 6"]
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A2:A3", "B2:B3", "C2:E2", "F2:F3"}
    assert [c.value for c in sheet[2]] == [
        "Item", "Staff (n = 64)", "Staff by region", None, None, "Constituents (n = 9)",
    ]  # fmt: skip
    assert [c.value for c in sheet[3]][2:5] == ["Africa", "Africa n", "Arab States (n = 6)"]
    assert [c.value for c in sheet[4]] == ["Informal Economy", 4.71, 4.83, 6, 5.0, 4.43]
    assert sheet["E4"].number_format == "0.00" and sheet["D4"].number_format == "General"
    assert sheet.freeze_panes == "B4"

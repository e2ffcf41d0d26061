"""The minimum cell, walked through every output: a small group shows nothing of itself.

Staff answer from four regions, one of them (Europe and Central Asia) with 3 respondents;
3 constituents answer too. With the default minimum cell of 5, neither small group may
show a number, a test place, or a quoted answer in any table, chart, file or page.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from click.testing import CliRunner

from coding.difference import significance
from surveyapp.analysis.survey_tables import make_crosstab
from surveyapp.cli import main
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.codings import Codebook
from surveyapp.testing import seed_responses

SMALL = "Europe and Central Asia"
REGIONS = ["africa"] * 13 + ["asia_pacific"] * 12 + ["arab_states"] * 12
CROSSTAB = "/evaluate/crosstabs/"
FREQUENCY = "/evaluate/coding/constraints/frequency"


@pytest.fixture
def small_groups(app, db, evaluator):
    """37 staff in three regions, 3 in Europe, 3 constituents; their constraints coded."""
    questionnaires = app.extensions["questionnaires"]
    staff = synthetic_responses(questionnaires["staff"], 40, seed=5)
    staff["response_id"] = range(1, 41)
    staff["region"] = REGIONS + ["europe_central_asia"] * 3
    staff["constraints"] = [f"Lack of staff and funds, case {i}" for i in range(37)] + [
        f"EUROPE SECRET {i}: the regional office was never consulted" for i in range(3)
    ]
    seed_responses(db, questionnaires["staff"], staff)
    partners = synthetic_responses(questionnaires["constituents"], 3, seed=5)
    partners["response_id"] = [1, 2, 3]
    partners["region"] = "africa"
    partners["constraints"] = [f"PARTNER SECRET {i}: the ministry was left out" for i in range(3)]
    seed_responses(db, questionnaires["constituents"], partners)
    book = Codebook(db, "constraints")
    common, rare, partner = (book.add_code(name, evaluator) for name in ("Common", "Rare", "Own"))
    for rid in range(1, 38):
        book.set_codes("staff", rid, [common], evaluator)
    for rid in range(38, 41):
        book.set_codes("staff", rid, [rare], evaluator)  # only Europe's answers carry it
    for rid in (1, 2, 3):
        book.set_codes("constituents", rid, [partner], evaluator)  # only constituents'
    return app


def rows_of(html: str) -> list[list[str]]:
    """Return the cells' texts of every table row of a page."""
    cells = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells.findall(row)]
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
    ]


def assert_row_suppressed(cells: list[str], label: str) -> None:
    """Check that every cell after the group's label says suppressed."""
    after = cells[cells.index(label) + 1 :]
    assert after and all(value == "suppressed" for value in after), cells


def test_every_crosstab_output_suppresses_the_small_group(client, auth, small_groups, tmp_path):
    auth.sign_in()
    query = "?survey=staff&by=region"
    listing = list(csv.DictReader(io.StringIO(
        client.get(f"{CROSSTAB}download.csv{query}").get_data(as_text=True))))  # fmt: skip
    small = [r for r in listing if r["group"] == SMALL]
    assert small and all(r["count"] == "" and r["percent"] == "" for r in small)
    assert all(r["count"] != "" for r in listing if r["group"] == "Africa")
    markdown = client.get(f"{CROSSTAB}download.md{query}").get_data(as_text=True)
    lines = [line.split(" | ") for line in markdown.splitlines() if f"| {SMALL} |" in line]
    assert lines
    for line in lines:
        assert_row_suppressed([cell.strip(" |") for cell in line], SMALL)
    workbook = tmp_path / "crosstab.xlsx"
    workbook.write_bytes(client.get(f"{CROSSTAB}download.xlsx{query}").data)
    sheet = openpyxl.load_workbook(workbook)["relevance"]
    found = [
        [c.value for c in row] for row in sheet.iter_rows() if SMALL in [c.value for c in row]
    ]
    assert found
    for values in found:
        assert_row_suppressed([v for v in values if v is not None], SMALL)
    page = client.get(f"{CROSSTAB}{query}").get_data(as_text=True)
    shown = [cells for cells in rows_of(page) if SMALL in cells]
    assert shown
    for cells in shown:
        assert_row_suppressed(cells, SMALL)
    assert f"{SMALL} (n &lt; 5) left out of every test" in page
    chart = client.get(f"{CROSSTAB}chart/relevance.svg{query}").get_data(as_text=True)
    assert "suppressed (n&lt;5)" in chart
    assert not re.search(r"n=[0-4]<", chart)


def test_every_mean_output_suppresses_the_small_group(client, auth, small_groups, tmp_path):
    auth.sign_in()
    query = "?survey=staff&by=region&stat=mean&question=priority_areas"
    listing = list(csv.DictReader(io.StringIO(
        client.get(f"{CROSSTAB}download.csv{query}").get_data(as_text=True))))  # fmt: skip
    small = [r for r in listing if r["group"] == SMALL]
    assert small and all(r["n"] == "" and r["mean"] == "" for r in small)
    page = client.get(f"{CROSSTAB}{query}").get_data(as_text=True)
    section = page[page.index('<section class="crosstab" id="priority_areas">') :]
    header, *body = rows_of(section)[:21]  # the mean table: its header, the 20 areas
    column = next(i for i, name in enumerate(header) if name.startswith(SMALL))
    assert header[column] == SMALL  # no n in its header, and no n column beside it
    assert f"{SMALL} n" not in header
    assert len(body) == 20 and all(cells[column] == "suppressed" for cells in body)
    assert f"{SMALL} (n &lt; 5) left out of every test" in page
    markdown = client.get(f"{CROSSTAB}download.md{query}").get_data(as_text=True)
    areas = next(part for part in markdown.split("\n## ") if "Informal Economy" in part)
    table = [line.strip("|").split(" | ") for line in areas.splitlines() if line.startswith("|")]
    column = next(i for i, name in enumerate(table[0]) if name.strip().startswith(SMALL))
    assert len(table) == 22 and all(cells[column].strip() == "suppressed" for cells in table[2:])
    workbook = tmp_path / "means.xlsx"
    workbook.write_bytes(client.get(f"{CROSSTAB}download.xlsx{query}").data)
    sheet = openpyxl.load_workbook(workbook)["priority_areas"]
    header = [c.value for c in sheet[2]]
    column = header.index(SMALL)
    areas = [row for row in sheet.iter_rows(min_row=3, max_row=22)]
    assert all(row[column].value == "suppressed" for row in areas)
    heat = client.get(f"{CROSSTAB}chart/priority_areas.svg{query}").get_data(as_text=True)
    assert "n=–" in heat and "suppressed (fewer than 5 ratings)" in heat


def test_tests_of_difference_leave_the_small_group_out(app, db, small_groups):
    questionnaires = app.extensions["questionnaires"]
    result = make_crosstab(db, questionnaires, ["staff"], "region", questions=["relevance"])
    [(block, _table)] = result.tables
    tests = result.tests(block)
    assert set(tests.left_out) == {f"{SMALL} (n < 5) left out"}
    assert set(tests.groups) <= {3}
    others = result.groups != SMALL
    alone = significance(result.frame[others], block, result.groups[others])
    full = tests[tests.comparison == "full scale"].reset_index(drop=True)
    assert list(full.statistic) == pytest.approx(list(alone.statistic), nan_ok=True)
    assert list(full.n) == list(alone.n)
    means = make_crosstab(db, questionnaires, ["staff"], "region", "mean",
                          questions=["priority_areas"])  # fmt: skip
    [(areas, _)] = means.tables
    rated = means.tests(areas)
    assert set(rated.left_out) == {f"{SMALL} (n < 5) left out"}
    assert set(rated.test) == {"Kruskal-Wallis H (2 df)"}


def test_code_frequency_page_csv_quotes_and_command_hide_small_groups(
    client, auth, small_groups, questionnaire_dir
):
    auth.sign_in()
    page = client.get(f"{FREQUENCY}?by=region&coder=ana").get_data(as_text=True)
    assert f"{SMALL} (n &lt; 5)" in page
    for cells in rows_of(page):
        if cells and cells[0] in ("Common", "Rare", "Own", "(uncoded)"):
            header = rows_of(page)[0]
            column = next(i for i, name in enumerate(header) if name.startswith(SMALL))
            assert cells[column] == "suppressed"
    assert "EUROPE SECRET" not in page  # the only answers coded Rare: Rare has no quote
    by_survey = client.get(f"{FREQUENCY}?by=survey&coder=ana").get_data(as_text=True)
    assert "Survey of constituents and partners (n &lt; 5)" in by_survey
    assert "PARTNER SECRET" not in by_survey
    assert "EUROPE SECRET" in by_survey  # staff, 40 of them, are shown and quoted
    download = client.get(f"{FREQUENCY}.csv?by=region&coder=ana").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(download)))
    assert list(rows[0]) == ["code", "group", "respondents", "base", "share"]
    small = [r for r in rows if r["group"] == SMALL]
    assert small and all(r["respondents"] == r["base"] == r["share"] == "" for r in small)
    lower = client.get(f"{FREQUENCY}?by=region&coder=ana&min_cell=3").get_data(as_text=True)
    assert f"{SMALL} (n = 3)" in lower and "EUROPE SECRET" in lower
    base = ["--db", small_groups.config["DATABASE"], "--questionnaires", str(questionnaire_dir)]
    command = [*base, "codes", "staff,constituents", "constraints", "--by", "region"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    small = [r for r in rows if r["group"] == SMALL]
    assert small and all(r["respondents"] == r["base"] == r["share"] == "" for r in small)
    shown = CliRunner().invoke(main, [*command, "--min-cell", "3"])
    rare = next(r for r in csv.DictReader(io.StringIO(shown.output))
                if r["group"] == SMALL and r["code"] == "Rare")  # fmt: skip
    assert (rare["respondents"], rare["base"]) == ("3", "3")
    refused = CliRunner().invoke(main, [*command, "--min-cell", "0"])
    assert refused.exit_code == 2

"""The crosstab, chart and export commands and the workspace's cross-tab page."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.testing import seed_responses


@pytest.fixture
def fielded(app, db):
    """Both surveys with synthetic responses (40 staff, 9 constituents), one hostile text."""
    questionnaires = app.extensions["questionnaires"]
    for survey, count in (("staff", 40), ("constituents", 9)):
        frame = synthetic_responses(questionnaires[survey], count, seed=3)
        frame["constraints"] = [f"answer {i}" for i in range(count)]
        frame.loc[0, "constraints"] = '=HYPERLINK("http://evil.example","click")'
        frame.loc[1, "constraints"] = "@SUM(A1:A9)"
        seed_responses(db, questionnaires[survey], frame)
    return app


def command(app, questionnaire_dir, *args, expect=0):
    """Run surveyapp over the app's database and questionnaires; return the result."""
    result = CliRunner().invoke(
        main,
        ["--db", app.config["DATABASE"], "--questionnaires", str(questionnaire_dir),
         *map(str, args)],
    )  # fmt: skip
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def run(fielded, questionnaire_dir):
    def invoke(*args, expect=0):
        return command(fielded, questionnaire_dir, *args, expect=expect)

    return invoke


def test_distribution_csv_is_tidy_with_survey_titles_as_groups(run):
    rows = list(
        csv.DictReader(io.StringIO(run("crosstab", "staff,constituents", "--by", "survey").output))
    )
    assert list(rows[0]) == [
        "survey",
        "question",
        "item",
        "item_label",
        "group",
        "value",
        "value_label",
        "count",
        "percent",
    ]
    assert {r["group"] for r in rows} == {
        "All",
        "Survey of ILO staff",
        "Survey of constituents and partners",
    }
    assert {r["survey"] for r in rows} == {"staff,constituents"}
    assert "relevance" in {r["question"] for r in rows}
    dk = [r for r in rows if r["value"] == "dont_know"]
    assert dk and all(r["percent"] == "" for r in dk)


def test_mean_csv_has_n_and_mean(run):
    rows = list(
        csv.DictReader(
            io.StringIO(run("crosstab", "staff", "--by", "region", "--stat", "mean").output)
        )
    )
    assert list(rows[0]) == ["survey", "question", "item", "item_label", "group", "n", "mean"]
    assert {"Africa", "All"} <= {r["group"] for r in rows}


def test_suppressed_groups_have_no_numbers_in_any_format(run, tmp_path):
    # 9 constituents split over 6 regions: every region has fewer than 5 answers.
    rows = list(
        csv.DictReader(io.StringIO(run("crosstab", "constituents", "--by", "region").output))
    )
    regional = [r for r in rows if r["group"] not in ("All",)]
    assert regional and all(r["count"] == "" and r["percent"] == "" for r in regional)
    markdown = run("crosstab", "constituents", "--by", "region", "--format", "md").output
    assert "suppressed" in markdown
    assert "fewer than 5 answers are suppressed" in markdown
    out = tmp_path / "c.xlsx"
    run("crosstab", "constituents", "--by", "region", "--format", "xlsx", "-o", out)
    book = openpyxl.load_workbook(out)
    values = [c.value for ws in book.worksheets[:1] for row in ws.iter_rows() for c in row]
    assert "suppressed" in values


def test_xlsx_has_a_sheet_per_question_with_percentages_and_notes(run, tmp_path):
    out = tmp_path / "staff.xlsx"
    run("crosstab", "staff", "--by", "survey", "--format", "xlsx", "-o", out)
    book = openpyxl.load_workbook(out)
    names = book.sheetnames
    assert "relevance" in names and "priority_areas" in names
    assert "Responses" in names and "Data dictionary" in names
    sheet = book["relevance"]
    assert sheet.freeze_panes is not None
    formats = {
        c.number_format for row in sheet.iter_rows() for c in row if isinstance(c.value, float)
    }
    assert "0%" in formats
    text = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("suppressed to preserve" in t for t in text)
    assert any("substantive answers" in t for t in text)


def test_formulas_never_reach_csv_or_xlsx(run, tmp_path):
    out = tmp_path / "staff.csv"
    run("export", "staff", "-o", out)
    answers = [r["constraints"] for r in csv.DictReader(out.open())]
    assert answers[0] == '\'=HYPERLINK("http://evil.example","click")'
    assert answers[1] == "'@SUM(A1:A9)"
    book_path = tmp_path / "staff.xlsx"
    run("export", "staff", "--format", "xlsx", "-o", book_path)
    sheet = openpyxl.load_workbook(book_path)["Responses"]
    cells = [
        c
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and all(c.data_type == "s" and c.value.startswith("=") for c in cells)


def test_neutralised_answers_import_back_as_written(run, tmp_path, app, questionnaire_dir):
    out = tmp_path / "staff.csv"
    run("export", "staff", "-o", out)
    fresh = tmp_path / "fresh.db"
    result = CliRunner().invoke(
        main,
        [
            "--db",
            str(fresh),
            "--questionnaires",
            str(questionnaire_dir),
            "import-responses",
            "staff",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    from surveyapp.store.connection import connect

    stored = connect(str(fresh))["responses_staff"].get(1)["constraints"]
    assert stored == '=HYPERLINK("http://evil.example","click")'


def test_sav_export_carries_variable_and_value_labels(run, tmp_path):
    import pyreadstat

    out = tmp_path / "staff.sav"
    run("export", "staff", "--format", "sav", "-o", out)
    frame, meta = pyreadstat.read_sav(str(out))
    assert len(frame) == 40
    labels = meta.column_names_to_labels
    assert any(label and "In which region do you work?" in label for label in labels.values())
    value_labels = meta.variable_value_labels
    region = next(
        name for name, label in labels.items() if label and label.startswith("In which region")
    )
    assert "Africa" in value_labels[region].values()
    priority = next(name for name in value_labels if "informal_economy" in name)
    assert value_labels[priority][5.0] == "Top priority"


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_chart_command_draws_one_file_per_question(run, tmp_path, suffix):
    out = tmp_path / f"chart.{suffix}"
    run("chart", "staff,constituents", "--by", "survey", "-o", out)
    files = sorted(tmp_path.glob(f"chart-*.{suffix}"))
    assert any("relevance" in f.name for f in files)
    assert all(f.stat().st_size > 1000 for f in files)
    heat = tmp_path / f"heat.{suffix}"
    run(
        "chart",
        "staff",
        "--by",
        "region",
        "--stat",
        "mean",
        "--question",
        "priority_areas",
        "-o",
        heat,
    )
    assert heat.stat().st_size > 1000


def test_chart_refuses_other_file_types(run, tmp_path):
    result = run("chart", "staff", "-o", tmp_path / "chart.pdf", expect=2)
    assert ".png or .svg" in result.output


def test_weighted_crosstab_by_poststratification(run):
    plain = run("crosstab", "staff,constituents", "--by", "survey").output
    weighted = run(
        "crosstab", "staff,constituents", "--by", "survey",
        "--poststratify", "survey", "--shares", "staff=0.5,constituents=0.5",
    ).output  # fmt: skip
    assert plain != weighted
    bad = run("crosstab", "staff", "--poststratify", "survey", "--shares", "staff=2", expect=2)
    assert "sum to 1" in bad.output


def test_workspace_shows_tables_charts_and_downloads(client, auth, fielded):
    auth.sign_in()
    page = client.get("/evaluate/crosstabs/?survey=staff&survey=constituents&by=survey")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Survey of constituents and partners" in html
    assert "/evaluate/crosstabs/chart/relevance.svg" in html
    chart = client.get(
        "/evaluate/crosstabs/chart/relevance.svg?survey=staff&survey=constituents&by=survey"
    )
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    for fmt in ("csv", "xlsx", "md"):
        download = client.get(
            f"/evaluate/crosstabs/download.{fmt}?survey=staff&by=region&stat=mean"
        )
        assert download.status_code == 200, fmt
        assert "attachment" in download.headers["Content-Disposition"]
    bad = client.get("/evaluate/crosstabs/?survey=staff&survey=constituents&by=office")
    assert bad.status_code == 400
    assert "not a single-choice question" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/evaluate/crosstabs/",
        "/evaluate/crosstabs/download.csv",
        "/evaluate/crosstabs/chart/relevance.svg",
    ],
)
def test_crosstabs_need_an_evaluator(client, path):
    response = client.get(path)
    assert response.status_code == 302


@pytest.fixture
def whole_means(app, db):
    """12 staff who rate every area, Informal Economy 4 by all; Health left out by two."""
    questionnaires = app.extensions["questionnaires"]
    staff = questionnaires["staff"]
    frame = synthetic_responses(staff, 12, seed=8)
    areas = [c.name for c in staff.columns() if c.name.startswith("priority_areas.")]
    for number, column in enumerate(areas):
        frame[column] = [str(1 + (number + i) % 5) for i in range(12)]
    frame["priority_areas.informal_economy"] = "4"
    frame.loc[[0, 1], "priority_areas.health"] = None
    seed_responses(db, staff, frame)
    return app


def test_mean_tables_give_n_and_two_decimals_everywhere(
    whole_means, questionnaire_dir, client, auth, tmp_path
):
    def run(*args):
        return command(whole_means, questionnaire_dir, *args)

    query = ["staff", "--by", "survey", "--stat", "mean", "--question", "priority_areas"]
    markdown = run("crosstab", *query, "--format", "md").output
    lines = [line.strip("|").split(" | ") for line in markdown.splitlines() if "|" in line]
    header = [cell.strip() for cell in lines[0]]
    # n is 12 for every area but Health (10): the staff column has an n column beside it
    assert header == ["Item", "All", "All n", "Survey of ILO staff", "Survey of ILO staff n"]
    rows = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in lines[2:]}
    assert rows["Informal Economy"] == ["4.00", "12", "4.00", "12"]
    assert rows["Health"][1] == rows["Health"][3] == "10"
    assert all(re.fullmatch(r"\d\.\d\d", row[0]) for row in rows.values())
    out = tmp_path / "means.xlsx"
    run("crosstab", *query, "--format", "xlsx", "-o", out)
    sheet = openpyxl.load_workbook(out)["priority_areas"]
    assert [c.value for c in sheet[2]] == header
    informal = next(
        row for row in sheet.iter_rows(min_row=3) if row[0].value == "Informal Economy"
    )
    assert [c.value for c in informal[1:]] == [4.0, 12, 4.0, 12]
    assert informal[1].number_format == "0.00" and informal[2].number_format == "General"
    auth.sign_in()
    page = client.get("/evaluate/crosstabs/?survey=staff&by=survey&stat=mean")
    html = page.get_data(as_text=True)
    assert '<th scope="col">All n</th>' in html
    assert re.search(r"Informal Economy</th><td>4\.00</td><td>12</td><td>4\.00</td>", html)


def test_constant_n_goes_in_the_header(run):
    markdown = run("crosstab", "staff", "--by", "region", "--stat", "mean",
                   "--question", "priority_areas", "--format", "md").output  # fmt: skip
    header = markdown.splitlines()[2]
    assert "All (n = 40) |" in header  # synthetic staff rate every area
    assert re.search(r"\| Africa \(n = \d+\) \|", header)


def test_weighted_counts_are_labelled_and_the_counts_stay_respondents(run, client, auth):
    weighting = ["--poststratify", "survey", "--shares", "staff=0.5,constituents=0.5"]
    both = ["crosstab", "staff,constituents", "--by", "survey", "--question", "relevance"]
    plain = list(csv.DictReader(io.StringIO(run(*both).output)))
    weighted = list(csv.DictReader(io.StringIO(run(*both, *weighting).output)))
    assert list(weighted[0])[7:10] == ["count", "weighted_count", "percent"]
    assert "weighted_count" not in plain[0]
    assert [r["count"] for r in weighted] == [r["count"] for r in plain]
    dont_know = [
        r for r in weighted if r["value"] == "dont_know" and r["count"] not in ("", "0.0")
    ]
    assert dont_know and any(r["weighted_count"] != r["count"] for r in dont_know)
    markdown = run(*both, *weighting, "--format", "md").output
    header = [cell.strip() for cell in markdown.splitlines()[2].strip("|").split(" | ")]
    assert "Do not know (count)" in header and "Do not know (weighted count)" in header
    rows = [line.strip("|").split(" | ") for line in markdown.splitlines()[4:7]]
    counts = [row[header.index("Do not know (count)")].strip() for row in rows]
    assert all(re.fullmatch(r"\d+", count) for count in counts)  # respondents, whole
    weights = [row[header.index("Do not know (weighted count)")].strip() for row in rows]
    assert all(re.fullmatch(r"\d+\.\d\d", value) for value in weights)
    assert "n and counts are numbers of respondents" in markdown
    auth.sign_in()
    html = client.get("/evaluate/crosstabs/?survey=staff&survey=constituents&by=survey").get_data(
        as_text=True
    )
    assert "Do not know (weighted count)" not in html  # the workspace does not weight


def test_workspace_tests_every_table_with_effect_sizes(client, auth, fielded, db):
    from scipy import stats

    from surveyapp.analysis.survey_tables import make_crosstab

    auth.sign_in()
    both = "/evaluate/crosstabs/?survey=staff&survey=constituents&by=survey"
    answers = client.get(both).get_data(as_text=True)
    assert "full scale" in answers
    assert "Agree + Somewhat agree vs Somewhat disagree + Disagree" in answers
    assert "Cramér&#39;s V" in answers
    assert "unreliable" not in answers
    ratings = client.get(f"{both}&stat=mean").get_data(as_text=True)
    assert "Mann-Whitney U" in ratings and "rank-biserial r" in ratings
    result = make_crosstab(db, fielded.extensions["questionnaires"], ["staff", "constituents"],
                           "survey", "mean", questions=["priority_areas"])  # fmt: skip
    [(block, _table)] = result.tables
    row = result.tests(block).set_index("item").loc["informal_economy"]
    column = result.frame["priority_areas.informal_economy"].astype(float)
    staff = column[result.frame.survey == "staff"].dropna()
    partners = column[result.frame.survey == "constituents"].dropna()
    expected = stats.mannwhitneyu(staff, partners, alternative="two-sided")
    assert row.statistic == pytest.approx(expected.statistic)
    assert row.p_value == pytest.approx(expected.pvalue)
    assert row.effect_size == pytest.approx(
        2 * expected.statistic / (len(staff) * len(partners)) - 1
    )
    assert f"{row.p_value:.3f}" in ratings and f"rank-biserial r {row.effect_size:.2f}" in ratings
    regions = client.get("/evaluate/crosstabs/?survey=constituents&by=region&stat=mean").get_data(
        as_text=True
    )
    assert "fewer than two groups to compare: no test" in regions
    assert "(each n &lt; 5) left out" in regions

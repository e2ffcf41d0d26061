"""The crosstab, chart and export commands and the workspace's cross-tab page."""

from __future__ import annotations

import csv
import io

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


@pytest.fixture
def run(fielded, questionnaire_dir):
    def invoke(*args, expect=0):
        result = CliRunner().invoke(
            main,
            [
                "--db",
                fielded.config["DATABASE"],
                "--questionnaires",
                str(questionnaire_dir),
                *map(str, args),
            ],
        )
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

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
    assert cells and all(c.data_type != "f" and c.value.startswith("'") for c in cells)


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

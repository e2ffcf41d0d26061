"""The SPSS export codes answers as the workspace counts them: read back and run in PSPP."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import shutil
import subprocess

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from surveyapp.analysis.report_files import write_responses_sav
from surveyapp.cli import main
from surveyapp.questionnaire.loading import parse_questionnaire
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.testing import seed_responses

AGREEMENT = [
    {"name": "agree", "label": "Agree", "value": 4},
    {"name": "somewhat_agree", "label": "Somewhat agree", "value": 3},
    {"name": "somewhat_disagree", "label": "Somewhat disagree", "value": 2},
    {"name": "disagree", "label": "Disagree", "value": 1},
    {"name": "dont_know", "label": "Do not know", "missing": True},
]
REGIONS = [{"name": "africa", "label": "Africa"}, {"name": "global", "label": "Global"}]
ITEMS = [{"name": "a", "label": "Item A"}, {"name": "b", "label": "Item B"}]
SURVEY = parse_questionnaire(
    {
        "id": "coded",
        "title": "Coded",
        "pages": [
            {
                "name": "all",
                "questions": [
                    {"name": "region", "type": "select_one", "label": "R", "choices": REGIONS},
                    {
                        "name": "views",
                        "type": "grid",
                        "label": "V",
                        "choices": AGREEMENT,
                        "items": ITEMS,
                    },
                    {
                        "name": "rating",
                        "type": "select_one",
                        "label": "Rating",
                        "choices": [
                            {"name": "3", "label": "High"},
                            {"name": "2", "label": "Middle"},
                            {"name": "1", "label": "Low"},
                        ],
                    },
                    {
                        "name": "topics",
                        "type": "select_multiple",
                        "label": "T",
                        "choices": REGIONS,
                    },
                    {"name": "order", "type": "rank", "label": "O", "items": ITEMS},
                    {"name": "years", "type": "integer", "label": "Y", "min": 0, "max": 40},
                    {"name": "share", "type": "decimal", "label": "S"},
                    {"name": "started", "type": "date", "label": "When"},
                    {"name": "why", "type": "text", "label": "Why"},
                ],
            }  # fmt: skip
        ],
    }
)


def question(name):
    return SURVEY.question(name)


@pytest.mark.parametrize(
    "name, codes",
    [
        ("views", {"agree": 4, "somewhat_agree": 3, "somewhat_disagree": 2, "disagree": 1,
                   "dont_know": 5}),  # the values; Do not know numbered on from 4
        ("region", {"africa": 1, "global": 2}),  # no values: 1, 2, ... in choice order
        ("rating", {"3": 3, "2": 2, "1": 1}),  # no values, whole-number names: the names
        ("topics", {0: 0, 1: 1}),
        ("order", {1: 1, 2: 2}),
        ("years", None),
        ("started", None),
        ("why", None),
    ],
)  # fmt: skip
def test_each_type_says_the_codes_of_its_values(name, codes):
    assert question(name).kind.value_codes(question(name)) == codes


def test_a_choice_without_a_value_among_valued_ones_follows_the_largest():
    survey = parse_questionnaire(
        {"id": "x", "title": "X", "pages": [{"name": "p", "questions": [
            {"name": "q", "type": "select_one", "label": "Q", "choices": [
                {"name": "na", "label": "Not applicable", "missing": True},
                {"name": "high", "label": "High", "value": 2.5},
                {"name": "low", "label": "Low", "value": 1},
                {"name": "dk", "label": "Do not know", "missing": True}]}]}]}
    )  # fmt: skip
    q = survey.question("q")
    assert q.kind.value_codes(q) == {"na": 3, "high": 2.5, "low": 1, "dk": 4}
    assert q.kind.missing_values(q) == ["na", "dk"]


@pytest.mark.parametrize(
    "name, level",
    [("region", "nominal"), ("views", "ordinal"), ("rating", "nominal"), ("topics", "nominal"),
     ("order", "ordinal"), ("years", "scale"), ("share", "scale"), ("started", "scale"),
     ("why", "nominal")],
)  # fmt: skip
def test_each_type_says_its_level_of_measurement(name, level):
    assert question(name).kind.measure_of(question(name)) == level


@pytest.fixture
def written(tmp_path):
    frame = pd.DataFrame(
        {
            "response_id": [1, 2, 3],
            "region": ["africa", "global", None],
            "views.a": ["agree", "dont_know", "somewhat_disagree"],
            "views.b": ["disagree", None, "dont_know"],
            "rating": ["3", "1", None],
            "topics.africa": pd.array([1, 0, None], dtype="Int64"),
            "topics.global": pd.array([0, 0, None], dtype="Int64"),
            "order.a": pd.array([1, 2, None], dtype="Int64"),
            "order.b": pd.array([2, 1, None], dtype="Int64"),
            "years": pd.array([3, 12, None], dtype="Int64"),
            "share": [12.5, None, 0.25],
            "started": ["2026-11-02", None, "2020-01-31"],
            "why": ["=1+1", "Funds", None],
        }
    )
    path = tmp_path / "coded.sav"
    write_responses_sav(frame, SURVEY, path)
    return pyreadstat.read_sav(str(path), user_missing=True)


def test_agreement_is_coded_by_its_values_and_do_not_know_is_missing(written):
    data, meta = written
    assert data["views.a"].tolist() == [4.0, 5.0, 2.0]
    assert meta.variable_value_labels["views.a"] == {
        4.0: "Agree",
        3.0: "Somewhat agree",
        2.0: "Somewhat disagree",
        1.0: "Disagree",
        5.0: "Do not know",
    }
    assert meta.missing_ranges["views.a"] == [{"lo": 5.0, "hi": 5.0}]
    assert set(meta.missing_ranges) == {"views.a", "views.b"}


def test_value_labels_match_the_codes_of_every_choice_column(written):
    _data, meta = written
    labels = meta.variable_value_labels
    assert labels["region"] == {1.0: "Africa", 2.0: "Global"}
    assert labels["rating"] == {3.0: "High", 2.0: "Middle", 1.0: "Low"}
    assert labels["topics.africa"] == {0.0: "not chosen", 1.0: "chosen"}
    assert labels["order.b"] == {1.0: "rank 1", 2.0: "rank 2"}


def test_levels_and_formats_say_what_each_column_holds(written):
    data, meta = written
    assert meta.variable_measure == {
        "response_id": "nominal", "region": "nominal", "views.a": "ordinal",
        "views.b": "ordinal", "rating": "nominal", "topics.africa": "nominal",
        "topics.global": "nominal", "order.a": "ordinal", "order.b": "ordinal",
        "years": "scale", "share": "scale", "started": "scale", "why": "nominal",
    }  # fmt: skip
    formats = meta.original_variable_types
    assert {formats[c] for c in ("region", "views.a", "rating", "topics.africa", "order.a")} == {
        "F1.0"
    }
    assert (formats["years"], formats["share"], formats["why"]) == ("F2.0", "F8.2", "A5")
    assert formats["started"] == "DATE11"
    assert data["started"].tolist()[0] == dt.date(2026, 11, 2)
    assert data["why"].tolist()[0] == "=1+1"  # a .sav file is no spreadsheet: text as given


@pytest.fixture
def fielded(app, db):
    """40 synthetic staff responses, "Do not know" among the agreement answers."""
    staff = app.extensions["questionnaires"]["staff"]
    seed_responses(db, staff, synthetic_responses(staff, 40, seed=3))
    return app


def cli(app, questionnaire_dir, *args):
    options = ["--db", app.config["DATABASE"], "--questionnaires", str(questionnaire_dir)]
    result = CliRunner().invoke(main, [*options, *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.skipif(shutil.which("pspp") is None, reason="PSPP absent (apt-get install pspp)")
def test_pspp_gives_the_workspace_means_of_the_agreement_items(
    fielded, questionnaire_dir, tmp_path
):
    sav = tmp_path / "staff.sav"
    cli(fielded, questionnaire_dir, "export", "staff", "--format", "sav", "-o", sav)
    table = cli(fielded, questionnaire_dir, "crosstab", "staff", "--stat", "mean").output
    workspace = {
        f"{row['question']}.{row['item']}": (int(row["n"]), float(row["mean"]))
        for row in csv.DictReader(io.StringIO(table))
        if row["group"] == "All"
    }
    statements = [name for name in workspace if not name.startswith("priority_areas.")]
    assert len(statements) >= 10
    raw, _meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert any((raw[name] == 5).any() for name in statements)  # Do not know was answered
    names = list(workspace)
    syntax = tmp_path / "means.sps"
    syntax.write_text(
        f"GET FILE='{sav}'.\n"
        f"DESCRIPTIVES VARIABLES={' '.join(names)} /STATISTICS=MEAN.\n"
        "COMPUTE whole = 1.\n"
        "AGGREGATE OUTFILE=* /BREAK=whole\n"
        + "".join(f" /m{i} = MEAN({name}) /n{i} = NU({name})\n" for i, name in enumerate(names))
        + ".\n"
        + f"FORMATS {' '.join(f'm{i}' for i in range(len(names)))} (F20.12).\n"
        "LIST.\n",
        encoding="utf-8",
    )
    out = tmp_path / "means.csv"
    subprocess.run(["pspp", "-O", "format=csv", "-o", str(out), str(syntax)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    text = out.read_text(encoding="utf-8")
    descriptives, listing = text.split("Table: Data List")
    rows = list(csv.reader(io.StringIO(descriptives)))[2 : 2 + len(names)]  # labelled rows
    header, values = list(csv.reader(io.StringIO(listing.strip())))
    aggregated = dict(zip(header, values, strict=True))
    for i, (name, (_label, n_shown, mean_shown)) in enumerate(zip(names, rows, strict=True)):
        n, mean = workspace[name]
        assert int(n_shown) == n, name  # Do not know is not counted
        assert float(mean_shown) == pytest.approx(mean, abs=0.005), name
        assert int(float(aggregated[f"n{i}"])) == n, name
        assert math.isclose(float(aggregated[f"m{i}"]), mean, abs_tol=1e-9), name

"""Importing choices: by label (export --labels round trip) and messages naming the choices."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.connection import connect
from surveyapp.store.responses import response_count
from surveyapp.testing import rewrite_cell, seed_responses

STAFF_REGIONS = (
    "africa, arab_states, asia_pacific, europe_central_asia, latin_america_caribbean, global"
)


@pytest.fixture
def fielded(app, db):
    """Synthetic responses to the demo and staff questionnaires, a label-like text among them."""
    for survey, count in (("demo", 8), ("staff", 12)):
        questionnaire = app.extensions["questionnaires"][survey]
        frame = synthetic_responses(questionnaire, count, seed=5)
        if survey == "staff":
            frame.loc[0, "constraints"] = "- lack of resources"
        seed_responses(db, questionnaire, frame)
    return app


@pytest.fixture
def run(questionnaire_dir, fielded, tmp_path):
    def invoke(*args, db=fielded.config["DATABASE"], expect=0):
        options = ["--db", str(db), "--questionnaires", str(questionnaire_dir)]
        result = CliRunner().invoke(main, [*options, *map(str, args)])
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.mark.parametrize("survey", ["demo", "staff"])
def test_an_export_with_labels_imports_back_with_labels(run, tmp_path, survey):
    labelled = tmp_path / "labelled.csv"
    run("export", survey, "--labels", "-o", labelled)
    assert "Agree" in labelled.read_text() or "Do not know" in labelled.read_text()
    fresh = tmp_path / "fresh.db"
    result = run("import-responses", survey, labelled, "--labels", db=fresh)
    assert "responses imported" in result.output
    original = run("export", survey).stdout
    assert run("export", survey, db=fresh).stdout == original
    assert run("export", survey, "--labels", db=fresh).stdout == labelled.read_text()


def test_names_are_not_labels(run, tmp_path):
    names = tmp_path / "names.csv"
    run("export", "demo", "-o", names)
    result = run("import-responses", "demo", names, "--labels", db=tmp_path / "x.db", expect=1)
    shown = r"line 2, column 'region': '(africa|other)' is not one of the labels 'Africa', 'Other'"
    assert re.search(shown, result.output)
    assert response_count(connect(str(tmp_path / "x.db")), "demo") == 0


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("region", "Afrika", "column 'region': 'Afrika' is not one of the labels 'Africa', "
                             "'Arab States', 'Asia and the Pacific', 'Europe and Central Asia',"
                             " 'Latin America and the Caribbean', 'Global / headquarters'"),
        ("relevance.gender_lnob", "agree",
         "column 'relevance.gender_lnob': 'agree' is not one of the labels 'Agree', "
         "'Somewhat agree', 'Somewhat disagree', 'Disagree', 'Do not know'"),
        ("fp_support_received.tsf", "yes",
         "column 'fp_support_received.tsf': 'yes' is not one of the labels 'not chosen', "
         "'chosen'"),
    ],
)  # fmt: skip
def test_a_label_that_matches_no_choice_names_line_column_and_labels(
    run, tmp_path, column, value, message
):
    labelled = tmp_path / "labelled.csv"
    run("export", "staff", "--labels", "-o", labelled)
    rewrite_cell(labelled, 3, column, value)
    fresh = tmp_path / "fresh.db"
    result = run("import-responses", "staff", labelled, "--labels", db=fresh, expect=1)
    assert f"line 3, {message}" in result.output
    assert "Please choose one of the answers offered" not in result.output
    assert response_count(connect(str(fresh)), "staff") == 0


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("region", "afrika", f"'afrika' is not one of {STAFF_REGIONS}"),
        ("relevance.gender_lnob", "Agree",
         "'Agree' is not one of agree, somewhat_agree, somewhat_disagree, disagree, dont_know"),
        ("priority_areas.informal_economy", "6", "'6' is not one of 5, 4, 3, 2, 1"),
        ("pillars.knowledge", "9", "'9' is not one of 1, 2, 3, 4"),
        ("fp_support_received.tsf", "2", "must be 0, 1 or empty"),
    ],
)  # fmt: skip
def test_a_choice_that_is_not_one_lists_the_valid_names(run, tmp_path, column, value, message):
    names = tmp_path / "names.csv"
    run("export", "staff", "-o", names)
    rewrite_cell(names, 3, column, value)
    result = run("import-responses", "staff", names, db=tmp_path / "fresh.db", expect=1)
    assert f"line 3, column '{column}': {message}" in result.output
    assert result.output.count(f"line 3, column '{column}'") == 1  # one message per cell
    assert "Please choose one of the answers offered" not in result.output


def test_the_web_form_keeps_its_message_for_respondents(app):
    from surveyapp.questionnaire.forms import CHOOSE_ONE

    assert CHOOSE_ONE == "Please choose one of the answers offered."

"""XLSForms in: forms built here with openpyxl are imported, checked, served and answered."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.loading import load_questionnaire
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations
from surveyapp.store.responses import response_count
from surveyapp.testing import Respondent, answers_for
from surveyapp.web import create_app
from surveyapp.xlsform.errors import XLSFormError
from surveyapp.xlsform.importing import import_xlsform, make_id
from surveyapp.xlsform.reading import language_code, read_xlsform

CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "non_é", "No", "Non"],
]
SETTINGS = [
    ["form_id", "form_title", "default_language"],
    ["Household-Survey", "Homes", "English (en)"],
]
HEAD = ["type", "name", "label::English (en)", "label::Français (fr)", "required", "relevant",
        "constraint", "appearance"]  # fmt: skip
# One form with every supported feature, blank rows included.
EVERYTHING = [
    HEAD,
    ["start", "start"],
    ["begin group", "welcome", "Welcome", "Bienvenue"],
    ["note", "hello", "Hello", "Bonjour"],
    ["end group"],
    [],
    ["select_one yn", "père", "Father?", "Père ?", "yes"],
    ["integer", "Age", "Age", "Âge", "TRUE", None, ". >= 0 and . <= 40"],
    ["begin group", "more", "More", "Plus", None, "${père} = 'yes'", None, "field-list"],
    ["text", "why", "Why", "Pourquoi", None, None, None, "multiline"],
    ["select_multiple yn or_other", "which", "Which", "Lesquels"],
    ["begin group", "sub", "Details", "Détails"],
    ["decimal", "share", "Share", "Part", None, None, ". >= 0.5"],
    ["end group"],
    ["end group"],
    ["begin group", "rate", "Rate", "Notez", None, None, None, "table-list"],
    ["select_one yn", "r1", "One", "Un", "yes"],
    ["select_one yn", "r2", "Two", "Deux", "yes"],
    ["end group"],
    ["rank yn", "order", "Order", "Classez"],
    ["select_one yn", "pick", "Pick", "Choisissez", None, None, None, "minimal"],
    ["date", "when", "When", "Quand"],
]


def workbook(path: Path, survey, choices=CHOICES, settings=SETTINGS) -> Path:
    """Write an XLSForm with these rows on its survey, choices and settings sheets."""
    book = openpyxl.Workbook()
    book.active.title = "survey"
    for sheet, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        target = book[sheet] if sheet in book.sheetnames else book.create_sheet(sheet)
        for row in rows:
            target.append(row)
    book.save(path)
    return path


def imported(tmp_path, survey, **sheets):
    """Import a form made of these rows; return the mapping and the notes."""
    return import_xlsform(workbook(tmp_path / "form.xlsx", survey, **sheets))


def question(survey: dict, name: str) -> dict:
    """Return one question of an imported mapping."""
    return next(q for p in survey["pages"] for q in p["questions"] if q["name"] == name)


def run(*args, expect=0):
    """Run a surveyapp command that needs no database; return the click result."""
    result = CliRunner().invoke(main, [*map(str, args)])
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def answer_to_the_end(tmp_path, path: Path) -> int:
    """Serve an imported questionnaire, answer every page; return the completed responses."""
    folder = tmp_path / "served"
    folder.mkdir()
    questionnaire = load_questionnaire(path)
    (folder / path.name).write_bytes(path.read_bytes())
    database = str(tmp_path / "survey.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-only", "DATABASE": database,
                      "QUESTIONNAIRES": str(folder)})  # fmt: skip
    db = connect(app.config["DATABASE"])
    token = create_invitations(db, questionnaire.id, 1, {})[0]
    person = Respondent(app.test_client(), f"/s/{questionnaire.id}/{token}")
    person.open()
    answers = {}
    for each in questionnaire.questions:
        answers.update(answers_for(each))
    for _ in range(len(questionnaire.pages) + 1):
        if "Thank you" in person.page.get_data(as_text=True):
            break
        assert person.submit(answers).status_code == 302, person.page.get_data(as_text=True)
    assert "Thank you" in person.page.get_data(as_text=True)
    return response_count(db, questionnaire.id)


def test_every_supported_feature_is_converted(tmp_path):
    survey, notes = imported(tmp_path, EVERYTHING)
    assert survey["id"] == "household_survey" and survey["title"] == "Homes"
    assert survey["languages"] == ["en", "fr"]
    assert [p["name"] for p in survey["pages"]] == [
        "welcome", "pere", "age", "more", "rate", "order", "pick", "when"]  # fmt: skip
    assert survey["pages"][0]["questions"][0]["type"] == "note"
    father = question(survey, "pere")
    assert father["xlsform_name"] == "père" and father["required"] is True
    assert father["label"] == {"en": "Father?", "fr": "Père ?"}
    assert survey["choice_lists"]["yn"][1] == {
        "name": "non_e", "label": {"en": "No", "fr": "Non"}, "xlsform_name": "non_é"}  # fmt: skip
    assert question(survey, "age")["min"] == 0 and question(survey, "age")["max"] == 40
    shown_if = {"question": "pere", "equals": "yes"}
    assert question(survey, "why") == {
        "name": "why", "type": "text", "label": {"en": "Why", "fr": "Pourquoi"},
        "appearance": "multiline", "relevant": shown_if}  # fmt: skip
    assert question(survey, "which")["choices"] == "yn_or_other"
    assert survey["choice_lists"]["yn_or_other"][-1] == {"name": "other", "label": "Other"}
    other = question(survey, "which_other")
    assert other["type"] == "text"
    assert other["relevant"] == {"all": [shown_if, {"question": "which", "contains": "other"}]}
    heading = question(survey, "sub")
    assert heading["type"] == "note" and heading["label"]["en"] == "Details"
    assert question(survey, "share")["min"] == 0.5
    grid = question(survey, "rate")
    assert grid["type"] == "grid" and grid["choices"] == "yn" and grid["required"] is True
    assert [item["name"] for item in grid["items"]] == ["r1", "r2"]
    assert [item["name"] for item in question(survey, "order")["items"]] == ["yes", "non_e"]
    assert question(survey, "pick")["appearance"] == "dropdown"
    assert question(survey, "when")["type"] == "date"
    assert "sheet survey, row 2: start 'start' is metadata, not a question: skipped" in notes
    assert "sheet survey, row 7: 'père' is named 'pere'" in notes
    assert "sheet choices, row 3: choice 'non_é' of list 'yn' is named 'non_e'" in notes


def test_the_imported_form_is_checked_served_and_answered_to_the_end(tmp_path):
    form = workbook(tmp_path / "household.xlsx", EVERYTHING)
    output = tmp_path / "household.yaml"
    result = run("import-xlsform", form, "-o", output)
    assert "note: sheet survey, row 7: 'père' is named 'pere'" in result.stderr
    assert "survey 'household_survey' (8 pages, 12 questions) written to" in result.stderr
    assert "ok: survey 'household_survey'" in run("check", output).output
    assert answer_to_the_end(tmp_path, output) == 1


def test_a_grid_item_named_in_a_condition_reads_its_column(tmp_path):
    survey, _ = imported(tmp_path, [
        HEAD,
        ["begin group", "rate", "Rate", "Notez", None, None, None, "table-list"],
        ["select_one yn", "r1", "One", "Un"],
        ["select_one yn", "r2", "Two", "Deux"],
        ["end group"],
        ["text", "why", "Why", "Pourquoi", None, "${r1} = 'non_é'"],
    ])  # fmt: skip
    assert question(survey, "why")["relevant"] == {"question": "rate.r1", "equals": "non_e"}


def test_questions_outside_groups_get_a_page_each_in_order(tmp_path):
    survey, _ = imported(tmp_path, [
        ["type", "name", "label"],
        ["text", "first", "First"],
        ["begin_group", "middle", "Middle"],
        ["integer", "second", "Second"],
        ["end_group"],
        ["text", "third", "Third"],
    ], choices=None, settings=None)  # fmt: skip
    assert [[q["name"] for q in p["questions"]] for p in survey["pages"]] == [
        ["first"], ["second"], ["third"]]  # fmt: skip
    assert survey["id"] == "form" and survey["title"] == "form"
    assert survey["languages"] == ["en"] and survey["pages"][0]["questions"][0]["label"] == "First"


def test_language_columns_without_a_code_and_a_plain_label(tmp_path):
    survey, _ = imported(tmp_path, [
        ["TYPE", "Name", "Label:english", "label::Español (es)", "hint:english"],
        ["text", "job", "Your job", "Su trabajo", "One line"],
    ], choices=None, settings=None)  # fmt: skip
    assert survey["languages"] == ["en", "es"]
    assert question(survey, "job")["label"] == {"en": "Your job", "es": "Su trabajo"}
    assert question(survey, "job")["hint"] == {"en": "One line"}
    plain, _ = imported(tmp_path, [
        ["type", "name", "label", "label::French (fr)"],
        ["text", "job", "Your job", "Votre travail"],
    ], choices=None, settings=[["default_language"], ["English (en)"]])  # fmt: skip
    assert question(plain, "job")["label"] == {"en": "Your job", "fr": "Votre travail"}
    assert [language_code(x) for x in ("French (fr)", "fr", "Español", "english")] == [
        "fr", "fr", "es", "en"]  # fmt: skip


def test_blank_rows_keep_the_spreadsheet_row_numbers(tmp_path):
    path = workbook(tmp_path / "blank.xlsx", [HEAD, [], [], ["text", "a", "A", "A"]])
    assert [row.number for row in read_xlsform(path).rows("survey")] == [4]
    with pytest.raises(XLSFormError) as refused:
        imported(tmp_path, [["type", "name", "label", "calculation"], [], ["text", "a", "A"], [],
                            ["calculate", "b", None, "1 + 1"]])  # fmt: skip
    assert str(refused.value).startswith("sheet survey, row 5, column type: type 'calculate'")


def test_columns_the_format_lacks_are_noted_not_refused(tmp_path):
    _, notes = imported(tmp_path, [
        ["type", "name", "label", "constraint", "appearance", "default", "required"],
        ["integer", "n", "N", ". mod 2 = 0", None, "4", "yes"],
        ["text", "t", "T", None, "numbers"],
    ], choices=None, settings=None)  # fmt: skip
    assert "sheet survey, row 2: constraint '. mod 2 = 0' is not enforced" in notes
    assert "sheet survey, row 2: default '4' ignored: questions start empty" in notes
    assert "sheet survey, row 3: appearance 'numbers' ignored" in notes


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["geopoint", "where", "Where"], "row 3, column type: type 'geopoint': locations"),
        (["image", "photo", "Photo"], "type 'image': photos, sound, video and files"),
        (["range", "r", "R"], "type 'range': a range (slider) question is not supported"),
        (["begin repeat", "kids", "Kids"], "type 'begin repeat': repeated groups"),
        (["text", "t", "T", "${a} + 1 > 3"], "row 3, column relevant:"),
    ],
)
def test_what_the_format_cannot_say_is_refused_with_its_place(tmp_path, row, message):
    rows = [["type", "name", "label", "relevant"], ["integer", "a", "A"], row]
    if row[0] == "begin repeat":
        rows.append(["end repeat"])
    with pytest.raises(XLSFormError) as refused:
        imported(tmp_path, rows, choices=None, settings=None)
    assert message in str(refused.value)


def test_a_form_pyxform_refuses_is_refused_with_its_message(tmp_path):
    with pytest.raises(XLSFormError) as refused:
        imported(tmp_path, [["type", "name", "label"], ["select_one nolist", "q", "Q"]])
    assert str(refused.value).startswith("pyxform refuses the form: ")
    assert "nolist" in str(refused.value)


def test_the_command_writes_nothing_when_it_refuses(tmp_path):
    form = workbook(
        tmp_path / "bad.xlsx", [["type", "name", "calculation"], ["calculate", "c", "2"]]
    )
    output = tmp_path / "bad.yaml"
    result = run("import-xlsform", form, "-o", output, expect=1)
    assert "bad.xlsx: sheet survey, row 2, column type: type 'calculate'" in result.stderr
    assert not output.exists() and list(tmp_path.glob("*.yaml*")) == []
    missing = run("import-xlsform", tmp_path / "none.xlsx", expect=1)
    assert "none.xlsx: no such file" in missing.stderr


def test_the_command_writes_to_stdout_without_a_file(tmp_path):
    form = workbook(tmp_path / "small.xlsx", [["type", "name", "label"], ["text", "t", "T"]],
                    choices=None, settings=None)  # fmt: skip
    result = run("import-xlsform", form)
    assert yaml.safe_load(result.stdout)["pages"][0]["questions"][0]["name"] == "t"


def test_names_become_valid_unused_ids():
    used = {"age"}
    assert make_id("Age", used) == "age_2"
    assert make_id("père", used) == "pere"
    assert make_id("1st", used) == "q_1st"


FORMS = Path(__file__).resolve().parent / "data" / "xlsforms"
# Real forms written by others (tests/data/xlsforms/SOURCES.md): each imported and answered.
SERVED = [
    "kobo_battery_life.xls", "kobo_matrix.xlsx", "kobo_mch_v1.xls", "kobo_sample_accent.xlsx",
    "kobo_unicode_relevant.xlsx", "odk_constraint_on_selected.xlsx", "odk_default.xlsx",
    "odk_multiple_languages.xlsx", "odk_rank.xlsx", "odk_required_message.xlsx",
    "pyxform_extra_sheet_names.xlsx", "pyxform_field_list.xlsx", "pyxform_group.xlsx",
    "pyxform_group_relevant.xlsx", "pyxform_group_type.xlsx", "pyxform_hints_in_group.xlsx",
    "pyxform_or_other_nested_groups.xlsx", "pyxform_phone_number.xlsx",
    "pyxform_rank_translations.xlsx", "pyxform_specify_other.xlsx", "pyxform_table_list.xlsx",
    "pyxform_table_list_example.xls", "pyxform_text_and_integer.xlsx",
    "pyxform_xl_date_ambiguous_v1.xlsx",
]  # fmt: skip
# ... and the ones outside the format, each refused with its place and why.
REFUSED = {
    "kobo_expenses.xlsx": "row 13, column type: type 'image': photos, sound, video and files",
    "kobo_matrix_with_integer.xlsx": "row 5, column type: a Kobo matrix column of type 'int",
    "kobo_gps.xls": "row 2, column type: type 'geopoint': locations are not supported",
    "odk_range.xlsx": "row 2, column type: type 'range'",
    "odk_select_one_from_file.xlsx": "row 2, column type: type 'select_one_from_file",
    "pyxform_calculate.xls": "row 2, column type: type 'calculate'",
    "pyxform_choice_filter_test.xlsx": "row 3, column choice_filter: cascading selects",
    "pyxform_or_other_choice_filter.xlsx": "row 3, column choice_filter: cascading selects",
    "pyxform_pull_data.xlsx": "row 2, column type: type 'calculate'",
    "pyxform_tutorial.xls": "row 2, column type: type 'begin repeat': repeated groups",
    "pyxform_ucl_biomass_plot.xlsx": "row 16, column type: type 'select_one_from_file UCL_reg",
}


@pytest.mark.parametrize("name", SERVED)
def test_a_real_form_is_imported_checked_served_and_answered(tmp_path, name):
    output = tmp_path / f"{Path(name).stem}.yaml"
    result = run("import-xlsform", FORMS / name, "-o", output)
    assert "written to" in result.stderr
    assert ": ok: survey" in run("check", output).output
    assert answer_to_the_end(tmp_path, output) == 1


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_real_form_outside_the_format_is_refused(tmp_path, name):
    output = tmp_path / f"{Path(name).stem}.yaml"
    result = run("import-xlsform", FORMS / name, "-o", output, expect=1)
    assert f"{name}: sheet survey, {REFUSED[name]}" in result.stderr
    assert not output.exists()


def test_selected_on_a_select_one_reads_as_equals():
    survey, _ = import_xlsform(FORMS / "kobo_unicode_relevant.xlsx")
    assert question(survey, "marital_other")["relevant"] == {
        "question": "respondent_marital", "equals": "other"}  # fmt: skip


def test_a_table_list_of_one_select_one_is_a_grid_of_one_item(tmp_path):
    survey, _ = imported(tmp_path, [
        HEAD,
        ["begin group", "rate", "Rate", "Notez", None, None, None, "table-list"],
        ["select_one yn", "r1", "One", "Un"],
        ["end group"],
    ])  # fmt: skip
    assert question(survey, "rate")["type"] == "grid"
    assert [item["name"] for item in question(survey, "rate")["items"]] == ["r1"]


def test_date_and_count_selected_bounds_become_the_formats_own(tmp_path):
    survey, notes = imported(tmp_path, [
        ["type", "name", "label", "constraint"],
        ["date", "born", "Born", ". >= date('1920-01-01') and . <= date('2010-12-31')"],
        ["select_multiple yn", "both", "Both", "count-selected(.) <= 1"],
        ["integer", "n", "N", ". > 0 and . < 10"],
        ["date", "seen", "Seen", ". <= today()"],
    ], choices=[["list_name", "name", "label"], ["yn", "y", "Y"], ["yn", "n", "N"]],
        settings=None)  # fmt: skip
    assert (question(survey, "born")["min"], question(survey, "born")["max"]) == (
        "1920-01-01", "2010-12-31")  # fmt: skip
    assert question(survey, "both")["max_choices"] == 1
    assert (question(survey, "n")["min"], question(survey, "n")["max"]) == (1, 9)
    assert "min" not in question(survey, "seen")
    assert "sheet survey, row 5: constraint '. <= today()' is not enforced" in notes


@pytest.mark.parametrize(
    ("spelling", "kind", "other"),
    [
        ("select one yn", "select_one", False),
        ("select1 yn", "select_one", False),
        ("select one from yn", "select_one", False),
        ("select one from yn or specify other", "select_one", True),
        ("select all that apply from yn", "select_multiple", False),
        ("select all that apply yn or other", "select_multiple", True),
        ("add select one prompt using yn", "select_one", False),
    ],
)
def test_pyxforms_other_spellings_of_a_select_are_read(tmp_path, spelling, kind, other):
    survey, _ = imported(tmp_path, [["type", "name", "label"], [spelling, "q", "Q"]])
    assert question(survey, "q")["type"] == kind
    assert ("q_other" in {q["name"] for p in survey["pages"] for q in p["questions"]}) is other


def test_bind_columns_are_read_as_pyxform_reads_them(tmp_path):
    survey, _ = imported(tmp_path, [
        ["type", "name", "label", "bind::relevant", "bind::constraint", "bind::required"],
        ["select_one yn", "q", "Q"],
        ["integer", "n", "N", "${q} = 'yes'", ". <= 72", "true()"],
    ])  # fmt: skip
    assert question(survey, "n")["relevant"] == {"question": "q", "equals": "yes"}
    assert (question(survey, "n")["max"], question(survey, "n")["required"]) == (72, True)

"""XLSForm export: what pyxform converts without warning, from the command and the workspace."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from surveyapp.cli import main
from surveyapp.questionnaire.loading import load_questionnaire, parse_questionnaire
from surveyapp.questionnaire.model import QuestionnaireError
from surveyapp.xlsform.exporting import export_xlsform

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _loadable(paths):
    found = []
    for path in sorted(paths):
        try:
            load_questionnaire(path)
        except QuestionnaireError:
            continue
        found.append(path)
    return found


SHIPPED = sorted((ROOT / "questionnaires").glob("*.yaml"))
TEST_FORMS = _loadable(DATA.glob("*.yaml"))


def exported(questionnaire) -> bytes:
    body = io.BytesIO()
    export_xlsform(questionnaire, body)
    return body.getvalue()


def sheets(content: bytes) -> dict[str, list[dict]]:
    """Return each sheet's rows as mappings of header to the non-empty cells."""
    workbook = load_workbook(io.BytesIO(content))
    result = {}
    for sheet in workbook:
        header, *rows = sheet.iter_rows(values_only=True)
        result[sheet.title] = [
            {key: value for key, value in zip(header, row, strict=True) if value is not None}
            for row in rows
        ]
    return result


# pyxform's warning about a language code that is not IANA's ("eng"): an imported form's
# languages keep the codes the form gave them, so that its data dictionary comes back
LANGUAGE_CODES = "The following language declarations do not contain valid machine-readable"


def converted(content: bytes, allowed: str | None = None) -> str:
    """Return pyxform's XForm of an XLSForm, asserting it gave no warning (but `allowed`)."""
    warnings: list[str] = []
    result = convert(io.BytesIO(content), warnings=warnings, file_type=".xlsx")
    assert [w for w in warnings if not (allowed and w.startswith(allowed))] == []
    return result.xform


def survey_row(form, name: str) -> dict:
    [row] = [r for r in form["survey"] if r.get("name") == name and r["type"] != "end group"]
    return row


def test_the_shipped_forms_and_test_forms_are_there():
    assert [p.name for p in SHIPPED] == ["constituents.yaml", "staff.yaml"]
    assert {p.name for p in TEST_FORMS} >= {"demo.yaml", "demo_trilingual.yaml"}


@pytest.mark.parametrize("path", SHIPPED + TEST_FORMS, ids=lambda p: p.name)
def test_pyxform_converts_every_export_without_error_or_warning(path):
    questionnaire = load_questionnaire(path)
    xform = converted(exported(questionnaire))
    for question in questionnaire.questions:
        assert f"/{question.name}" in xform


def test_the_staff_questionnaire_keeps_its_languages_pages_grids_and_ranking():
    questionnaire = load_questionnaire(ROOT / "questionnaires" / "staff.yaml")
    form = sheets(exported(questionnaire))
    assert form["settings"] == [
        {
            "form_id": "staff",
            "form_title": "Survey of ILO staff",
            "default_language": "English (en)",
            "version": questionnaire.version,
        }
    ]
    groups = [r for r in form["survey"] if r["type"] == "begin group"]
    pages = [r for r in groups if r.get("appearance") == "field-list"]
    # a group named like a question would make ${relevance} name two elements
    assert [r["name"] for r in pages] == [
        "relevance_page" if p.name == "relevance" else p.name for p in questionnaire.pages
    ]
    assert pages[0]["label::French (fr)"] == "À propos de vous"
    grids = [q for q in questionnaire.questions if q.type == "grid"]
    assert [r["name"] for r in groups if r.get("appearance") == "table-list"] == [
        q.name for q in grids
    ]
    region = survey_row(form, "region")
    assert region["type"] == "select_one region" and region["required"] == "yes"
    assert region["label::Spanish (es)"] == "¿En qué región trabaja?"
    assert region["hint::French (fr)"].startswith("Choisissez «\u00a0Mondial / siège\u00a0»")
    assert survey_row(form, "pillars")["type"] == "rank pillars"
    assert survey_row(form, "constraints")["appearance"] == "multiline"
    years = survey_row(form, "years")
    assert years["constraint"] == ". >= 0 and . <= 50"
    assert years["relevant"] == "${fp_project} = 'yes'"
    assert years["constraint_message::French (fr)"] == (
        "Veuillez indiquer un nombre compris entre 0 et 50."
    )
    agreement = [c for c in form["choices"] if c["list_name"] == "agreement"]
    assert [(c["name"], c.get("score"), c.get("missing")) for c in agreement] == [
        ("agree", 4, None),
        ("somewhat_agree", 3, None),
        ("somewhat_disagree", 2, None),
        ("disagree", 1, None),
        ("dont_know", None, "yes"),
    ]
    assert agreement[-1]["label::Spanish (es)"] == "No sé"


def test_a_grid_is_a_table_list_of_selects_named_after_its_items():
    questionnaire = load_questionnaire(DATA / "demo.yaml")
    form = sheets(exported(questionnaire))
    rows = form["survey"]
    start = rows.index(survey_row(form, "statements"))
    assert rows[start] == {
        "type": "begin group",
        "name": "statements",
        "label::English (en)": "Do you agree?",
        "label::French (fr)": "Do you agree?",
        "appearance": "table-list",
    }
    assert rows[start + 1 : start + 4] == [
        {"type": "select_one agreement", "name": "one", "required": "yes",
         "label::English (en)": "Statement one", "label::French (fr)": "Statement one"},
        {"type": "select_one agreement", "name": "two", "required": "yes",
         "label::English (en)": "Statement two", "label::French (fr)": "Statement two"},
        {"type": "end group", "name": "statements"},
    ]  # fmt: skip
    xform = converted(exported(questionnaire))
    assert 'appearance="list-nolabel"' in xform  # pyxform's table-list, header row and all
    assert 'appearance="label"' in xform


def test_the_demo_types_constraints_and_conditions():
    questionnaire = load_questionnaire(DATA / "demo.yaml")
    form = sheets(exported(questionnaire))
    assert survey_row(form, "organisation")["appearance"] == "minimal"  # dropdown
    topics = survey_row(form, "topics")
    assert topics["type"] == "select_multiple topics"
    assert topics["constraint"] == "count-selected(.) <= 2"
    assert topics["constraint_message::French (fr)"] == "Veuillez choisir au plus 2 réponses."
    assert survey_row(form, "media_note")["type"] == "note"
    assert survey_row(form, "media_partner")["relevant"] == "selected(${topics}, 'media')"
    countries = survey_row(form, "countries")
    assert countries["type"] == "integer" and countries["required"] == "yes"
    assert countries["constraint"] == ". >= 1 and . <= 54"
    assert countries["relevant"] == "${region} = 'africa'"
    assert survey_row(form, "share")["type"] == "decimal"
    constraints = survey_row(form, "constraints")
    assert constraints["constraint"] == "string-length(.) <= 50"  # max_length: 50
    assert constraints["constraint_message::English (en)"] == (
        "Please keep this under 50 characters."
    )
    assert "constraint" not in survey_row(form, "region_other")  # the default length
    pillars = [c["name"] for c in form["choices"] if c["list_name"] == "pillars"]
    assert pillars == ["a", "b", "c"]
    # a text given in English only is given in English in the French column too
    assert survey_row(form, "region_other")["label::French (fr)"] == "Which region?"
    xform = converted(exported(questionnaire))
    assert 'jr:constraintMsg="jr:itext(' in xform
    assert "odk:rank" in xform


def test_conditions_on_grid_items_name_the_item_question():
    form = sheets(exported(load_questionnaire(DATA / "demo_trilingual.yaml")))
    relevants = {r["name"]: r["relevant"] for r in form["survey"] if "relevant" in r}
    assert "${one} = 'disagree'" in relevants.values()
    assert not any("statements." in text for text in relevants.values())


def definition(**changes) -> dict:
    raw = {
        "id": "small",
        "title": "Small",
        "pages": [
            {
                "name": "office",
                "title": "Office",
                "intro": "About your office.",
                "questions": [
                    {"name": "office", "type": "select_one", "label": "=Office",
                     "choices": [{"name": "hq", "label": "HQ"},
                                 {"name": "field", "label": "Field"}]},
                    {"name": "started", "type": "date", "label": "Started",
                     "min": "2020-01-01", "max": "2026-11-02"},
                ],
            },
            {
                "name": "more",
                "questions": [
                    {"name": "why", "type": "text", "label": "Why?",
                     "relevant": {"question": "office", "equals": "field"}},
                ],
            },
        ],
    }  # fmt: skip
    return {**raw, **changes}


def test_a_page_named_like_a_question_gets_a_group_name_of_its_own():
    questionnaire = parse_questionnaire(definition(description="Welcome."))
    content = exported(questionnaire)
    form = sheets(content)
    names = [r["name"] for r in form["survey"] if r["type"] == "begin group"]
    assert names == ["office_page", "more"]
    assert [r["name"] for r in form["survey"][1:3]] == ["description", "office_intro"]
    assert form["survey"][1]["label::English (en)"] == "Welcome."
    assert form["settings"][0]["default_language"] == "English (en)"
    converted(content)


def test_dates_bounds_and_a_label_that_looks_like_a_formula():
    content = exported(parse_questionnaire(definition()))
    started = survey_row(sheets(content), "started")
    assert started["constraint"] == ". >= date('2020-01-01') and . <= date('2026-11-02')"
    assert started["constraint_message::English (en)"] == (
        "Please give a date from 2020-01-01 to 2026-11-02."
    )
    cell = load_workbook(io.BytesIO(content))["survey"]["C4"]
    assert cell.value == "=Office" and cell.data_type == "s"
    converted(content)


def test_the_command_writes_the_form_whole(run, tmp_path):
    target = tmp_path / "out" / "staff.xlsx"
    run("export-xlsform", "staff", "-o", target, expect=2)  # no folder out/: said, not made
    target.parent.mkdir()
    result = run("export-xlsform", "staff", "-o", target)
    assert "staff: XLSForm written to" in result.output
    assert list(target.parent.iterdir()) == [target]  # no partial file left beside it
    converted(target.read_bytes())
    assert sheets(target.read_bytes())["settings"][0]["form_id"] == "staff"


def test_the_command_needs_a_known_survey_and_an_output(run, tmp_path):
    result = run("export-xlsform", "nosuch", "-o", tmp_path / "x.xlsx", expect=2)
    assert "no survey 'nosuch'" in result.output
    assert "Missing option '-o'" in run("export-xlsform", "staff", expect=2).output
    assert not (tmp_path / "x.xlsx").exists()


def test_the_survey_page_downloads_the_xlsform(client, auth, run, tmp_path):
    assert client.get("/evaluate/surveys/demo/xlsform.xlsx").status_code == 302
    auth.sign_in()
    page = client.get("/evaluate/surveys/demo").get_data(as_text=True)
    assert "/evaluate/surveys/demo/xlsform.xlsx" in page
    assert "Download as XLSForm" in page
    download = client.get("/evaluate/surveys/demo/xlsform.xlsx")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="demo-xlsform.xlsx"'
    assert download.mimetype.endswith("spreadsheetml.sheet")
    converted(download.data)
    run("export-xlsform", "demo", "-o", tmp_path / "demo.xlsx")
    assert sheets(download.data) == sheets((tmp_path / "demo.xlsx").read_bytes())
    assert client.get("/evaluate/surveys/nosuch/xlsform.xlsx").status_code == 404


# --- the round trip: import-xlsform of the export gives the same data dictionary ---

FORMS = DATA / "xlsforms"


def _importing_forms() -> list[Path]:
    """Return the test forms SOURCES.md lists as importing."""
    text = (FORMS / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split("## Forms that import", 1)[1].split("\n## ", 1)[0]
    names = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    return [FORMS / name for name in names]


def round_trip(questionnaire, tmp_path):
    """Export a questionnaire, import the export; return the questionnaire imported."""
    from surveyapp.xlsform.importing import import_xlsform

    path = tmp_path / f"{questionnaire.id}.xlsx"
    export_xlsform(questionnaire, path)
    survey, _notes = import_xlsform(path)
    return parse_questionnaire(survey, str(path))


def assert_same_dictionary_and_conditions(questionnaire, back):
    from surveyapp.questionnaire.dictionary import data_dictionary

    assert data_dictionary(back).to_csv(index=False) == (
        data_dictionary(questionnaire).to_csv(index=False)
    )
    assert [(q.name, q.relevant) for q in back.questions if q.type != "note"] == [
        (q.name, q.relevant) for q in questionnaire.questions if q.type != "note"
    ]
    # a choice's value and missing come back from the extra columns score and missing
    assert _choices(back) == _choices(questionnaire)


def _choices(questionnaire) -> list:
    return [
        (q.name, [(c.name, c.value, c.missing) for c in q.choices])
        for q in questionnaire.questions
        if q.type != "note"
    ]


def test_the_forms_that_import_are_listed():
    assert len(_importing_forms()) >= 14
    assert all(path.exists() for path in _importing_forms())


@pytest.mark.parametrize("path", SHIPPED + TEST_FORMS, ids=lambda p: p.name)
def test_a_questionnaire_comes_back_from_its_xlsform(path, tmp_path):
    questionnaire = load_questionnaire(path)
    assert_same_dictionary_and_conditions(questionnaire, round_trip(questionnaire, tmp_path))


@pytest.mark.parametrize("path", _importing_forms(), ids=lambda p: p.name)
def test_an_imported_form_comes_back_from_its_export(path, tmp_path):
    from surveyapp.xlsform.importing import import_xlsform

    survey, _notes = import_xlsform(path)
    imported = parse_questionnaire(survey, str(path))
    converted(exported(imported), allowed=LANGUAGE_CODES)
    assert_same_dictionary_and_conditions(imported, round_trip(imported, tmp_path))


def test_an_imported_form_is_exported_with_its_own_names():
    from surveyapp.xlsform.importing import import_xlsform

    survey, _notes = import_xlsform(FORMS / "kobo_sample_accent.xlsx")
    form = sheets(exported(parse_questionnaire(survey)))
    names = {row["name"] for row in form["choices"]}
    assert {"père", "té", "tête"} <= names  # imported as pere, te, tete


def test_the_command_writes_to_a_pipe(run):
    result = run("export-xlsform", "demo", "-o", "-")
    form = result.stdout_bytes
    assert form.startswith(b"PK")  # a workbook, not text
    assert sheets(form)["settings"][0]["form_id"] == "demo"


QUOTED = """\
id: quoted
title: Quoted
pages:
  - name: one
    questions:
      - {name: nickname, type: text, label: Your nickname}
      - name: why
        type: text
        label: Why?
        relevant: {question: nickname, equals: "it's \\"me\\""}
"""


@pytest.fixture
def quoted_survey(questionnaire_dir):
    """A survey whose condition compares with a text holding both kinds of quotes."""
    (questionnaire_dir / "quoted.yaml").write_text(QUOTED, encoding="utf-8")
    return "quoted"


def test_a_condition_xlsform_cannot_write_is_refused_in_words(quoted_survey, run, client,
                                                              auth, tmp_path):  # fmt: skip
    target = tmp_path / "quoted.xlsx"
    result = run("export-xlsform", quoted_survey, "-o", target, expect=1)
    assert "quoted: no XLSForm written:" in result.output
    assert "both kinds of quotes" in result.output
    assert list(tmp_path.glob("*.xlsx")) == list(tmp_path.glob(".*partial"))  # nothing
    auth.sign_in()
    response = client.get("/evaluate/surveys/quoted/xlsform.xlsx")
    assert response.status_code == 400
    assert "quoted: no file written:" in response.get_data(as_text=True)


@pytest.mark.skipif(
    shutil.which("java") is None, reason="ODK Validate (bundled with pyxform) needs Java"
)
@pytest.mark.parametrize("path", SHIPPED + TEST_FORMS, ids=lambda p: p.name)
def test_odk_validate_accepts_every_export(path, tmp_path):
    form = tmp_path / "form.xlsx"
    export_xlsform(load_questionnaire(path), form)
    warnings: list[str] = []
    convert(form, warnings=warnings, validate=True)  # JavaRosa, as ODK Collect reads it
    assert warnings == []


def test_the_staff_dictionary_comes_back_through_the_commands(run, tmp_path):
    form = tmp_path / "staff.xlsx"
    run("export-xlsform", "staff", "-o", form)
    folder = tmp_path / "back"
    folder.mkdir()
    run("import-xlsform", form, "-o", folder / "staff.yaml")
    before = run("dictionary", "staff", "--format", "csv").output
    options = ["--db", tmp_path / "back.db", "--questionnaires", folder]
    after = CliRunner().invoke(
        main, [*map(str, options), "dictionary", "staff", "--format", "csv"]
    )
    assert after.exit_code == 0, after.output
    assert after.output == before

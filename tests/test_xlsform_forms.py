"""XLSForms written by others (tests/data/xlsforms, see SOURCES.md): imported or refused.

Each supported form is imported, written as YAML, checked like `surveyapp check`, served by
the real app and answered page by page to the thank-you page; each form outside the scope
is refused with a message naming its sheet, row and why, and nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.loading import load_questionnaire
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations
from surveyapp.store.responses import completed_responses
from surveyapp.testing import Respondent, answers_for
from surveyapp.web import create_app
from surveyapp.xlsform.errors import XLSFormError
from surveyapp.xlsform.importing import import_xlsform

FORMS = Path(__file__).resolve().parent / "data" / "xlsforms"
SOURCES = (FORMS / "SOURCES.md").read_text(encoding="utf-8")

SERVICE_1 = {"question": "service", "equals": "1"}
# Each supported form, with what its import must give (beyond being served to the end).
IMPORTED = {
    "pyxform_text_and_integer.xlsx": {"types": ["text", "integer"]},
    "pyxform_field_list.xlsx": {"types": ["select_one"], "languages": ["en", "zh"]},
    "pyxform_phone_number.xlsx": {
        "types": ["text", "text", "integer"],
        "note": "sheet survey, row 3: phone number 'phone_number'",
    },
    "pyxform_extra_sheet_names.xlsx": {"types": ["text"], "note": "stettings"},
    "pyxform_xl_date_ambiguous_v1.xlsx": {
        "id": "xldateambiguous_v1",
        "title": "XLDateAmbiguous-v1",
        "types": ["text", "text", "text", "select_one", "date"],
        "note": "sheet survey, row 6: default",
    },
    "kobo_sample_accent.xlsx": {
        "types": ["select_multiple"],
        "choices": ["pere", "te", "tete"],
        "note": "sheet choices, row 2: choice 'père' of list 'words_with_accents' is named 'pere'",
    },
    "kobo_unicode_relevant.xlsx": {
        "types": ["select_one", "text"],
        "languages": ["en", "tet"],
        "relevant_on": {"marital_other": "respondent_marital"},
        "chosen": {"respondent_marital": "other"},
    },
    "pyxform_group_type.xlsx": {
        "types": ["text", "text", "integer", "note"],
        "pages": [["pregrp"], ["xgrp_q1", "xgrp_q2"], ["postgrp"]],
    },
    "pyxform_group_relevant.xlsx": {
        "types": ["integer", "text"],
        "relevant": {"q2": {"question": "q1", "equals": 1}},
        "chosen": {"q1": "1"},
    },
    "pyxform_table_list.xlsx": {"types": ["grid"], "pages": [["tablelist1"]]},
    "pyxform_rank_translations.xlsx": {"types": ["rank"], "languages": ["en", "fr"]},
    "pyxform_or_other_nested_groups.xlsx": {
        "types": ["note", "select_one", "text"],
        "pages": [["g2", "q1", "q1_other"]],
        "relevant": {"q1_other": {"question": "q1", "equals": "other"}},
        "chosen": {"q1": "other"},
    },
    "pyxform_hints_in_group.xlsx": {"types": ["text", "decimal"]},
    "kobo_battery_life.xls": {
        "types": ["select_one"] * 5,
        "note": "sheet survey, row 3: deviceid 'deviceid' is metadata, not a question: skipped",
    },
    "kobo_mch_v1.xls": {
        "types": ["integer"]
        + ["select_one"] * 3
        + ["note"]
        + ["integer"] * 3
        + ["select_one"]
        + ["integer"] * 4
        + ["text"]
        + ["select_one"] * 2
        + ["date"] * 3
        + ["select_one", "note", "select_one", "text", "date", "date", "select_multiple"],
        "relevant": {
            "month": {"question": "beneficiary", "equals": "1"},
            "cdob": {"question": "beneficiary", "equals": "2"},
            "hplevel": {  # its own condition, within the groups' conditions
                "all": [
                    {"all": [{"question": "beneficiary", "equals": "1"}, SERVICE_1]},
                    {"question": "lab", "equals": "yes"},
                ]
            },
        },
        "chosen": {"beneficiary": "1", "service": "1", "lab": "yes"},
        "hidden": ["cdob"],
    },
    "kobo_matrix.xlsx": {
        "types": ["grid", "grid"],
        "pages": [["m1_possess", "m1_necess"]],
        "required": ["m1_possess", "m1_necess"],
        "note": "sheet survey, row 3: constraint '. = \"yes\"' is not enforced",
    },
    "odk_constraint_on_selected.xlsx": {
        "types": ["select_multiple"] * 3 + ["integer"] * 2 + ["text", "note"],
        "relevant": {
            "what_cancer": {"question": "what_issues", "contains": "cancer"},
            "other_health": {"question": "what_issues", "contains": "other"},
        },
        "bounds": {"systolic_bp": (41, 399), "diastolic_bp": (20, 200)},
        "chosen": {"what_issues": ["cancer", "other"]},
        "hidden": ["what_diabetes"],
    },
    "odk_default.xlsx": {
        "types": ["date"],
        "note": "sheet survey, row 2: default 'now()' ignored",
    },
    "odk_multiple_languages.xlsx": {"types": ["select_multiple"], "languages": ["en", "es"]},
    "odk_rank.xlsx": {"types": ["rank"]},
    "odk_required_message.xlsx": {
        "types": ["text"],
        "required": ["name"],
        "note": "sheet survey, row 2: required_message ignored",
    },
    "pyxform_group.xlsx": {
        "types": ["text", "text", "integer"],
        "pages": [["family_name"], ["phone_number", "age"]],
    },
    "pyxform_specify_other.xlsx": {
        "types": ["select_one", "text"],
        "relevant": {"sex_other": {"question": "sex", "equals": "other"}},
        "chosen": {"sex": "other"},
    },
    "pyxform_table_list_example.xls": {
        "types": ["note", "grid", "select_multiple", "select_multiple"],
        "note": "sheet survey, row 7: table-list group 'happy_sad_table' is not a grid",
    },
}

# Each form outside the scope, with what its refusal must say.
REFUSED = {
    "pyxform_ucl_biomass_plot.xlsx": ("sheet survey, row 16, column type", "from a file"),
    "pyxform_or_other_choice_filter.xlsx": (
        "sheet survey, row 3, column choice_filter",
        "choice_filter",
    ),
    "pyxform_pull_data.xlsx": ("sheet survey, row 2, column type", "calculate"),
    "kobo_expenses.xlsx": ("sheet survey, row 13, column type", "image"),
    "kobo_gps.xls": ("sheet survey, row 2, column type", "geopoint"),
    "kobo_matrix_with_integer.xlsx": (
        "sheet survey, row 5, column type",
        "a Kobo matrix column of type 'integer' is not supported",
    ),
    "odk_range.xlsx": ("sheet survey, row 2, column type", "range"),
    "odk_select_one_from_file.xlsx": ("sheet survey, row 2, column type", "select_one_from_file"),
    "pyxform_calculate.xls": ("sheet survey, row 2, column type", "calculate"),
    "pyxform_choice_filter_test.xlsx": (
        "sheet survey, row 3, column choice_filter",
        "choice_filter",
    ),
    "pyxform_tutorial.xls": ("sheet survey, row 2, column type", "repeat"),
}


def questions(survey: dict) -> list[dict]:
    """Return the questions of an imported mapping, page after page."""
    return [q for page in survey["pages"] for q in page["questions"]]


def kept(row: dict, question: str) -> bool:
    """Whether a response row holds an answer to a question (in any of its columns)."""
    columns = [c for c in row if c == question or c.startswith(question + ".")]
    return any(row[c] not in (None, "", 0, "0") for c in columns)


def checked(path: Path) -> None:
    """Run `surveyapp check` on a questionnaire file and expect it to pass."""
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: ok: survey" in result.output


def page_number(html: str) -> int:
    """Return the number of the questionnaire page a respondent's page shows."""
    return int(re.search(r'<form method="post" action="[^"]*page=(\d+)', html).group(1))


def on_page(question, html: str) -> bool:
    """Whether a respondent's page shows a question: its fields, or a note's page is shown."""
    fields = answers_for(question)
    return all(f'name="{field}"' in html for field in fields)


def answer_to_the_end(tmp_path: Path, path: Path, chosen=None) -> tuple[set[str], dict]:
    """Serve a questionnaire file alone, answer every page shown; return names seen, the row.

    Each question is given its example answer, or the one `chosen` gives for its name.
    """
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / path.name).write_bytes(path.read_bytes())
    questionnaire = load_questionnaire(folder / path.name)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-only",
            "DATABASE": str(tmp_path / "survey.db"),
            "QUESTIONNAIRES": str(folder),
        }
    )
    db = connect(app.config["DATABASE"])
    token = create_invitations(db, questionnaire.id, 1, {})[0]
    person = Respondent(app.test_client(), f"/s/{questionnaire.id}/{token}")
    assert person.open().status_code == 200
    seen = set()
    for _ in range(len(questionnaire.pages) + 1):
        html = person.page.get_data(as_text=True)
        if "<form" not in html:
            break
        page = questionnaire.pages[page_number(html) - 1]
        shown = [q for q in page.questions if on_page(q, html)]
        if any(q.required for q in shown):
            assert person.submit({}).status_code == 422, f"{page.name}: required not asked"
            person.open(page=page_number(html))
        answers = {}
        for question in shown:
            given = answers_for(question)
            if question.name in (chosen or {}):
                given = {question.name: chosen[question.name]}
            answers.update(given)
            seen.add(question.name)
        response = person.submit(answers)
        assert response.status_code == 302, person.page.get_data(as_text=True)
    assert "Thank you" in person.page.get_data(as_text=True), "the questionnaire did not end"
    frame = completed_responses(db, questionnaire)
    db.close()
    assert len(frame) == 1
    return seen, frame.iloc[0].to_dict()


def test_every_form_here_is_listed_in_sources_and_tested():
    files = {path.name for path in FORMS.glob("*.xls*")}
    assert files == set(IMPORTED) | set(REFUSED)
    assert not set(IMPORTED) & set(REFUSED)
    assert len(IMPORTED) >= 14 and len(REFUSED) >= 6
    for name in files:
        assert f"| `{name}` |" in SOURCES, f"{name} is not in SOURCES.md"
        assert (FORMS / name).stat().st_size < 100_000


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_form_is_imported_checked_served_and_answered_to_the_end(tmp_path, name):
    expected = IMPORTED[name]
    survey, notes = import_xlsform(FORMS / name)
    assert survey["id"] == expected.get("id", Path(name).stem)
    if "title" in expected:
        assert survey["title"] == expected["title"]
    assert [q["type"] for q in questions(survey)] == expected["types"]
    if "pages" in expected:
        assert [[q["name"] for q in p["questions"]] for p in survey["pages"]] == expected["pages"]
    if "languages" in expected:
        assert survey["languages"] == expected["languages"]
    if "note" in expected:
        assert any(expected["note"] in note for note in notes), notes
    if "choices" in expected:
        [choices] = survey["choice_lists"].values()
        assert [choice["name"] for choice in choices] == expected["choices"]
    by_name = {q["name"]: q for q in questions(survey)}
    for question, condition in expected.get("relevant", {}).items():
        assert by_name[question]["relevant"] == condition
    for question, other in expected.get("relevant_on", {}).items():
        assert by_name[question]["relevant"]["question"] == other
    for question in expected.get("required", []):
        assert by_name[question]["required"] is True
    for question, (low, high) in expected.get("bounds", {}).items():
        assert (by_name[question].get("min"), by_name[question].get("max")) == (low, high)

    path = tmp_path / f"{survey['id']}.yaml"
    path.write_text(yaml.safe_dump(survey, allow_unicode=True, sort_keys=False), "utf-8")
    checked(path)
    chosen = expected.get("chosen", {})
    seen, row = answer_to_the_end(tmp_path, path, chosen)
    hidden = expected.get("hidden", [])
    for question in {**expected.get("relevant", {}), **expected.get("relevant_on", {})}:
        if question in hidden:
            assert question not in seen, f"{question} was shown although {chosen} was chosen"
            assert not kept(row, question), f"{question} was kept"
            continue
        assert question in seen, f"{question} was not shown although {chosen} was chosen"
        assert kept(row, question), f"{question} was not kept"
    unconditional = [
        q["name"]
        for p in survey["pages"]
        if any(q["type"] != "note" for q in p["questions"])  # notes-only pages: see below
        for q in p["questions"]
        if "relevant" not in q
    ]
    assert set(unconditional) <= seen
    for question in unconditional:
        if question in row:
            assert row[question] not in (None, ""), question


def test_a_page_of_notes_only_is_shown(tmp_path):
    """pyxform's form ends on a note outside any group: a page of its own, shown in turn."""
    survey, _ = import_xlsform(FORMS / "pyxform_group_type.xlsx")
    path = tmp_path / f"{survey['id']}.yaml"
    path.write_text(yaml.safe_dump(survey, allow_unicode=True, sort_keys=False), "utf-8")
    seen, _ = answer_to_the_end(tmp_path, path)
    assert "postgrp" in seen


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_form_outside_the_scope_is_refused_naming_sheet_row_and_why(tmp_path, name):
    place, why = REFUSED[name]
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(FORMS / name)
    assert str(refused.value).startswith(place + ": "), str(refused.value)
    assert why in str(refused.value)
    output = tmp_path / "refused.yaml"
    result = CliRunner().invoke(main, ["import-xlsform", str(FORMS / name), "-o", str(output)])
    assert result.exit_code != 0
    assert place in result.output and "Traceback" not in result.output
    assert not output.exists()

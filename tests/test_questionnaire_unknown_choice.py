"""A condition naming a choice its question lacks: kept and warned of, never an error.

XLSForms do it (pyxform, KoboToolbox and ODK accept `${q} = 'maybe'` where q's list has only
yes and no): `import-xlsform` keeps the condition with a warning naming the sheet, row and
choice, the loader accepts it, `surveyapp check` prints a warning and exits 0, and the
survey serves: no answer is 'maybe', so `equals` never holds and `not_equals` always does.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.loading import (
    load_questionnaire,
    parse_questionnaire,
    questionnaire_warnings,
)
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations
from surveyapp.store.responses import completed_responses
from surveyapp.testing import Respondent
from surveyapp.web import create_app
from surveyapp.xlsform.importing import import_xlsform

YES_NO = [{"name": "yes", "label": "Yes"}, {"name": "no", "label": "No"}]


def survey(relevant: dict, kind: str = "select_one") -> dict:
    """Return a questionnaire mapping whose second question is shown on `relevant`."""
    return {
        "id": "typo",
        "title": "Typo",
        "choice_lists": {"yn": YES_NO},
        "pages": [
            {
                "name": "p1",
                "questions": [{"name": "q", "type": kind, "label": "Q?", "choices": "yn"}],
            },
            {
                "name": "p2",
                "questions": [
                    {"name": "why", "type": "text", "label": "Why?", "relevant": relevant}
                ],
            },
        ],
    }


@pytest.mark.parametrize(
    ("relevant", "kind", "answers", "holds"),
    [
        ({"question": "q", "equals": "maybe"}, "select_one", {"q": "yes"}, False),
        ({"question": "q", "equals": "maybe"}, "select_one", {"q": None}, False),
        ({"question": "q", "not_equals": "maybe"}, "select_one", {"q": "no"}, True),
        ({"question": "q", "in": ["yes", "maybe"]}, "select_one", {"q": "yes"}, True),
        ({"question": "q", "not_in": ["maybe"]}, "select_one", {"q": "yes"}, True),
        ({"question": "q", "contains": "maybe"}, "select_multiple", {"q.yes": 1}, False),
    ],
)
def test_a_condition_on_an_unknown_choice_loads_and_never_finds_it(relevant, kind, answers,
                                                                     holds):  # fmt: skip
    questionnaire = parse_questionnaire(survey(relevant, kind))
    condition = questionnaire.question("why").relevant
    assert condition.holds(answers) is holds
    [warning] = questionnaire_warnings(questionnaire)
    assert warning == (
        "question 'why': relevant: 'maybe' is not a choice of question 'q' (yes, no): no answer"
        " can be 'maybe', so its test never finds it"
    )


def test_known_choices_give_no_warning():
    questionnaire = parse_questionnaire(survey({"question": "q", "in": ["yes", "no"]}))
    assert questionnaire_warnings(questionnaire) == []


def test_check_prints_the_warning_and_passes(tmp_path):
    import yaml

    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(survey({"question": "q", "equals": "maybe"})), "utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: ok: survey 'typo'" in result.stdout
    assert result.stderr == (
        f"{path}: warning: question 'why': relevant: 'maybe' is not a choice of question 'q'"
        " (yes, no): no answer can be 'maybe', so its test never finds it\n"
    )


def xlsform(path: Path) -> Path:
    """Write an XLSForm whose conditions name 'maybe', a choice the list yes/no lacks."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "q", "Q?"],
        ["text", "why", "Why maybe?", "${q} = 'maybe'"],
        ["text", "always", "Not maybe?", "${q} != 'maybe'"],
        ["text", "after", "After?"],
    ]:
        sheet.append(row)
    choices = book.create_sheet("choices")
    for row in [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]:
        choices.append(row)
    book.save(path)
    return path


def test_import_keeps_the_condition_with_a_warning_naming_sheet_row_and_choice(tmp_path):
    mapping, notes = import_xlsform(xlsform(tmp_path / "typo.xlsx"))
    why = mapping["pages"][1]["questions"][0]
    assert why["relevant"] == {"question": "q", "equals": "maybe"}
    assert (
        "sheet survey, row 3: warning: relevant names 'maybe', which is not a choice of 'q'"
        " (yes, no): kept as written; no answer can be 'maybe', so its test never finds it"
    ) in notes


def test_the_imported_form_checks_and_serves(tmp_path):
    form = xlsform(tmp_path / "typo.xlsx")
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    output = folder / "typo.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["import-xlsform", str(form), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "row 3: warning: relevant names 'maybe'" in result.stderr
    result = runner.invoke(main, ["check", str(output)])
    assert result.exit_code == 0 and ": ok: survey 'typo'" in result.stdout
    assert "warning: question 'why': relevant: 'maybe' is not a choice" in result.stderr

    questionnaire = load_questionnaire(output)
    config = {"DATABASE": str(tmp_path / "survey.db"), "QUESTIONNAIRES": str(folder)}
    app = create_app({"TESTING": True, "SECRET_KEY": "test-only", **config})
    db = connect(app.config["DATABASE"])
    token = create_invitations(db, "typo", 1, {})[0]
    person = Respondent(app.test_client(), f"/s/typo/{token}")
    assert person.open().status_code == 200
    shown = []
    for answers in ({"q": "yes"}, {"always": "Not maybe"}, {"after": "Done"}):
        html = person.page.get_data(as_text=True)
        shown += [name for name in ("q", "why", "always", "after") if f'name="{name}"' in html]
        assert person.submit(answers).status_code == 302
    assert "Thank you" in person.page.get_data(as_text=True)
    assert shown == ["q", "always", "after"]  # why: never; always: always
    [row] = completed_responses(db, questionnaire).to_dict("records")
    db.close()
    assert (row["q"], row["why"], row["always"]) == ("yes", None, "Not maybe")


@pytest.mark.parametrize("kind", ["select_one", "select_multiple"])
def test_an_unknown_choice_is_said_by_its_name(kind):
    """A condition on the same page is shown in words: the choice has no label, its name."""
    from surveyapp.questionnaire.conditions import describe

    test = "contains" if kind == "select_multiple" else "equals"
    questionnaire = parse_questionnaire(survey({"question": "q", test: "maybe"}, kind))
    condition = questionnaire.question("why").relevant
    assert describe(condition, questionnaire.question) == "you chose “maybe”"

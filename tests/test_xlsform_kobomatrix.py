"""Kobo's matrix question (begin_kobomatrix): expanded as KoboToolbox does, imported as grids.

The real matrix forms (kpi's own test content) are in tests/data/xlsforms and go through
tests/test_xlsform_forms.py; these forms, built here, check the details.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from surveyapp.xlsform.errors import XLSFormError
from surveyapp.xlsform.importing import import_xlsform
from surveyapp.xlsform.kobomatrix import expanded_survey
from surveyapp.xlsform.reading import read_xlsform

HEAD = ["type", "name", "label::English (en)", "label::Français (fr)", "kobo--matrix_list",
        "required", "relevant", "appearance"]  # fmt: skip
MATRIX = [
    ["begin_kobomatrix", "m1", "Items", "Objets", "car_bike"],
    ["select_one yn", "possess", "Possess?", "Possède ?", None, "true", None, "w1"],
    ["select_one yn", "necess", "Necessary?", "Nécessaire ?", None, None, None, "w1"],
    ["end_kobomatrix"],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    ["car_bike", "car", "Car", "Voiture"],
    ["car_bike", "bike", "Bike", "Vélo"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "no", "No", "Non"],
]


def form(tmp_path: Path, survey, choices=CHOICES) -> Path:
    """Write an XLSForm of these survey and choices rows."""
    book = openpyxl.Workbook()
    book.active.title = "survey"
    for row in survey:
        book["survey"].append(row)
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(row)
    path = tmp_path / "matrix.xlsx"
    book.save(path)
    return path


def questions(survey: dict) -> dict[str, dict]:
    """Return an imported mapping's questions by name."""
    return {q["name"]: q for page in survey["pages"] for q in page["questions"]}


def test_pyxform_alone_refuses_a_kobo_matrix(tmp_path):
    """Why the import expands matrices first: pyxform does not know them."""
    with pytest.raises(Exception, match="row : 5"):  # end_kobomatrix: "with no name"
        convert(xlsform=str(form(tmp_path, [HEAD, *MATRIX])), validate=False)


def test_a_matrix_is_expanded_with_koboToolboxs_names(tmp_path):
    """The names kpi's kobomatrix handler gives (kpi/tests/test_asset_content.py)."""
    rows = expanded_survey(read_xlsform(form(tmp_path, [HEAD, *MATRIX])))
    assert [r.get("name") for r in rows] == [
        "m1_header", "m1_header_note", "m1_header_possess", "m1_header_necess", None,
        "m1_car", "m1_car_note", "m1_car_possess", "m1_car_necess", None,
        "m1_bike", "m1_bike_note", "m1_bike_possess", "m1_bike_necess", None,
    ]  # fmt: skip


def test_each_select_one_column_becomes_a_grid_of_the_matrix_rows(tmp_path):
    survey, _ = import_xlsform(form(tmp_path, [HEAD, *MATRIX]))
    assert [p["name"] for p in survey["pages"]] == ["m1"]
    assert survey["pages"][0]["title"] == {"en": "Items", "fr": "Objets"}
    grids = questions(survey)
    assert list(grids) == ["m1_possess", "m1_necess"]
    possess = grids["m1_possess"]
    assert possess["type"] == "grid" and possess["required"] is True
    assert possess["label"] == {"en": "Possess?", "fr": "Possède ?"}
    assert [(i["name"], i["label"]["fr"]) for i in possess["items"]] == [
        ("car", "Voiture"),
        ("bike", "Vélo"),
    ]
    assert survey["choice_lists"][possess["choices"]][0]["label"] == {"en": "Yes", "fr": "Oui"}
    assert "required" not in grids["m1_necess"]


def test_a_matrix_in_a_group_is_headed_by_its_label_and_keeps_the_groups_condition(tmp_path):
    survey, _ = import_xlsform(form(tmp_path, [
        HEAD,
        ["select_one yn", "owner", "Owner?", "Propriétaire ?"],
        ["begin group", "assets", "Assets", "Biens", None, None, "${owner} = 'yes'"],
        *MATRIX,
        ["end group"],
    ]))  # fmt: skip
    assert [q["type"] for q in survey["pages"][1]["questions"]] == ["note", "grid", "grid"]
    assert questions(survey)["m1_necess"]["relevant"] == {"question": "owner", "equals": "yes"}


def test_a_question_after_the_matrix_reads_a_cell_by_koboToolboxs_name(tmp_path):
    survey, _ = import_xlsform(form(tmp_path, [
        HEAD,
        *MATRIX,
        ["text", "why", "Why a car?", "Pourquoi ?", None, None, "${m1_car_possess} = 'yes'"],
    ]))  # fmt: skip
    assert questions(survey)["why"]["relevant"] == {
        "question": "m1_possess.car",
        "equals": "yes",
    }


def test_a_column_condition_on_its_own_row_is_noted_and_left_out(tmp_path):
    matrix = [list(row) for row in MATRIX]
    matrix[2][6] = "${possess} = 'yes'"
    survey, notes = import_xlsform(form(tmp_path, [HEAD, *matrix]))
    assert "relevant" not in questions(survey)["m1_necess"]
    assert (
        "sheet survey, row 4: relevant \"${possess} = 'yes'\" of matrix column 'necess' reads"
        " its own row: ignored, every row is asked"
    ) in notes


@pytest.mark.parametrize(
    ("column", "place", "why"),
    [
        (["integer", "number", "Number", "Nombre"], "row 4, column type", "'integer'"),
        (["text", "note_it", "Note", "Note"], "row 4, column type", "'text'"),
        (["select_multiple yn", "many", "Many", "Plusieurs"], "row 4, column type", "select_"),
        (["select_one yn or_other", "o", "O", "O"], "row 4, column type", "or_other"),
    ],
)
def test_a_column_that_is_not_a_select_one_is_refused_naming_its_row(tmp_path, column, place,
                                                                      why):  # fmt: skip
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(form(tmp_path, [HEAD, *MATRIX[:2], column, MATRIX[-1]]))
    assert str(refused.value).startswith(f"sheet survey, {place}: a Kobo matrix column")
    assert why in str(refused.value)


def test_a_matrix_without_its_list_of_rows_is_refused(tmp_path):
    matrix = [list(row) for row in MATRIX]
    matrix[0][4] = "nosuch"
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(form(tmp_path, [HEAD, *matrix]))
    assert str(refused.value) == (
        "sheet survey, row 2, column kobo--matrix_list: a Kobo matrix takes its rows from the"
        " list named in kobo--matrix_list, which list 'nosuch' is not on the choices sheet"
    )


def test_pyxform_validates_the_expanded_matrix(tmp_path):
    """A column naming a list the choices lack: pyxform's message, as KoboToolbox would give."""
    matrix = [list(row) for row in MATRIX]
    matrix[1][0] = "select_one nolist"
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(form(tmp_path, [HEAD, *matrix]))
    message = str(refused.value)
    assert message.startswith("pyxform refuses the form (its Kobo matrices expanded")
    assert "nolist" in message

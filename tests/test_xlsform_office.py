"""An exported XLSForm opened and saved again in LibreOffice Calc still imports the same.

Teams edit a form in a spreadsheet program before fielding it: the export must survive the
program that opens it. Runs where LibreOffice is installed (`.ci/run` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from surveyapp.questionnaire.loading import load_questionnaire, parse_questionnaire
from surveyapp.xlsform.exporting import export_xlsform
from surveyapp.xlsform.importing import import_xlsform
from tests.test_xlsform_export import SHIPPED, assert_same_dictionary_and_conditions

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    OFFICE is None, reason="LibreOffice absent (apt-get install libreoffice-calc-nogui)"
)
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_form_saved_again_by_libreoffice_imports_the_same(path: Path, tmp_path: Path):
    questionnaire = load_questionnaire(path)
    form = tmp_path / f"{questionnaire.id}.xlsx"
    export_xlsform(questionnaire, form)
    subprocess.run(
        [OFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "saved"),
         str(form)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    saved = tmp_path / "saved" / form.name
    assert saved.read_bytes() != form.read_bytes()  # written by LibreOffice, not copied
    survey, _notes = import_xlsform(saved)
    back = parse_questionnaire(survey, str(saved))
    assert_same_dictionary_and_conditions(questionnaire, back)

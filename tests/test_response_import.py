"""Text that looks like a formula survives the export and the import unchanged."""

from __future__ import annotations

import pytest

from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.response_import import import_responses
from surveyapp.store.connection import connect
from surveyapp.store.responses import completed_responses
from surveyapp.testing import seed_responses
from surveyapp.web import create_app

TEXTS = ["=SUM(A1:A9)", "'=already quoted", "''=twice", "-3 staff", "@mention", "plain", "'"]


@pytest.mark.parametrize("text", TEXTS)
def test_formula_like_text_round_trips(app, db, tmp_path, questionnaire_dir, text):
    from exports.csv import write_csv

    staff = app.extensions["questionnaires"]["staff"]
    frame = synthetic_responses(staff, 1, seed=1)
    frame["constraints"] = [text]
    seed_responses(db, staff, frame)
    exported = tmp_path / "staff.csv"
    write_csv(completed_responses(db, staff), exported)
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": str(tmp_path / "other.db"),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )
    target = connect(other.config["DATABASE"])
    assert import_responses(target, staff, exported) == 1
    assert completed_responses(target, staff)["constraints"].tolist() == [text]

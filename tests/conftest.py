"""Fixtures: an app over a temporary database and questionnaire folder, and respondents.

What tests share besides fixtures (the test password, the demo answers, a respondent,
seeded responses) lives in `surveyapp.testing`, so that benchmarks use the same copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.store.connection import connect
from surveyapp.store.evaluators import add_evaluator
from surveyapp.store.invitations import create_invitations
from surveyapp.testing import CSRF, PASSWORD, Respondent, sign_in
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def instance_folder(tmp_path, monkeypatch):
    """Keep every app's instance folder (secret key, default database) inside the test."""
    monkeypatch.setenv("SURVEYAPP_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("SURVEYAPP_DB", raising=False)


@pytest.fixture
def questionnaire_dir(tmp_path):
    """A folder with the shipped questionnaires and the demo questionnaire."""
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    for path in (ROOT / "questionnaires").glob("*.yaml"):
        shutil.copy(path, folder)
    shutil.copy(DATA / "demo.yaml", folder)
    return folder


@pytest.fixture
def app(tmp_path, questionnaire_dir):
    """The app over a fresh database file."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-only",
            "DATABASE": str(tmp_path / "survey.db"),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    store = connect(app.config["DATABASE"])
    yield store
    store.close()


@pytest.fixture
def invite(db):
    """Make one invitation link for a survey and return its path."""

    def make(survey="demo", **attributes):
        token = create_invitations(db, survey, 1, attributes)[0]
        return f"/s/{survey}/{token}"

    return make


@pytest.fixture
def respondent(client):
    """Open a link in the test client and return the respondent on its first page."""

    def start(link):
        person = Respondent(client, link)
        person.open()
        return person

    return start


@pytest.fixture
def evaluator(db):
    """Add an evaluator account named ana and return its name."""
    add_evaluator(db, "ana", PASSWORD)
    return "ana"


@pytest.fixture
def auth(client, evaluator):
    """Sign the test client in and out as an evaluator."""

    class Auth:
        def sign_in(self, name=evaluator, password=PASSWORD, next_path=None):
            return sign_in(client, name, password, next_path)

        def sign_out(self):
            page = client.get("/evaluate/").get_data(as_text=True)
            token = CSRF.search(page).group(1)
            return client.post("/evaluate/sign-out", data={"csrf_token": token})

    return Auth()


@pytest.fixture
def run(app, questionnaire_dir):
    """Run a surveyapp command on the app's database (or `db=`); return the click result.

    Test modules with a database of their own define their own `run`.
    """

    def invoke(*args, expect=0, db=None):
        result = CliRunner().invoke(
            main,
            [
                "--db",
                str(db or app.config["DATABASE"]),
                "--questionnaires",
                str(questionnaire_dir),
                *map(str, args),
            ],
        )
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

    return invoke

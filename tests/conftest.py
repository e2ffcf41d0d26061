"""Fixtures: an app over a temporary database and questionnaire folder, and respondents."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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


class Respondent:
    """A respondent answering through the test client, page by page."""

    def __init__(self, client, link):
        self.client = client
        self.link = link
        self.page = None

    def open(self, page=None):
        url = self.link if page is None else f"{self.link}?page={page}"
        self.page = self.client.get(url)
        return self.page

    def token(self):
        match = CSRF.search(self.page.get_data(as_text=True))
        assert match, "the page has no CSRF token"
        return match.group(1)

    def submit(self, answers=None, action="next", csrf=True):
        """Post answers (a dict; lists for several values) from the page last opened."""
        if self.page is None:
            self.open()
        data = {"action": action, **(answers or {})}
        if csrf:
            data["csrf_token"] = self.token()
        action_url = re.search(
            r'<form method="post" action="([^"]+)"', self.page.get_data(as_text=True)
        )
        url = action_url.group(1).replace("&amp;", "&") if action_url else self.link
        response = self.client.post(url, data=data)
        self.page = (
            self.client.get(response.headers["Location"])
            if response.status_code == 302
            else response
        )
        return response


@pytest.fixture
def respondent(client):
    def start(link):
        respondent = Respondent(client, link)
        respondent.open()
        return respondent

    return start


PASSWORD = "a long test password"


@pytest.fixture
def evaluator(db):
    """Add an evaluator account named ana and return its name."""
    from werkzeug.security import generate_password_hash

    db["evaluators"].insert({"name": "ana", "password_hash": generate_password_hash(PASSWORD)})
    return "ana"


@pytest.fixture
def auth(client, evaluator):
    """Sign the test client in as an evaluator."""

    class Auth:
        def sign_in(self, name=evaluator, password=PASSWORD, next_path=None):
            url = "/evaluate/sign-in" + (f"?next={next_path}" if next_path else "")
            page = client.get(url).get_data(as_text=True)
            token = CSRF.search(page).group(1)
            return client.post(url, data={"name": name, "password": password, "csrf_token": token})

        def sign_out(self):
            page = client.get("/evaluate/").get_data(as_text=True)
            token = CSRF.search(page).group(1)
            return client.post("/evaluate/sign-out", data={"csrf_token": token})

    return Auth()


DEMO_ANSWERS = [
    {"region": "africa", "organisation": "workers", "topics": ["health", "media"]},
    {"statements.one": "agree", "statements.two": "dont_know", "media_partner": "Radio"},
    {"countries": "3"},
    {
        "pillars.a": "2",
        "pillars.b": "1",
        "pillars.c": "3",
        "share": "12.5",
        "constraints": "Fiscal space",
    },
]

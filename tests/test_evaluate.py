"""Evaluators sign in to a workspace that respondents never reach."""

from __future__ import annotations

import re

import pytest

from surveyapp.testing import DEMO_ANSWERS, PASSWORD

EVALUATOR_PAGES = ["/evaluate/", "/evaluate/surveys/staff", "/evaluate/surveys/demo"]


@pytest.mark.parametrize("path", EVALUATOR_PAGES)
def test_evaluator_pages_require_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/evaluate/sign-in" in response.headers["Location"]


def test_sign_in_then_out(client, auth):
    response = auth.sign_in()
    assert response.status_code == 302
    assert client.get("/evaluate/").status_code == 200
    auth.sign_out()
    assert client.get("/evaluate/").status_code == 302


@pytest.mark.parametrize(
    "name, password", [("ana", "wrong password"), ("nobody", PASSWORD), ("", "")]
)
def test_wrong_credentials_are_refused(client, auth, name, password):
    response = auth.sign_in(name=name, password=password)
    assert response.status_code in (400, 401)
    assert client.get("/evaluate/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(client, evaluator):
    response = client.post("/evaluate/sign-in", data={"name": "ana", "password": "x"})
    assert response.status_code == 400
    assert client.get("/evaluate/").status_code == 302


def test_sign_in_attempts_are_throttled(client, auth):
    for _ in range(5):
        assert auth.sign_in(password="wrong password").status_code == 401
    blocked = auth.sign_in()
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert client.get("/evaluate/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_offsite(client, auth):
    assert auth.sign_in(next_path="/evaluate/surveys/staff").headers["Location"] == (
        "/evaluate/surveys/staff"
    )
    auth.sign_out()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        location = auth.sign_in(next_path=target).headers["Location"]
        assert location == "/evaluate/", target
        auth.sign_out()


def test_respondent_never_reaches_evaluator_pages(client, invite, respondent):
    person = respondent(invite())
    for page in DEMO_ANSWERS:
        person.submit(page)
    for path in EVALUATOR_PAGES:
        assert client.get(path).status_code == 302


def test_dashboard_shows_invited_started_completed_and_rate(client, auth, db, invite, respondent):
    links = [invite("demo", region="Africa") for _ in range(3)] + [invite("demo", region="Asia")]
    person = respondent(links[0])
    for page in DEMO_ANSWERS:
        person.submit(page)
    respondent(links[1]).submit(DEMO_ANSWERS[0])
    auth.sign_in()
    dashboard = client.get("/evaluate/").get_data(as_text=True)
    assert re.search(
        r"Demo survey</a></th>\s*<td>4</td><td>2</td><td>1</td><td>0</td><td>1</td>"
        r"\s*<td>25%</td>",
        dashboard,
    )
    page = client.get("/evaluate/surveys/demo").get_data(as_text=True)
    assert re.search(
        r"<th scope=\"row\">Africa</th><td>3</td><td>2</td><td>1</td><td>0</td><td>1</td>"
        r"<td>33%</td>",
        page,
    )
    assert re.search(r"<th scope=\"row\">Africa</th><td>1</td><td>100%</td>", page)


def test_unknown_survey_is_404(client, auth):
    auth.sign_in()
    assert client.get("/evaluate/surveys/nosuch").status_code == 404


def test_only_workspace_pages_load_the_workspace_styles(client, auth):
    """Respondents, often on a slow line, never download the coding pages' styles."""
    respondent = client.get("/s/demo/open", follow_redirects=True).get_data(as_text=True)
    assert "survey.css" in respondent and "workspace.css" not in respondent
    assert "workspace.css" not in client.get("/evaluate/sign-in").get_data(as_text=True)
    auth.sign_in()
    for path in ("/evaluate/", "/evaluate/coding/", "/evaluate/coding/constraints/answers"):
        page = client.get(path).get_data(as_text=True)
        assert "survey.css" in page and "workspace.css" in page, path
    assert client.get("/static/workspace.css").status_code == 200

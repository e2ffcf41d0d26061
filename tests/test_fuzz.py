"""Hostile input at volume: generated requests to every respondent and evaluator endpoint.

More than 10,000 requests in all (random fields and values, wrong types, huge and
non-UTF-8 bodies, missing or forged CSRF tokens, foreign tokens, path tricks). None may
answer 500 or show a traceback, and no invalid value may be stored.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.questionnaire.answers import check_answers
from surveyapp.store.connection import connect
from surveyapp.store.evaluators import add_evaluator
from surveyapp.store.invitations import create_invitations
from surveyapp.store.responses import completed_responses
from surveyapp.testing import CSRF, DEMO_ANSWERS, PASSWORD, Respondent, sign_in
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

SCALE = float(os.environ.get("FUZZ_SCALE", 1))  # FUZZ_SCALE=0.1 for a quick run


def fuzz(examples: int):
    """Return hypothesis settings for this many generated requests (10,500 in all)."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


FIELDS = [
    "region", "region_other", "organisation", "topics", "statements.one", "statements.two",
    "media_partner", "countries", "pillars.a", "pillars.b", "pillars.c", "share",
    "constraints", "action", "csrf_token", "page", "name", "password", "description",
    "into", "parts", "k", "seed", "answer", "accept", "codes-demo:1", "code-demo:1",
    "confidence-demo:1", "reviewed-demo:1", "threshold", "survey", "by", "stat",
    "min_cell", "lang", "next", "a", "b", "coder", "show",
]  # fmt: skip
TRICKS = [
    "../../etc/passwd", "%2e%2e%2f", "..%252f", "%00", "\x00", "a" * 300, "😀", "<script>",
    "' or 1=1 --", "%ff%fe", "//evil.example", "\\\\server\\share", "CON", ".git/config",
]  # fmt: skip

values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["africa", "other", "agree", "dont_know", "1", "2", "3", "4", "54", "55",
                     "-1", "nan", "inf", "1e309", "0x10", "next", "back", "", " ", "\r\n"]),
    st.sampled_from(TRICKS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(1000, 40_000)),
)  # fmt: skip
forms = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)),
    st.one_of(values, st.lists(values, max_size=4)),
    max_size=8,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app over one database for all the generated requests, with links and a coder."""
    folder = tmp_path_factory.mktemp("fuzz")
    questionnaires = folder / "questionnaires"
    questionnaires.mkdir()
    for path in (ROOT / "questionnaires").glob("*.yaml"):
        shutil.copy(path, questionnaires)
    shutil.copy(DATA / "demo.yaml", questionnaires)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "DATABASE": str(folder / "fuzz.db"),
            "QUESTIONNAIRES": str(questionnaires),
            "LINK_ATTEMPTS": 10**9,  # the throttle has its own test; here every request counts
            "SIGN_IN_ATTEMPTS": 10**9,
        }
    )
    db = connect(app.config["DATABASE"])
    add_evaluator(db, "ana", PASSWORD)
    links = {
        survey: [f"/s/{survey}/{t}" for t in create_invitations(db, survey, 400)]
        for survey in ("demo", "staff")
    }
    used = links["demo"].pop()
    person = Respondent(app.test_client(), used)
    for answers in DEMO_ANSWERS:
        assert person.submit(answers).status_code == 302
    evaluator = app.test_client()
    assert sign_in(evaluator, "ana").status_code == 302
    token = CSRF.search(evaluator.get("/evaluate/coding/constraints").get_data(as_text=True))
    yield {
        "app": app, "links": links, "used": used, "evaluator": evaluator, "db": db,
        "evaluator_csrf": token.group(1),
    }  # fmt: skip
    stored_rows_are_valid(app, db)


def stored_rows_are_valid(app, db):
    """Every stored response passes the web form's own checks."""
    for survey, questionnaire in app.extensions["questionnaires"].items():
        for row in completed_responses(db, questionnaire).to_dict("records"):
            answers = {k: v for k, v in row.items() if not pd.isna(v)}
            _clean, errors, _ = check_answers(questionnaire, answers, strict=True)
            assert not errors, (survey, row["response_id"], errors)


def check(response):
    """No 500, no traceback, whatever was sent."""
    assert response.status_code < 500, response.status_code
    body = response.get_data()
    assert b"Traceback" not in body and b"Werkzeug Debugger" not in body


respondent_paths = st.one_of(
    st.builds(lambda page: f"L?page={page}", st.one_of(st.integers().map(str), values)),
    st.sampled_from(["L", "USED", "FOREIGN", "/s/demo/open", "/s/constituents/open",
                     "/s/demo/thanks", "/", "/s/nosuch/abc", "/static/survey.css"]),
    st.builds(lambda trick: f"/s/demo/{trick}", st.sampled_from(TRICKS)),
    st.builds(lambda text: f"/s/demo/{text}", st.text(min_size=1, max_size=80)),
)  # fmt: skip


def resolve(path: str, world, index: int) -> str:
    """Put a real link in place of the placeholders of a generated path."""
    demo = world["links"]["demo"]
    link = demo[index % len(demo)]
    return (
        path.replace("USED", world["used"])
        .replace("FOREIGN", world["links"]["staff"][index % 400].replace("/staff/", "/demo/"))
        .replace("L", link, 1)
        if path.startswith(("L", "USED", "FOREIGN"))
        else path
    )


@fuzz(3000)
@given(path=respondent_paths, index=st.integers(0, 10**6), form=forms, csrf=st.booleans(),
       method=st.sampled_from(["GET", "POST", "POST", "PUT", "DELETE"]))  # fmt: skip
def test_respondent_endpoints_survive_any_form(world, path, index, form, csrf, method):
    client = world["app"].test_client()
    url = resolve(path, world, index)
    if csrf and method == "POST":
        page = client.get(url)
        check(page)
        found = CSRF.search(page.get_data(as_text=True))
        if found:
            form = {**form, "csrf_token": found.group(1)}
    check(client.open(url, method=method, data=form))


@fuzz(3000)
@given(index=st.integers(0, 10**6), body=st.binary(max_size=3000),
       kind=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data",
                             "application/json", "text/plain",
                             "application/x-www-form-urlencoded; charset=latin-1"]),
       huge=st.booleans())  # fmt: skip
def test_respondent_endpoints_survive_raw_bodies(world, index, body, kind, huge):
    client = world["app"].test_client()
    url = resolve("L", world, index)
    if huge:
        body = body * 200 + b"constraints=" + b"x" * 300_000
    check(client.post(url, data=body, content_type=kind))


EVALUATOR_PATHS = [
    "/evaluate/", "/evaluate/surveys/demo", "/evaluate/surveys/staff", "/evaluate/coding/",
    "/evaluate/coding/constraints", "/evaluate/coding/constraints/answers",
    "/evaluate/coding/constraints/suggestions", "/evaluate/coding/constraints/agreement",
    "/evaluate/coding/constraints/frequency", "/evaluate/coding/constraints/frequency.csv",
    "/evaluate/coding/constraints/clusterings/1", "/evaluate/coding/constraints/codes",
    "/evaluate/coding/constraints/codes/1", "/evaluate/coding/constraints/codes/999",
    "/evaluate/crosstabs/", "/evaluate/crosstabs/download.csv", "/evaluate/crosstabs/download.md",
    "/evaluate/crosstabs/chart/relevance.svg", "/evaluate/crosstabs/chart/nosuch.png",
    "/evaluate/coding/region_other", "/evaluate/coding/nosuch", "/evaluate/sign-in",
    "/evaluate/coding/constraints/walk", "/evaluate/coding/constraints/answers/demo/1",
    "/evaluate/coding/constraints/answers/demo/999", "/evaluate/coding/constraints/history",
    "/evaluate/coding/constraints/codebook.csv", "/evaluate/coding/constraints/jobs/1",
    "/evaluate/coding/constraints/jobs/1/progress", "/evaluate/coding/constraints/codes/1/merge",
    "/evaluate/coding/constraints/codes/1/delete", "/evaluate/coding/constraints/merges/1/undo",
    "/evaluate/coding/constraints/consensus", "/evaluate/coding/constraints/consensus/settle",
    "/evaluate/coding/constraints/answers/include",
    "/evaluate/coding/constraints/code-variables.sav",
    "/evaluate/coding/constraints/code-variables-dictionary.csv",
    "/evaluate/surveys/demo/xlsform.xlsx", "/evaluate/surveys/nosuch/xlsform.xlsx",
]  # fmt: skip


@fuzz(1500)
@given(path=st.sampled_from(EVALUATOR_PATHS), query=forms)
def test_evaluator_pages_survive_any_query(world, path, query):
    check(world["evaluator"].get(path, query_string={k: v for k, v in query.items() if k}))


@fuzz(3000)
@given(path=st.sampled_from(EVALUATOR_PATHS + ["/evaluate/coding/constraints/cluster"]),
       form=forms, csrf=st.booleans())  # fmt: skip
def test_evaluator_forms_survive_any_value(world, path, form, csrf):
    client = world["evaluator"]
    if csrf:
        form = {**form, "csrf_token": world["evaluator_csrf"]}
    if path.endswith("/cluster"):
        form["k"] = "many"  # clustering itself is tested elsewhere; here only its form's values
    check(client.post(path, data=form))

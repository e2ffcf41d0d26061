"""Security: sign-in walls, CSRF, cookies, headers, throttling, and anonymity of responses."""

from __future__ import annotations

import re
import sqlite3

import pytest

from surveyapp.testing import DEMO_ANSWERS
from surveyapp.web import create_app


def routes(app, prefix):
    """Return (path, methods) of every route under a prefix, with sample arguments."""
    samples = {
        "survey_id": "demo", "question": "constraints", "clustering_id": "1", "code_id": "1",
        "fmt": "csv", "ext": "svg", "token": "x", "filename": "survey.css", "survey": "demo",
        "response_id": "1", "job_id": "1", "merge_id": "1",
    }  # fmt: skip
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or rule.endpoint == "auth.sign_in":
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:\w+:)?{name}>", samples[name], path)
        found.append((path, rule.methods - {"HEAD", "OPTIONS"}))
    return found


def test_every_evaluator_page_and_download_needs_a_signed_in_evaluator(app, client):
    checked = 0
    for path, methods in routes(app, "/evaluate"):
        if "GET" in methods:
            response = client.get(path)
            assert response.status_code == 302, path
            assert "/evaluate/sign-in" in response.headers["Location"]
            checked += 1
        if "POST" in methods and path != "/evaluate/sign-out":
            assert client.post(path, data={}).status_code in (302, 400), path
            checked += 1
    assert checked >= 15


def test_csrf_is_enforced_on_every_form(app, client, auth, db):
    auth.sign_in()
    counted = [t for t in db.table_names() if t != "failed_attempts"]  # unknown links count
    before = {t: db[t].count for t in counted}
    for path, methods in routes(app, "/"):
        if "POST" not in methods:
            continue
        response = client.post(path, data={"name": "x", "k": "2", "action": "save"})
        assert response.status_code in (400, 404, 422), path
    assert {t: db[t].count for t in counted} == before


def test_a_link_shows_only_its_own_unfinished_answers(client, invite, respondent):
    first, second = invite(), invite()
    respondent(first).submit({"region": "other", "region_other": "Atlantis-marker"})
    assert "Atlantis-marker" in client.get(f"{first}?page=1").get_data(as_text=True)
    assert "Atlantis-marker" not in client.get(f"{second}?page=1").get_data(as_text=True)
    person = respondent(first)
    person.open(page=1)
    person.submit({"region": "other", "region_other": "Atlantis-marker"})
    for page in (DEMO_ANSWERS[1], DEMO_ANSWERS[3]):  # the Africa page is skipped
        person.submit(page)
    assert "Thank you" in person.page.get_data(as_text=True)
    assert "Atlantis-marker" not in client.get(f"{first}?page=1").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/evaluate/sign-in", "/s/constituents/open"])
def test_session_cookie_is_httponly_samesite_and_secure_over_https(app, path):
    plain = app.test_client()
    plain.get(path)
    cookie = plain.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    secure = app.test_client()
    secure.get(path, base_url="https://survey.example")
    assert secure.get_cookie("session", domain="survey.example").secure


def test_an_invitation_link_sets_no_cookie_from_first_page_to_thanks(client, invite, respondent):
    person = respondent(invite())
    for answers in DEMO_ANSWERS:
        response = person.submit(answers)
        assert "Set-Cookie" not in response.headers
    assert "Thank you" in person.page.get_data(as_text=True)
    assert not list(client._cookies)


def test_a_page_token_is_good_for_its_own_link_only(client, db, invite, respondent):
    first, second = respondent(invite()), respondent(invite())
    forged = client.post(
        second.link + "?page=1",
        data={"region": "africa", "action": "next", "csrf_token": first.token()},
    )
    assert forged.status_code == 422
    assert "security check expired" in forged.get_data(as_text=True)
    assert db["invitations"].get(2)["draft"] is None
    assert second.submit({"region": "africa"}).status_code == 302


@pytest.mark.parametrize(
    "token", ["", "12345", "99999999999.abc", "１２３.x", "1.\u00e9\u00e9", "9" * 40 + ".a"]
)
def test_malformed_page_tokens_are_refused_without_error(client, db, invite, token):
    link = invite()
    response = client.post(
        link + "?page=1", data={"region": "africa", "action": "next", "csrf_token": token}
    )
    assert response.status_code == 422
    assert db["invitations"].get(1)["draft"] is None


def test_a_page_token_expires(app, client, db, invite, respondent):
    person = respondent(invite())
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is issued already out of date
    person.open()
    response = person.submit({"region": "africa"})
    assert response.status_code == 422
    assert "security check expired" in response.get_data(as_text=True)
    assert db["invitations"].get(1)["draft"] is None


def test_secret_key_is_generated_per_instance_never_a_constant(
    tmp_path, questionnaire_dir, monkeypatch
):
    keys = []
    for name in ("one", "two"):
        monkeypatch.setenv("SURVEYAPP_INSTANCE", str(tmp_path / name))
        keys.append(
            create_app(None, overrides={"QUESTIONNAIRES": str(questionnaire_dir)}).config[
                "SECRET_KEY"
            ]
        )
    assert keys[0] != keys[1]
    import surveyapp

    source = "\n".join(
        p.read_text() for p in __import__("pathlib").Path(surveyapp.__file__).parent.rglob("*.py")
    )
    assert not re.search(r"SECRET_KEY\s*=\s*['\"]", source)


def test_link_guessing_is_throttled(app, client, invite):
    link = invite()
    for n in range(app.config["LINK_ATTEMPTS"]):
        assert client.get(f"/s/demo/guess{n}").status_code == 404
    blocked = client.get("/s/demo/guess-again")
    assert blocked.status_code == 429
    assert "Too many unknown links" in blocked.get_data(as_text=True)
    assert client.get(link).status_code == 429  # even a right guess waits
    other = app.test_client()
    assert other.get(link, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200


def test_tokens_are_compared_in_constant_time(db, invite, monkeypatch):
    import hmac

    from surveyapp.store import invitations

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(
        invitations.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b)
    )
    token = invite().rsplit("/", 1)[1]
    assert invitations.find_invitation(db, "demo", token) is not None
    assert calls


@pytest.mark.parametrize("path", ["/", "/evaluate/sign-in", "/s/demo/unknown"])
def test_security_headers_on_every_page(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_answer_pages_are_never_cached(client, invite):
    response = client.get(invite())
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script.*?</script>", page, re.S)
    assert all(
        re.fullmatch(r'<script src="/static/[a-z]+\.js" defer></script>', tag) for tag in scripts
    ), scripts  # no inline script: only files of the server's own


def test_nothing_in_the_database_links_a_response_to_an_invitation(
    app, client, db, invite, respondent
):
    links = [invite(region="Africa"), invite(region="Asia")]
    tokens = [link.rsplit("/", 1)[1] for link in links]
    for link in links:
        person = respondent(link)
        for page in DEMO_ANSWERS:
            person.submit(page)
    opened = client.get("/s/constituents/open")
    assert opened.status_code == 302
    hashes = {row["token_hash"] for row in db["invitations"].rows}
    conn = sqlite3.connect(app.config["DATABASE"])
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
        columns = [row[1] for row in conn.execute(f'pragma table_info("{table}")')]
        if table.startswith("responses_"):
            assert not {"token", "token_hash", "invitation_id", "ip", "email"} & set(columns)
        text = " ".join(str(v) for row in conn.execute(f'select * from "{table}"') for v in row)
        assert "127.0.0.1" not in text, table  # no address anywhere, hashed or not
        for token in tokens:
            assert token not in text, table
        if table != "invitations":
            assert not any(h in text for h in hashes), table
    used = conn.execute(
        "select draft, page, furthest from invitations where completed = 1"
    ).fetchall()
    assert used and all(row == (None, 0, 0) for row in used)
    invitation_columns = [row[1] for row in conn.execute("pragma table_info(invitations)")]
    assert not {"completed_at", "used_at", "ip", "response_id"} & set(invitation_columns)


def test_open_link_starts_are_throttled(app):
    app.config["OPEN_LINK_STARTS"] = 3
    for _ in range(3):
        assert app.test_client().get("/s/constituents/open").status_code == 302
    blocked = app.test_client().get("/s/constituents/open")
    assert blocked.status_code == 429
    assert "Too many new answers" in blocked.get_data(as_text=True)

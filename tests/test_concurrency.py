"""Races and crashes against the production server: `surveyapp serve` in a subprocess.

Only 127.0.0.1 is contacted, by a bounded number of requests.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from surveyapp.questionnaire.answers import shown_questions
from surveyapp.questionnaire.loading import load_questionnaire
from surveyapp.questionnaire.model import translate
from surveyapp.testing import CSRF, ServeProcess, answers_for

ROOT = Path(__file__).resolve().parent.parent
STAFF = load_questionnaire(ROOT / "questionnaires" / "staff.yaml")
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
TITLE = re.compile(r"<h1>(.*?)</h1>")
THANKS = "/s/staff/thanks"
ALREADY = "Your answers were already received"
RACES = 20


class LiveServer(ServeProcess):
    """`surveyapp serve` on 127.0.0.1 over a database of its own; restartable."""

    def start(self):
        super().start(timeout=30, probe=THANKS)


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path)
    yield live
    live.stop()


def _stored(db: Path) -> tuple[str, Counter]:
    """Return the database's integrity check and the stored `constraints` answers, counted."""
    with sqlite3.connect(db) as conn:
        integrity = conn.execute("pragma integrity_check").fetchone()[0]
        markers = Counter(m for (m,) in conn.execute("select constraints from responses_staff"))
    conn.close()
    return integrity, markers


class Walker:
    """A respondent in a requests session, answering the staff questionnaire page by page."""

    def __init__(self, link: str, marker: str, session: requests.Session | None = None):
        self.link, self.marker = link, marker
        self.session = session or requests.Session()
        self.answered: dict = {}
        self.response = None

    def open(self):
        self.response = self.session.get(self.link, timeout=30)
        assert self.response.status_code == 200, self.response.text
        return self

    def title(self) -> str:
        return html.unescape(TITLE.search(self.response.text).group(1))

    def form(self) -> tuple[str, dict]:
        """Return the URL and data that answer every question of the page shown."""
        text = self.response.text
        page = next(p for p in STAFF.pages if translate(p.title, "en") == self.title())
        data = {"action": "next", "csrf_token": CSRF.search(text).group(1)}
        for question in shown_questions(page, self.answered, decided=False):
            answers = answers_for(question)
            if question.name == "constraints":
                answers = {"constraints": self.marker}
            data.update(answers)
            self.answered.update({k: v for k, v in answers.items() if not isinstance(v, list)})
        action = html.unescape(ACTION.search(text).group(1))
        return urljoin(self.response.url, action), data

    def is_last(self) -> bool:
        return self.title() == translate(STAFF.pages[-1].title, "en")

    def next_page(self):
        """Answer the page shown and open the next one."""
        url, data = self.form()
        posted = self.session.post(url, data=data, allow_redirects=False, timeout=30)
        assert posted.status_code == 302, posted.text
        self.response = self.session.get(urljoin(url, posted.headers["Location"]), timeout=30)
        assert self.response.status_code == 200
        return self

    def to_last_page(self):
        self.open()
        for _ in range(len(STAFF.pages)):
            if self.is_last():
                return self
            self.next_page()
        raise AssertionError("never reached the last page")

    def submit(self) -> requests.Response:
        url, data = self.form()
        return self.session.post(url, data=data, allow_redirects=False, timeout=30)


def _outcome(response: requests.Response) -> str:
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == THANKS:
        return "thanks"
    if response.status_code == 409 and ALREADY in response.text:
        return "already received"
    return f"{response.status_code}: {response.text[:200]}"


def _at_once(posts: list) -> list[requests.Response]:
    """Send the posts (session, (url, data)) from one thread each, released together."""
    barrier = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def post(index, session, url, data):
        barrier.wait(timeout=10)
        results[index] = session.post(url, data=data, allow_redirects=False, timeout=30)

    threads = [
        threading.Thread(target=post, args=(i, session, url, data))
        for i, (session, (url, data)) in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_double_submission_stores_one_response(server):
    """The last page posted twice at once: one thanks, one "already received", one row."""
    server.start()
    links = server.invite(RACES)
    with ThreadPoolExecutor(4) as pool:  # bring every link to its last page
        walkers = list(
            pool.map(lambda n: Walker(links[n], f"race-{n}").to_last_page(), range(RACES))
        )
    outcomes = []
    for number, (link, first) in enumerate(zip(links, walkers, strict=True)):
        if number % 2:  # a second tab of the same browser: same cookie, same token
            second = requests.Session()
            second.cookies.update(first.session.cookies)
            requests_ = [(first.session, first.form()), (second, first.form())]
        else:  # another device: its own cookie and token
            other = Walker(link, f"race-{number}").open()
            assert other.is_last()
            requests_ = [(first.session, first.form()), (other.session, other.form())]
        outcomes.append(sorted(_outcome(result) for result in _at_once(requests_)))
    assert outcomes == [["already received", "thanks"]] * RACES
    integrity, markers = _stored(server.db)
    assert integrity == "ok"
    assert markers == Counter({f"race-{number}": 1 for number in range(RACES)})
    assert server.tracebacks() == 0


def test_a_killed_server_keeps_what_it_acknowledged(server):
    server.start()
    links = server.invite(4)
    for number, link in enumerate(links[:3]):
        assert _outcome(Walker(link, f"kept-{number}").to_last_page().submit()) == "thanks"
    midway = Walker(links[3], "midway").open().next_page().next_page()
    resume_at = midway.title()

    server.kill()
    integrity, markers = _stored(server.db)
    assert integrity == "ok"
    assert markers == Counter({"kept-0": 1, "kept-1": 1, "kept-2": 1})

    server.start()  # same port, same database
    assert ALREADY in requests.get(links[0], timeout=30).text
    midway.open()
    assert midway.title() == resume_at
    for _ in range(len(STAFF.pages)):
        if midway.is_last():
            break
        midway.next_page()
    assert _outcome(midway.submit()) == "thanks"
    integrity, markers = _stored(server.db)
    assert integrity == "ok"
    assert markers == Counter({"kept-0": 1, "kept-1": 1, "kept-2": 1, "midway": 1})
    assert server.tracebacks() == 0

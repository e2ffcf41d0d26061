"""Nothing acknowledged is lost: durable commits, and a database that cannot take a change.

Every connection the app and the command line open syncs each commit (WAL with
`synchronous = FULL`). A full disk, a read-only file and a write lock held past
`busy_timeout` are each made for real on the test's database file:

- full: SQLite's `PRAGMA max_page_count` on the app's own connection (the one this
  thread's requests use): the file may not grow, and a write that needs a new page gets
  SQLITE_FULL, as on a full disk;
- read-only: the file made read-only (chmod; for root, whom permissions do not stop, the
  immutable attribute); the requests run in a thread of their own, whose connection opens
  the file as it is then, as a server thread does;
- locked: another connection holds the write lock (BEGIN IMMEDIATE) while the app waits
  its `busy_timeout`, shortened to 0.2 s so that the test does not wait 10 s.

Each time: the respondent's page comes back 503 with Retry-After and the answers typed,
the evaluator's change is refused whole with the reason, a command stops with the reason
and no traceback, nothing is half-written, the server keeps serving pages that only read,
and once the cause is gone the same request succeeds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.store import connection
from surveyapp.store.connection import get_db
from surveyapp.store.invitations import create_invitations
from surveyapp.testing import CSRF, Respondent, sign_in
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
# A questionnaire of two pages in three languages; its long answers need a page of the
# file of their own (a 3-byte character 1,500 times: more than a 4 KiB page holds).
NOTES = """\
id: notes
title: {en: Notes, fr: Notes, es: Notas}
languages: [en, fr, es]
pages:
  - name: first
    title: {en: First page, fr: Première page, es: Primera página}
    questions:
      - name: region
        type: select_one
        label: {en: Region, fr: Région, es: Región}
        required: true
        choices:
          - {name: africa, label: {en: Africa, fr: Afrique, es: África}}
          - {name: asia, label: {en: Asia, fr: Asie, es: Asia}}
      - name: story
        type: text
        appearance: multiline
        label: {en: Your story, fr: Votre histoire, es: Su historia}
  - name: last
    title: {en: Last page, fr: Dernière page, es: Última página}
    questions:
      - name: lesson
        type: text
        appearance: multiline
        label: {en: A lesson, fr: Une leçon, es: Una lección}
"""
LONG = "€" * 1500  # 4,500 bytes
FIRST_PAGE = {"region": "asia", "story": f"Once {LONG}"}
SHORT_FIRST_PAGE = {"region": "africa", "story": "Once"}  # its draft frees no pages
LAST_PAGE = {"lesson": f"Learnt {LONG}"}
NOT_SAVED = {
    "en": "Your answers could not be saved. Please try again in a moment.",
    "fr": "Vos réponses n’ont pas pu être enregistrées. Veuillez réessayer dans un instant.",
    "es": "No se han podido guardar sus respuestas. Inténtelo de nuevo dentro de un momento.",
}


@pytest.fixture
def notes_app(tmp_path, questionnaire_dir):
    """The app over a fresh database file, with the notes questionnaire besides the others."""
    (questionnaire_dir / "notes.yaml").write_text(NOTES, encoding="utf-8")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-only",
            "DATABASE": str(tmp_path / "survey.db"),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )


def app_connection(app):
    """Return the connection this thread's requests to the app use (the server's own)."""
    with app.app_context():
        return get_db()


class Watched(sqlite3.Connection):
    """A connection that notes its settings when it is closed, for `connections_opened`."""

    noted: list = []

    def close(self):
        with contextlib.suppress(sqlite3.ProgrammingError):
            self.noted.append(settings(self))
        super().close()


def settings(conn: sqlite3.Connection) -> tuple[str, int, str]:
    """Return a connection's file, `synchronous` (2: FULL) and journal mode."""
    path = conn.execute("pragma database_list").fetchone()[2]
    synchronous = conn.execute("pragma synchronous").fetchone()[0]
    return path, synchronous, conn.execute("pragma journal_mode").fetchone()[0]


@pytest.fixture
def connections_opened(monkeypatch):
    """Every SQLite connection opened from now on: its settings, once closed or at the end."""
    opened, real = [], sqlite3.connect
    monkeypatch.setattr(Watched, "noted", [])

    def connect(*args, **kwargs):
        opened.append(real(*args, **{"factory": Watched, **kwargs}))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)

    def found() -> list:
        for conn in opened:  # those still open (a server thread's is kept)
            with contextlib.suppress(sqlite3.ProgrammingError):
                Watched.noted.append(settings(conn))
        return Watched.noted

    return found


def test_every_connection_the_app_and_the_commands_open_is_durable(
    tmp_path, questionnaire_dir, connections_opened
):
    """WAL with synchronous = FULL (2), on the connections of the app's start, of its
    requests in two server threads (respondent and evaluator), and of real commands."""
    (questionnaire_dir / "notes.yaml").write_text(NOTES, encoding="utf-8")
    path = str(tmp_path / "survey.db")
    config = {"DATABASE": path, "QUESTIONNAIRES": str(questionnaire_dir)}
    app = create_app({"TESTING": True, "SECRET_KEY": "test-only", **config})
    client = app.test_client()
    person = Respondent(client, link(app))
    person.open()
    assert person.submit(FIRST_PAGE).status_code == 302
    assert person.submit(LAST_PAGE).status_code == 302
    with ThreadPoolExecutor(1) as thread:  # another server thread: a connection of its own
        run_command(app, "add-evaluator", "ana", "--password-stdin", input="a long password\n")
        evaluator = app.test_client()
        assert thread.submit(sign_in, evaluator, "ana", "a long password").result().status_code
        assert thread.submit(evaluator.get, "/evaluate/").result().status_code == 200
    for command in (["init-db"], ["invite", "notes", "--count", 3], ["status"]):
        thread = ThreadPoolExecutor(1)  # each command a process of its own, as it were
        thread.submit(run_command, app, *command).result()
        thread.shutdown()
    found = [seen for seen in connections_opened() if seen[0] == path]
    assert len(found) >= 7  # the app's start, two threads, three commands' starts and threads
    assert {(synchronous, journal) for _, synchronous, journal in found} == {(2, "wal")}


class DiskFull:
    """The file may not grow (max_page_count on the app's connection): SQLITE_FULL."""

    name = "full"
    reason = "the disk is full"

    def __init__(self, app, monkeypatch):
        self.app = app

    def begin(self):
        store = app_connection(self.app)
        assert store.execute("pragma freelist_count").fetchone()[0] == 0  # no room inside
        pages = store.execute("pragma page_count").fetchone()[0]
        store.execute(f"pragma max_page_count = {pages}")

    def end(self):
        app_connection(self.app).execute("pragma max_page_count = 1073741823")

    def run(self, call, *args, **kwargs):
        return call(*args, **kwargs)


class ReadOnly:
    """The database file is read-only: SQLITE_READONLY for a connection opened on it."""

    name = "read-only"
    reason = "the database file is read-only"

    def __init__(self, app, monkeypatch):
        self.path = app.config["DATABASE"]
        self.thread = ThreadPoolExecutor(1)  # a server thread of its own

    def begin(self):
        self.thread.submit(connection.forget_db).result()  # its connection opens from now on
        if os.geteuid() != 0:
            os.chmod(self.path, 0o444)
            return
        done = subprocess.run(["chattr", "+i", self.path], capture_output=True, check=False)
        if done.returncode:
            pytest.skip(f"root, and no immutable attribute here: {done.stderr!r}")

    def end(self):
        if os.geteuid() != 0:
            os.chmod(self.path, 0o644)
        else:
            subprocess.run(["chattr", "-i", self.path], check=True)

    def run(self, call, *args, **kwargs):
        return self.thread.submit(call, *args, **kwargs).result()


class Locked:
    """Another connection holds the write lock past busy_timeout: SQLITE_BUSY."""

    name = "locked"
    reason = "the database is locked"

    def __init__(self, app, monkeypatch):
        self.app, self.holder = app, None
        monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)  # connections opened now

    def begin(self):
        app_connection(self.app).execute("pragma busy_timeout = 200")  # the one kept open
        self.holder = sqlite3.connect(self.app.config["DATABASE"], isolation_level=None)
        self.holder.execute("begin immediate")

    def end(self):
        self.holder.rollback()
        self.holder.close()

    def run(self, call, *args, **kwargs):
        return call(*args, **kwargs)


@pytest.fixture(params=[DiskFull, ReadOnly, Locked], ids=lambda kind: kind.name)
def fault(request, notes_app, monkeypatch):
    made = request.param(notes_app, monkeypatch)
    yield made
    if isinstance(made, ReadOnly):
        subprocess.run(["chattr", "-i", made.path], capture_output=True, check=False)
        made.thread.shutdown()


def stored(app) -> dict:
    """Return what the database holds of the notes survey and the codebook, read afresh.

    Read-only: SQLite hands the file descriptor of a closed connection on to the next
    connection of the process that opens the file alike, and a writable one would make
    the read-only file writable to it.
    """
    with sqlite3.connect(f"file:{app.config['DATABASE']}?mode=ro", uri=True) as conn:
        found = {
            "responses": conn.execute("select count(*) from responses_notes").fetchone()[0],
            "drafts": [row[0] for row in conn.execute("select draft from invitations")],
            "codes": conn.execute("select count(*) from codes").fetchone()[0],
            "events": conn.execute("select count(*) from codebook_events").fetchone()[0],
            "integrity": conn.execute("pragma integrity_check").fetchone()[0],
        }
    conn.close()
    return found


def link(app, language=None) -> str:
    store = connection.connect(app.config["DATABASE"])
    try:
        token = create_invitations(store, "notes", 1, language=language)[0]
    finally:
        store.close()
    return f"/s/notes/{token}"


def post_page(client, page, answers):
    """Post a page's answers from the form of the page last shown; return the response."""
    html = page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    data = {"action": "next", "csrf_token": CSRF.search(html).group(1), **answers}
    return client.post(action.replace("&amp;", "&"), data=data)


def assert_not_saved(response, answers, language="en"):
    """The page came back 503 with Retry-After, the message, and the answers as typed."""
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert NOT_SAVED[language].replace("’", "&#39;") in html.replace("’", "&#39;")
    assert 'role="alert"' in html
    for name, value in answers.items():
        if name == "region":
            assert re.search(rf'value="{value}"[^>]*checked', html), name
        else:
            assert f">{value}</textarea>" in html, name


@pytest.mark.parametrize("step", ["draft", "submit"])
def test_a_respondent_whose_answers_cannot_be_saved_gets_them_back_and_can_send_again(
    notes_app, fault, step
):
    client = notes_app.test_client()
    person = Respondent(client, link(notes_app))
    person.open()
    if step == "submit":
        assert person.submit(SHORT_FIRST_PAGE).status_code == 302
    answers = FIRST_PAGE if step == "draft" else LAST_PAGE
    shown, before = person.page, stored(notes_app)

    fault.begin()
    for _ in range(2):  # trying again while the cause lasts changes nothing
        response = fault.run(post_page, client, shown, answers)
        assert_not_saved(response, answers)
        assert stored(notes_app) == before
    assert fault.run(client.get, person.link).status_code == 200  # reading goes on
    fault.end()

    response = fault.run(post_page, client, shown, answers)  # the same request
    assert response.status_code == 302
    after = stored(notes_app)
    if step == "draft":
        assert json.loads(after["drafts"][0])["story"] == FIRST_PAGE["story"]
        assert after["responses"] == 0
    else:
        assert after["responses"] == 1 and after["drafts"] == [None]
    assert after["integrity"] == "ok"


@pytest.mark.parametrize("language", ["fr", "es"])
def test_answers_not_saved_are_said_in_the_respondents_language(notes_app, language):
    fault = DiskFull(notes_app, None)
    client = notes_app.test_client()
    person = Respondent(client, link(notes_app, language=language))
    person.open()
    fault.begin()
    response = post_page(client, person.page, FIRST_PAGE)
    assert_not_saved(response, FIRST_PAGE, language)
    assert f'lang="{language}"' in response.get_data(as_text=True)
    fault.end()
    assert post_page(client, person.page, FIRST_PAGE).status_code == 302


def test_a_page_that_cannot_be_saved_elsewhere_is_a_503_in_the_respondents_language(notes_app):
    """An open link that cannot make its invitation: the error page says so, 503."""
    fault = Locked(notes_app, pytest.MonkeyPatch())
    store = connection.connect(notes_app.config["DATABASE"])
    store.execute("update surveys set open_link = 1 where id = 'notes'")
    store.conn.commit()
    store.close()
    client = notes_app.test_client()
    client.get("/")
    fault.begin()
    response = client.get("/s/notes/open?lang=es")
    fault.end()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "No se han podido guardar sus respuestas" in html
    assert client.get("/s/notes/open?lang=es").status_code == 302


def test_an_evaluator_change_the_database_cannot_take_is_refused_whole(
    notes_app, fault, evaluator_client
):
    client = evaluator_client
    path = "/evaluate/coding/constraints"
    page = client.get(path)
    data = {
        "csrf_token": CSRF.search(page.get_data(as_text=True)).group(1),
        "name": "Funding",
        "description": "€" * 2000,  # more than a page of the file
    }
    before = stored(notes_app)
    fault.begin()
    response = fault.run(client.post, f"{path}/codes", data=data)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "The change was not saved" in html and fault.reason in html
    assert stored(notes_app) == before  # neither the code nor its event
    assert fault.run(client.get, path).status_code == 200  # the workspace still reads
    fault.end()
    assert fault.run(client.post, f"{path}/codes", data=data).status_code == 302
    after = stored(notes_app)
    assert (after["codes"], after["events"]) == (before["codes"] + 1, before["events"] + 1)


@pytest.fixture
def evaluator_client(notes_app):
    from surveyapp.store.evaluators import add_evaluator
    from surveyapp.testing import PASSWORD

    store = connection.connect(notes_app.config["DATABASE"])
    add_evaluator(store, "ana", PASSWORD)
    store.close()
    client = notes_app.test_client()
    sign_in(client, "ana")
    return client


def run_command(app, *args, expect=0, input=None):
    """Run a surveyapp command on the app's database; return the click result."""
    options = ["--db", app.config["DATABASE"], "--questionnaires", app.config["QUESTIONNAIRES"]]
    result = CliRunner().invoke(main, options + [str(arg) for arg in args], input=input)
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def test_a_command_the_database_cannot_take_stops_with_the_reason(notes_app, fault, tmp_path):
    links = tmp_path / "links.csv"
    client = notes_app.test_client()
    client.get("/")  # the app's connection, which the commands run here use too
    fault.begin()
    invite = ["invite", "notes", "--count", 300, "-o", links]
    result = fault.run(run_command, notes_app, *invite, expect=1)
    assert isinstance(result.exception, SystemExit)  # a message, not an error escaping
    assert f"Error: {notes_app.config['DATABASE']}: {fault.reason}" in result.output
    assert "the change was not saved" in result.output
    assert stored(notes_app)["drafts"] == []  # no invitation made
    assert not links.exists() and list(tmp_path.glob("*.partial")) == []  # no dead links
    fault.end()
    fault.run(run_command, notes_app, *invite)
    assert len(stored(notes_app)["drafts"]) == 300
    assert fault.run(client.get, "/").status_code == 200


def test_an_import_the_database_cannot_take_imports_nothing(notes_app, fault, tmp_path):
    from surveyapp.questionnaire.synthetic import synthetic_responses

    staff = notes_app.extensions["questionnaires"]["staff"]
    path = tmp_path / "staff.csv"
    synthetic_responses(staff, 200, seed=1).to_csv(path, index=False, float_format="%g")
    notes_app.test_client().get("/")
    fault.begin()
    result = fault.run(run_command, notes_app, "import-responses", "staff", path, expect=1)
    assert fault.reason in result.output and "Error:" in result.output
    fault.end()
    with sqlite3.connect(notes_app.config["DATABASE"]) as conn:
        assert conn.execute("select count(*) from responses_staff").fetchone()[0] == 0
        assert conn.execute("select count(*) from response_imports").fetchone()[0] == 0
    conn.close()
    result = fault.run(run_command, notes_app, "import-responses", "staff", path)
    assert "200 responses imported" in result.output


def test_the_command_line_says_why_without_a_traceback(notes_app, monkeypatch, tmp_path):
    """`python -m surveyapp` in a process of its own, on the database made read-only: a
    command that only reads still answers; one that writes stops with the reason."""
    fault = ReadOnly(notes_app, monkeypatch)
    base = [sys.executable, "-m", "surveyapp", "--db", notes_app.config["DATABASE"]]
    base += ["--questionnaires", notes_app.config["QUESTIONNAIRES"]]
    links = tmp_path / "links.csv"
    command = [*base, "invite", "notes", "--count", "2", "-o", str(links)]
    fault.begin()
    try:
        read = subprocess.run([*base, "status"], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        fault.end()
        fault.thread.shutdown()
    assert read.returncode == 0 and "invited" in read.stdout, read.stderr
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    path = notes_app.config["DATABASE"]
    assert done.stderr.startswith(f"Error: {path}: the database file is read-only"), done.stderr
    assert not links.exists()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"surveyapp answers\n" * 400, "the file is not a SQLite database"),
        (None, "the database file is damaged"),
    ],
)
def test_a_command_given_a_file_that_is_no_usable_database_says_so(
    tmp_path, questionnaire_dir, content, reason
):
    path = tmp_path / "wrong.db"
    if content is None:  # a database whose first page, past its header, is overwritten
        with sqlite3.connect(path) as conn:
            conn.execute("create table answers (text)")
        conn.close()
        with path.open("r+b") as handle:
            handle.seek(100)
            handle.write(b"\xff" * 3996)
    else:
        path.write_bytes(content)
    result = CliRunner().invoke(
        main, ["--db", str(path), "--questionnaires", str(questionnaire_dir), "status"]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"Error: {path}: {reason}" in result.output

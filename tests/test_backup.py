"""Backups known to restore: a consistent, checked copy of a live database, put back in place.

The load test runs `surveyapp serve` on 127.0.0.1 with 16 respondents submitting while
`surveyapp backup` runs in another process; only 127.0.0.1 is contacted, by a bounded number
of requests.
"""

from __future__ import annotations

import html
import re
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.answers import shown_questions
from surveyapp.questionnaire.loading import load_questionnaire
from surveyapp.questionnaire.model import translate
from surveyapp.store import backup as backups
from surveyapp.store.connection import connect
from surveyapp.testing import CSRF, ServeProcess, answers_for, surveyapp_command
from surveyapp.web import create_app

RESPONDENTS = 16
STAFF = load_questionnaire(Path(__file__).resolve().parent.parent / "questionnaires/staff.yaml")
THANKS = "/s/staff/thanks"
ALREADY = "Your answers were already received"
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
TITLE = re.compile(r"<h1>(.*?)</h1>")


class LiveServer(ServeProcess):
    """`surveyapp serve` on 127.0.0.1 over a database of its own."""

    def start(self):
        super().start(timeout=30, probe=THANKS)


def answer_staff(link: str, marker: str) -> str:
    """Answer the staff questionnaire through a link, page by page, its open answer the
    marker; return "thanks" if the last page was acknowledged, else what came back."""
    session, answered = requests.Session(), {}
    page = session.get(link, timeout=30)
    for _ in range(2 * len(STAFF.pages)):
        if page.status_code != 200 or not TITLE.search(page.text):
            return f"{page.status_code}: {page.text[:200]}"
        title = html.unescape(TITLE.search(page.text).group(1))
        shown = next(p for p in STAFF.pages if translate(p.title, "en") == title)
        data = {"action": "next", "csrf_token": CSRF.search(page.text).group(1)}
        for question in shown_questions(shown, answered, decided=False):
            answers = answers_for(question)
            if question.name == "constraints":
                answers = {"constraints": marker}
            data.update(answers)
            answered.update({k: v for k, v in answers.items() if not isinstance(v, list)})
        url = urljoin(page.url, html.unescape(ACTION.search(page.text).group(1)))
        posted = session.post(url, data=data, allow_redirects=False, timeout=30)
        if posted.status_code != 302:
            return f"{posted.status_code}: {posted.text[:200]}"
        location = urljoin(url, posted.headers["Location"])
        if urlsplit(location).path == THANKS:
            return "thanks"
        page = session.get(location, timeout=30)
    return "no end"


def invoke(database: Path, *args, expect: int = 0):
    """Run a surveyapp command on a database in this process; return the click result."""
    result = CliRunner().invoke(main, ["--db", str(database), *map(str, args)])
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def new_database(path: Path) -> Path:
    """Build a database file for the shipped questionnaires (no connection left open)."""
    create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE": str(path)})
    return path


def responses(path: Path) -> dict[int, tuple]:
    """Return the staff responses stored in a database file, whole, by response id."""
    with sqlite3.connect(path) as conn:
        found = {row[0]: row for row in conn.execute("select * from responses_staff")}
    conn.close()
    return found


def markers(rows: dict[int, tuple], path: Path) -> dict[str, int]:
    """Return each response's respondent marker (its `constraints` answer): response id."""
    with sqlite3.connect(path) as conn:
        column = [r[1] for r in conn.execute("pragma table_info(responses_staff)")].index(
            "constraints"
        )
    conn.close()
    return {row[column]: response_id for response_id, row in rows.items()}


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path)
    yield live
    live.stop()


class Respondents:
    """Respondents answering the staff questionnaire through the server, one thread each,
    each noting when every response of theirs was acknowledged."""

    def __init__(self, server: LiveServer, count: int):
        self.links = server.invite(600)
        self.next_link = iter(enumerate(self.links))
        self.acknowledged: list[tuple[float, str]] = []  # (monotonic time, marker)
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.answer, daemon=True) for _ in range(count)]

    def answer(self):
        while not self.stop.is_set():
            with self.lock:
                number, link = next(self.next_link, (None, None))
            if link is None:
                return
            marker = f"load-{number}"
            try:
                outcome = answer_staff(link, marker)
            except Exception as error:  # noqa: BLE001 - any failure is reported by the test
                self.failures.append(f"{marker}: {error!r}")
                continue
            if outcome == "thanks":
                with self.lock:
                    self.acknowledged.append((time.monotonic(), marker))
            else:
                self.failures.append(f"{marker}: {outcome}")

    def acknowledged_before(self, moment: float) -> set[str]:
        with self.lock:
            return {marker for at, marker in self.acknowledged if at < moment}

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


def test_a_backup_under_load_holds_every_acknowledged_response_and_restores(server, tmp_path):
    server.start()
    copy = tmp_path / "backup.db"
    with Respondents(server, RESPONDENTS) as load:
        deadline = time.monotonic() + 120
        while len(load.acknowledged) < 2 * RESPONDENTS and time.monotonic() < deadline:
            time.sleep(0.1)
        started = time.monotonic()
        made = subprocess.run(  # noqa: S603 - our own command, no shell
            [*surveyapp_command(), "--db", str(server.db), "backup", "-o", str(copy)],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ended = time.monotonic()
        while (
            len(load.acknowledged_before(time.monotonic()))
            < len(load.acknowledged_before(ended)) + RESPONDENTS
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)  # respondents keep submitting after the copy
        refused = invoke(server.db, "restore", copy, expect=1)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "integrity ok, rows equal" in made.stdout and "responses_staff" in made.stdout
    assert not load.failures
    assert "a server is using it" in refused.output and "nothing restored" in refused.output
    before = load.acknowledged_before(started)
    during = load.acknowledged_before(ended)
    after = {marker for _, marker in load.acknowledged}
    assert len(before) >= 2 * RESPONDENTS and len(after) > len(during)

    copied, live = responses(copy), responses(server.db)
    in_copy = markers(copied, copy)
    assert before <= set(in_copy) <= during  # all acknowledged before; none after it ended
    assert set(markers(live, server.db)) == after
    for response_id, row in copied.items():  # each response whole, as the server kept it
        assert row == live[response_id]
    with sqlite3.connect(copy) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
        completed = conn.execute(
            "select count(*) from invitations where survey = 'staff' and completed = 1"
        ).fetchone()[0]
    conn.close()
    assert completed == len(copied)  # every response with its invitation marked used

    server.stop()
    restored = invoke(server.db, "restore", copy)
    [replaced] = tmp_path.glob("surveyapp.db.replaced-*")
    assert f"kept as {replaced}" in restored.output
    assert responses(server.db) == copied
    assert responses(replaced) == live  # the replaced database kept whole
    server.start()  # the restored database serves: a link answered before the copy is used
    first = next(marker for marker in sorted(before))
    link = server_link(load.links, first)
    assert ALREADY in requests.get(link, timeout=30).text
    assert server.tracebacks() == 0


def server_link(links: list[str], marker: str) -> str:
    """Return the link a respondent marker (load-N) answered through."""
    return links[int(marker.split("-")[1])]


def test_a_killed_server_leaves_no_lock_behind(server, tmp_path):
    server.start()
    copy = tmp_path / "backup.db"
    invoke(server.db, "backup", "-o", copy)
    invoke(server.db, "restore", copy, expect=1)
    server.kill()  # SIGKILL: no clean-up of any kind
    assert backups.serving_lock(server.db).exists()
    assert "restored" in invoke(server.db, "restore", copy).output


def test_restore_is_refused_while_another_program_has_the_database_open(tmp_path):
    database = new_database(tmp_path / "survey.db")
    copy = tmp_path / "copy.db"
    invoke(database, "backup", "-o", copy)
    reader = connect(str(database))
    reader.execute("select count(*) from surveys").fetchone()
    try:
        refused = invoke(database, "restore", copy, expect=1)
    finally:
        reader.close()
    assert "another program has it open" in refused.output
    assert not list(tmp_path.glob("*.replaced-*"))
    assert "restored" in invoke(database, "restore", copy).output


def test_a_backup_to_a_folder_is_timestamped_and_keeps_the_newest(tmp_path):
    database = new_database(tmp_path / "survey.db")
    folder = tmp_path / "backups"
    folder.mkdir()
    older = [folder / f"survey-2026-11-{day:02d}T050000Z.db" for day in (1, 2, 3)]
    for path in older:
        path.write_bytes(b"an older backup")
    other = folder / "notes.txt"
    other.write_text("kept: not a backup of this database")
    result = invoke(database, "backup", "-o", folder, "--keep", 2)
    [made] = [p for p in folder.glob("survey-*.db") if p not in older]
    assert f"to {made}" in result.output
    assert sorted(folder.iterdir()) == sorted([older[2], made, other])
    assert f"deleted {older[0]}" in result.output and f"deleted {older[1]}" in result.output
    assert backups.examine(made).rows["surveys"] == 2
    assert not list(folder.glob(".*"))  # no temporary file left


@pytest.mark.parametrize(
    ("args", "expect", "message"),
    [
        (["-o", "{tmp}/missing/b.db"], 2, "no such folder"),
        (["-o", "{tmp}/b.db", "--keep", "3"], 2, "--keep needs -o FOLDER"),
        (["-o", "{db}"], 1, "is the database itself"),
    ],
)
def test_a_backup_asked_wrongly_is_refused(tmp_path, args, expect, message):
    database = new_database(tmp_path / "survey.db")
    args = [a.format(tmp=tmp_path, db=database) for a in args]
    result = invoke(database, "backup", *args, expect=expect)
    assert message in result.output
    assert not list(tmp_path.glob("*b.db*")) and not list(tmp_path.glob(".*"))


def test_a_backup_of_no_database_writes_nothing(tmp_path):
    result = invoke(tmp_path / "none.db", "backup", "-o", tmp_path / "b.db", expect=1)
    assert "no database file there" in result.output
    assert not list(tmp_path.iterdir())


def _damaged(path: Path) -> Path:
    """Overwrite the middle of a page of a table's rows with garbage."""
    conn = sqlite3.connect(path)
    page = conn.execute("pragma page_size").fetchone()[0]
    root = conn.execute("select rootpage from sqlite_master where name = 'surveys'").fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page + 8)
        handle.write(b"\xff" * 64)
    return path


def _foreign(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (text)")
    conn.close()
    return path


def _newer(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at)"
            " values ('surveyapp', 'm999_from_a_newer_release', '2027-01-01')"
        )
    conn.close()
    return path


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda p: p.write_text("not a database") and p, "not an SQLite database"),
        (_damaged, "damaged (PRAGMA integrity_check"),
        (_foreign, "not a surveyapp database"),
        (_newer, "made by a newer release of surveyapp"),
    ],
    ids=["text", "damaged", "foreign", "newer"],
)
def test_a_bad_backup_is_refused_and_the_database_kept(tmp_path, spoil, message):
    database = new_database(tmp_path / "survey.db")
    bad = tmp_path / "bad.db"
    if spoil is not _foreign:
        invoke(database, "backup", "-o", bad)
    spoil(bad)
    before = database.read_bytes()
    result = invoke(database, "restore", bad, expect=1)
    assert message in result.output and str(bad) in result.output
    assert database.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "survey.db" in p.name) == ["survey.db"]


def test_a_backup_of_an_earlier_release_is_restored_for_init_db_to_upgrade(tmp_path):
    release = Path(__file__).parent / "data" / "release-0.1.0.db"
    database = new_database(tmp_path / "survey.db")
    result = invoke(database, "restore", release)
    assert "made by an earlier release: run `surveyapp init-db`" in result.output
    assert "m005_coding_decisions_by_answer" in result.output
    assert "m005_coding_decisions_by_answer" in invoke(database, "init-db").output


def test_backup_and_restore_find_the_database_as_the_app_does(tmp_path, monkeypatch):
    """Without --db: instance/config.py's DATABASE, then SURVEYAPP_DB, as `create_app` reads."""
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    configured = new_database(tmp_path / "configured.db")
    (instance / "config.py").write_text(f"DATABASE = {str(configured)!r}\n")
    assert create_app().config["DATABASE"] == str(configured)
    result = CliRunner().invoke(main, ["backup", "-o", str(tmp_path / "a.db")])
    assert result.exit_code == 0 and f"backed up {configured} to" in result.output
    other = new_database(tmp_path / "other.db")
    monkeypatch.setenv("SURVEYAPP_DB", str(other))
    assert create_app().config["DATABASE"] == str(other)
    result = CliRunner().invoke(main, ["backup", "-o", str(tmp_path / "b.db")])
    assert result.exit_code == 0 and f"backed up {other} to" in result.output

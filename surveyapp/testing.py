"""What the tests and benchmarks share: respondents, evaluators, seeded answers, a real server.

Like Datasette's ``fixtures.py``, this lives in the package so that ``tests/`` and
``benchmarks/`` use one copy. Nothing in the app imports it.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from coding.embeddings import SentenceEmbedder
from surveyapp.questionnaire.model import Question, Questionnaire
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.responses import insert_responses, response_row

# 188 short answers on what constrained the programme, each labelled with one of 7 codes.
LABELLED_ANSWERS = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "constraints_labelled.csv"
)
PASSWORD = "a long test password"  # noqa: S105 - the test accounts' only
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Answers to each page of tests/data/demo.yaml, as a respondent in Africa submits them.
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


class Respondent:
    """A respondent answering through a Flask test client, page by page."""

    def __init__(self, client, link: str):
        self.client = client
        self.link = link
        self.page = None

    def open(self, page=None):
        """Open the questionnaire at the link (or one page of it); return the response."""
        url = self.link if page is None else f"{self.link}?page={page}"
        self.page = self.client.get(url)
        return self.page

    def token(self) -> str:
        """Return the CSRF token of the page last opened."""
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


def sign_in(client, name: str, password: str = PASSWORD, next_path: str | None = None):
    """Sign a Flask test client in as an evaluator; return the sign-in response."""
    url = "/evaluate/sign-in" + (f"?next={next_path}" if next_path else "")
    token = CSRF.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(url, data={"name": name, "password": password, "csrf_token": token})


def answers_for(question: Question) -> dict[str, Any]:
    """Return form data answering one question: the first choice, ranks in order, a number."""
    return question.kind.example_formdata(question)


@functools.cache
def labelled_answers() -> pd.DataFrame:
    """Return the labelled answers (code, text), read once."""
    return pd.read_csv(LABELLED_ANSWERS)


@functools.cache
def sentence_embedder() -> SentenceEmbedder:
    """Return one sentence embedder for the whole run (the model loads on first use)."""
    return SentenceEmbedder()


@functools.cache
def labelled_embeddings() -> np.ndarray:
    """Return the embedding of each labelled answer, read-only, computed once per run."""
    vectors = sentence_embedder().encode(labelled_answers().text.tolist())
    vectors.setflags(write=False)
    return vectors


def responses_file(questionnaire: Questionnaire, path: Path, count: int, seed: int = 1) -> Path:
    """Write `count` distinct valid responses as an export with empty ids; return the path."""
    frame = synthetic_responses(questionnaire, count, seed=seed)
    frame["response_id"] = None
    frame["constraints"] = [f"constraint {seed}-{n}" for n in range(count)]
    frame.to_csv(path, index=False, float_format="%g")
    return path


def rewrite_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV file of responses (line 2 is the first response)."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[line - 2][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def seed_responses(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    rows: list[dict] | pd.DataFrame,
    source: str = "web",
):
    """Store completed responses given as rows of answers (unnamed columns left empty).

    A row may give its ``response_id`` and the ``language`` it was answered in; the others
    are numbered by SQLite. Nothing is
    checked: tests use this to put exactly the answers they need in the store.
    """
    if isinstance(rows, pd.DataFrame):
        rows = rows.astype(object).where(rows.notna(), None).to_dict("records")
    records = []
    for row in rows:
        record = response_row(questionnaire, row, row.get("source", source), row.get("language"))
        record["response_id"] = row.get("response_id")
        records.append(record)
    insert_responses(db, questionnaire, records)


def surveyapp_command() -> list[str]:
    """Return the command that runs `surveyapp` from this interpreter's environment."""
    script = Path(sys.executable).parent / "surveyapp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "surveyapp"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _threads_alive(process: Path) -> bool:
    """Whether a process whose main thread has ended (a zombie) still has threads exiting.

    A worker's other threads end after its main thread when it is killed, and its open
    files (the serving lock among them) are closed only when the last of them has ended.
    """
    for task in process.glob("task/*/stat"):
        try:
            if task.read_text().rsplit(")", 1)[1].split()[0] != "Z":
                return True
        except OSError:
            continue
    return False


class ServeProcess:
    """`surveyapp serve` on 127.0.0.1 over a database and instance folder of its own."""

    def __init__(self, folder: Path, port: int | None = None, options: tuple[str, ...] = ()):
        self.folder = Path(folder)
        self.db = self.folder / "surveyapp.db"
        self.port = port or free_port()
        self.options = tuple(options)  # more `surveyapp` options, e.g. --questionnaires
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SURVEYAPP_INSTANCE": str(self.folder / "instance")}
        for name in ("SURVEYAPP_DB", "SURVEYAPP_QUESTIONNAIRES"):
            self.env.pop(name, None)
        self.log = self.folder / "serve.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.reaped_cpu = 0.0  # CPU seconds of server runs that have ended

    def command(self, *args: str) -> list[str]:
        return [*surveyapp_command(), "--db", str(self.db), *self.options, *args]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run a surveyapp command on this database and return what it printed."""
        done = subprocess.run(  # noqa: S603 - our own command, no shell
            self.command(*args),
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"surveyapp {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, serve_options: tuple[str, ...] = (), timeout: float = 60.0, probe="/"):
        """Start serving and wait until the page at `probe` answers."""
        command = self.command("serve", "--host", "127.0.0.1", "--port", str(self.port))
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts + 1}\n")
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own command, no shell
                [*command, *serve_options],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: the workers die with it
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + probe, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:  # refused, reset, or an HTTP error (URLError is an OSError)
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def invite(self, count: int, survey: str = "staff") -> list[str]:
        """Make invitation links in this process (the server has created the database)."""
        from surveyapp.store.connection import connect
        from surveyapp.store.invitations import create_invitations

        store = connect(str(self.db))
        try:
            tokens = create_invitations(store, survey, count)
        finally:
            store.close()
        return [f"{self.base}/s/{survey}/{token}" for token in tokens]

    def _signal_group(self, signum: int):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def kill(self):
        """Kill the server and its workers at once (SIGKILL): no clean-up of any kind."""
        if self.process is None:
            return
        self._account_cpu()
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._wait_for_group()

    def stop(self):
        """Stop the server politely (SIGTERM), or kill it after 30 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._account_cpu()
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=30)
        self._wait_for_group()

    def _wait_for_group(self, timeout: float = 10.0):
        """Wait until no process of the server's group is left (workers exit after it)."""
        deadline = time.monotonic() + timeout
        while self._group() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._signal_group(signal.SIGKILL)

    def _group(self) -> dict[int, list[str]]:
        """Return the fields of /proc/PID/stat (after the name) of each live process in the
        server's group, by process id."""
        found = {}
        for folder in Path("/proc").iterdir():
            if not folder.name.isdigit():
                continue
            try:
                fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid and (fields[0] != "Z" or _threads_alive(folder)):
                found[int(folder.name)] = fields
        return found

    def _account_cpu(self):
        self.reaped_cpu = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the server's processes have used so far.

        Counts every process of the group, and the workers that ended and were reaped by
        the server; the runs before a kill or stop are included too.
        """
        if not self.running():
            return self.reaped_cpu
        ticks = 0
        for pid, fields in self._group().items():
            ticks += int(fields[11]) + int(fields[12])
            if pid == self.process.pid:
                ticks += int(fields[13]) + int(fields[14])  # its reaped children
        return self.reaped_cpu + ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def tracebacks(self) -> int:
        """Return how many tracebacks the server has logged."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("Traceback (most recent call last)")


def finished_clustering(client, job_page: str, polls: int = 1200) -> str:
    """Follow a clustering job (where `coding.cluster` redirects) with a Flask test client
    until it has ended; return where its page then leads (the clustering, once made).

    The loop bound is generous (ten minutes): the model may load on a busy machine.
    """
    for _ in range(polls):
        if client.get(f"{job_page}/progress").get_json()["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    return client.get(job_page).headers.get("Location", job_page)

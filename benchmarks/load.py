"""Load on the production server: simulated respondents answering the staff questionnaire.

Starts `surveyapp serve` (gunicorn, as `make run` does) in a subprocess on a free 127.0.0.1
port over a fresh temporary database, makes invitation links with `surveyapp invite`, then
runs closed-loop clients (no think time; one thread and one keep-alive connection each) at 16
and then 64 at once. At each level, first every client GETs a trivial endpoint of the same
server for a while, then every client answers the staff questionnaire: it takes a fresh
link, GETs each page, POSTs valid answers for every question shown (drawn at random from
the questionnaire model, page found by its <h1> title) with the page's CSRF token and form
action, until the redirect to /s/staff/thanks, then takes the next link. A survey page
request is a GET of a questionnaire page or a POST of its answers; the thanks page itself
is not fetched by the walk (it is the trivial endpoint). Afterwards the database must hold
exactly one response per questionnaire acknowledged and pass PRAGMA integrity_check.

The trivial endpoint is GET /s/staff/thanks: a small template, no database. Measured one
request at a time it was the cheapest page (about 1.2 ms, against 1.8-2.7 ms for
/static/survey.css, which Flask reads and gzips each time, and 2.4 ms for the home page).
The cost of a survey page is given over it three ways: server CPU per request (from
/proc, user + system of all the server's processes: what the target is judged on),
throughput, and p50 latency.

Durability costs a sync of the WAL file at every commit: the whole run is made twice, over a
fresh database each time, with the server's connections at `PRAGMA synchronous = NORMAL`
(what the app used before issue 15: a commit can be lost in a power cut) and then at FULL
(what it uses: durable), and questionnaires per second and p95 are compared at each level
(`--synchronous FULL` runs one; `--rounds 3` alternates them three times, and the
comparison takes the medians). Before the load, 200 single-row commits on one connection
measure the sync alone. The app has no setting to lower it: for the NORMAL run the
benchmark starts `surveyapp serve` through a launcher that sets
`surveyapp.store.connection.SYNCHRONOUS` first (the server's processes are forked from it).
The database is in the system's temporary folder (`--folder` to put it elsewhere): the
figures are those of that disk's fsync.

Only 127.0.0.1 is contacted; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import html
import http.client
import math
import os
import queue
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import numpy as np
from werkzeug.datastructures import MultiDict

from surveyapp.questionnaire.answers import is_shown, shown_questions
from surveyapp.questionnaire.loading import load_questionnaire
from surveyapp.questionnaire.model import translate
from surveyapp.testing import CSRF, ServeProcess

ROOT = Path(__file__).resolve().parent.parent
SURVEY = "staff"
QUESTIONNAIRE = ROOT / "questionnaires" / f"{SURVEY}.yaml"
TRIVIAL = f"/s/{SURVEY}/thanks"  # no database, a small template: the cheapest page there is
THANKS = f"/s/{SURVEY}/thanks"
LEVELS = (16, 64)
TRIVIAL_SECONDS = 10.0
SURVEY_SECONDS = 20.0
REQUEST_TIMEOUT = 30.0
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
TITLE = re.compile(r"<h1>(.*?)</h1>", re.S)
ERROR_TEXT = re.compile(r'class="error[^"]*"[^>]*>(.*?)<', re.S)
ALREADY = "already received"
# What a refused, reset or dropped connection raises (the server down, or killed mid-request).
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


class Response:
    """A response as the client got it: status, headers, decoded text and its URL."""

    def __init__(self, url: str, status: int, headers: http.client.HTTPMessage, text: str):
        self.url, self.status, self.headers, self.text = url, status, headers, text


class Browser:
    """A light HTTP/1.1 client: one keep-alive connection, cookies, gzip, form posts.

    Built on http.client rather than requests, which spends about 4x more client CPU per
    request (1.3 ms against 0.35 ms here): on 2 cores the load generator takes its CPU from
    the server it measures, so the lighter client distorts the figures less. Nothing is
    retried: a connection error is raised to the caller.
    """

    def __init__(self, base: str, timeout: float = 30.0):
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, url: str, data: dict | None = None) -> Response:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Accept-Encoding": "gzip", "User-Agent": "surveyapp-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, target, body, headers)
            response = self.conn.getresponse()
            raw = response.read()
        except BaseException:
            self.close()
            raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if response.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        if response.will_close:
            self.close()
        text = raw.decode("utf-8", "replace")
        return Response(
            f"http://{self.host}:{self.port}{target}", response.status, response.headers, text
        )


# Runs the surveyapp command with the server's connections at another `synchronous`.
LAUNCHER = (
    "import sys; from surveyapp.store import connection;"
    " connection.SYNCHRONOUS = sys.argv.pop(1); from surveyapp.cli import main;"
    " sys.argv[0] = 'surveyapp'; main()"
)
SETTINGS = ("NORMAL", "FULL")


class Server(ServeProcess):
    """`surveyapp serve` over a fresh database, its links made with `surveyapp invite`.

    `synchronous` other than FULL (the app's own) is set in the serving process only.
    """

    def __init__(self, folder: Path, synchronous: str = "FULL", **options):
        super().__init__(folder, **options)
        self.synchronous = synchronous
        # The server runs the code beside this benchmark, not whichever is installed.
        paths = [str(ROOT), *filter(None, [self.env.get("PYTHONPATH")])]
        self.env["PYTHONPATH"] = os.pathsep.join(paths)

    def command(self, *args: str) -> list[str]:
        if self.synchronous == "FULL" or args[:1] != ("serve",):
            return super().command(*args)
        launched = [sys.executable, "-c", LAUNCHER, self.synchronous]
        return [*launched, "--db", str(self.db), *self.options, *args]

    def invite(self, count: int) -> list[str]:
        """Make invitation links with `surveyapp invite` and return them."""
        links = self.folder / "links.csv"
        self.cli(
            "invite", SURVEY, "--count", str(count), "-o", str(links), "--base-url", self.base
        )
        with links.open(newline="") as handle:
            return [row["link"] for row in csv.DictReader(handle)]

    def start(self, serve_options: tuple[str, ...] = (), timeout: float = 60.0, probe=TRIVIAL):
        super().start(serve_options, timeout, probe)


# --- the respondents -------------------------------------------------------------------


def draw_answers(question, rng: np.random.Generator, marker: str) -> tuple[dict, dict]:
    """Return one valid answer to a question drawn at random: as stored, and as form data.

    The question's type draws it (as for synthetic responses); free text carries the
    respondent's marker, or characters that must come back escaped.
    """
    kind = question.kind
    drawn = kind.synthetic(question, 1, rng)
    row = {
        name: getattr(values[0], "item", lambda v=values[0]: v)() for name, values in drawn.items()
    }
    if kind.open_text:
        number = int(rng.integers(0, 1000))
        text = f"Answer to {question.name} & <b>«{number}»</b>"
        row[question.name] = marker if question.name == "constraints" else text
    return row, MultiDict(kind.answers_formdata(question, row)).to_dict(flat=False)


class Plan:
    """The answers one respondent gives, drawn once per page and the same on every retry."""

    def __init__(self, questionnaire, seed: int, marker: str):
        self.questionnaire = questionnaire
        self.rng = np.random.default_rng(seed)
        self.marker = marker
        self.pages: dict[str, dict] = {}
        self.answered: dict = {}  # every answer drawn so far, as stored
        self.final_sent = False  # whether the last page's answers were ever posted
        self.already_page = ""  # the "already received" page, if one was shown

    def page_by_title(self, text: str):
        match = TITLE.search(text)
        if not match:
            return None
        title = html.unescape(match.group(1)).strip()
        return next(
            (p for p in self.questionnaire.pages if translate(p.title, "en") == title), None
        )

    def answers(self, page) -> dict:
        """Return the form data for a page: every question shown on it answered."""
        if page.name not in self.pages:
            data: dict = {}
            for question in shown_questions(page, self.answered, decided=False):
                row, given = draw_answers(question, self.rng, self.marker)
                data.update(given)
                self.answered.update(row)
            self.pages[page.name] = data
        return self.pages[page.name]

    def expected_row(self) -> dict:
        """Return the response row these answers should be stored as (column: value)."""
        row = {}
        for page in self.questionnaire.pages:
            for question in page.questions:
                shown = page.name in self.pages and is_shown(question, page, self.answered)
                for column in question.columns():
                    row[column.name] = self.answered.get(column.name) if shown else None
        return row


class Stats:
    """Requests timed by the clients: (kind, seconds, status); appends are thread-safe."""

    def __init__(self):
        self.requests: list[tuple[str, float, int]] = []
        self.errors: list[str] = []
        self.completed = 0
        self.lock = threading.Lock()

    def acknowledged(self) -> None:
        """Count a questionnaire the server thanked the respondent for."""
        with self.lock:
            self.completed += 1

    def timed(self, browser: Browser, kind: str, url: str, data: dict | None = None) -> Response:
        started, clock = time.monotonic(), time.perf_counter()
        try:
            response = browser.request(kind, url, data)
        except CONNECTION_ERRORS as error:
            self.record(kind, started, time.perf_counter() - clock, 0)
            self.errors.append(f"{kind} {urlsplit(url).path}: {type(error).__name__}")
            raise
        self.record(kind, started, time.perf_counter() - clock, response.status)
        return response

    def record(self, kind: str, started: float, seconds: float, status: int) -> None:
        """Keep one timed request as (kind, seconds, status)."""
        self.requests.append((kind, seconds, status))


class Unexpected(Exception):
    """A page that a valid respondent should never get."""


def describe(method: str, response: Response) -> str:
    title = TITLE.search(response.text)
    problems = [html.unescape(m).strip() for m in ERROR_TEXT.findall(response.text)][:3]
    title = html.unescape(title.group(1)) if title else "no title"
    return f"{method} {urlsplit(response.url).path} -> {response.status} ({title}) {problems}"


def answer_questionnaire(
    browser: Browser, link: str, plan: Plan, stats: Stats, deadline: float
) -> str:
    """Answer a questionnaire from its link until the thanks redirect.

    Returns "acknowledged" (the final POST was redirected to the thanks page), "already"
    (the link says the answers were already received), or "stopped" (deadline reached).
    Raises Unexpected for any other page than the next one, and connection errors.
    """
    pages = plan.questionnaire.pages
    response = stats.timed(browser, "GET", link)
    for _ in range(2 * len(pages) + 2):
        if response.status == 409 or ALREADY in response.text:
            plan.already_page = describe("GET", response)
            return "already"
        if response.status != 200:
            raise Unexpected(describe("GET", response))
        if time.monotonic() > deadline:
            return "stopped"
        page = plan.page_by_title(response.text)
        token, action = CSRF.search(response.text), ACTION.search(response.text)
        if page is None or not token or not action:
            raise Unexpected(f"not a questionnaire page: {describe('GET', response)}")
        data = {"action": "next", "csrf_token": token.group(1), **plan.answers(page)}
        url = urljoin(response.url, html.unescape(action.group(1)))
        plan.final_sent = plan.final_sent or page is pages[-1]
        posted = stats.timed(browser, "POST", url, data)
        if posted.status == 409:
            plan.already_page = describe("POST", posted)
            return "already"
        if posted.status != 302:
            raise Unexpected(describe("POST", posted))
        location = urljoin(posted.url, posted.headers["Location"])
        if urlsplit(location).path == THANKS:
            return "acknowledged"
        response = stats.timed(browser, "GET", location)
    raise Unexpected(f"no end after {2 * len(pages) + 2} pages: {link}")


def survey_client(
    number: int, base: str, links: queue.Queue, questionnaire, stats: Stats, deadline: float
):
    """Take fresh links and answer them until the deadline; count every acknowledgement."""
    browser = Browser(base, REQUEST_TIMEOUT)
    while time.monotonic() < deadline:
        try:
            index, link = links.get_nowait()
        except queue.Empty:
            stats.errors.append("out of links")
            return
        plan = Plan(questionnaire, index, f"client-{number} link-{index}")
        try:
            outcome = answer_questionnaire(browser, link, plan, stats, deadline)
        except Unexpected as error:
            stats.errors.append(str(error))
            continue
        except CONNECTION_ERRORS:
            continue
        if outcome == "acknowledged":
            stats.acknowledged()
        elif outcome == "already":
            stats.errors.append(f"unexpected 'already received': {plan.already_page}")


def trivial_client(base: str, stats: Stats, deadline: float):
    browser = Browser(base, REQUEST_TIMEOUT)
    while time.monotonic() < deadline:
        try:
            response = stats.timed(browser, "GET", base + TRIVIAL)
        except CONNECTION_ERRORS:
            continue
        if response.status != 200:
            stats.errors.append(describe("GET", response))


def run_clients(target, count: int, args_of) -> tuple[float, float]:
    """Run `count` client threads to their end; return the seconds and client CPU taken."""
    threads = [threading.Thread(target=target, args=args_of(n), daemon=True) for n in range(count)]
    start, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SURVEY_SECONDS + 2 * REQUEST_TIMEOUT)
    return time.perf_counter() - start, time.process_time() - cpu


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    if not latencies:
        return (float("nan"),) * 3
    p50, p95, p99 = np.percentile(np.array(latencies) * 1000, [50, 95, 99])
    return p50, p95, p99


def summary(stats: Stats, seconds: float, cpu: dict, kinds: tuple[str, ...]) -> dict:
    chosen = [(k, t, s) for k, t, s in stats.requests if k in kinds]
    bad = sum(1 for _, _, s in chosen if not 200 <= s < 400 or s in (409, 422))
    count = max(len(chosen), 1)
    return {
        "requests": len(chosen),
        "rps": len(chosen) / seconds,
        "latency": percentiles([t for _, t, _ in chosen]),
        "bad": bad,
        "server_ms": 1000 * cpu["server"] / count,
        "client_ms": 1000 * cpu["client"] / count,
    }


def row(label: str, part: dict, cpu=True) -> str:
    p50, p95, p99 = part["latency"]
    server = f"{part['server_ms']:.2f}" if cpu else "-"
    client = f"{part['client_ms']:.2f}" if cpu else "-"
    return (
        f"| {label} | {part['requests']:,} | {part['rps']:,.0f} | {p50:.1f} | {p95:.1f}"
        f" | {p99:.1f} | {server} | {client} | {part['bad']} |"
    )


def phase(server: Server, target, clients: int, seconds: float, args_of) -> tuple[float, dict]:
    """Run one phase of clients; return its seconds and the server's and clients' CPU."""
    before = server.cpu_seconds()
    took, client_cpu = run_clients(target, clients, args_of(time.monotonic() + seconds))
    return took, {"server": server.cpu_seconds() - before, "client": client_cpu}


def level(server: Server, clients: int, links: queue.Queue, questionnaire, seconds: dict):
    """Measure the trivial endpoint, then survey pages, at one concurrency; return results."""
    trivial, survey = Stats(), Stats()
    took, cpu = phase(
        server,
        trivial_client,
        clients,
        seconds["trivial"],
        lambda deadline: lambda n: (server.base, trivial, deadline),
    )
    survey_took, survey_cpu = phase(
        server,
        survey_client,
        clients,
        seconds["survey"],
        lambda deadline: lambda n: (n, server.base, links, questionnaire, survey, deadline),
    )
    return {
        "clients": clients,
        "trivial": summary(trivial, took, cpu, ("GET",)),
        "get": summary(survey, survey_took, survey_cpu, ("GET",)),
        "post": summary(survey, survey_took, survey_cpu, ("POST",)),
        "all": summary(survey, survey_took, survey_cpu, ("GET", "POST")),
        "completed": survey.completed,
        "completed_per_s": survey.completed / survey_took,
        "errors": trivial.errors + survey.errors,
        "seconds": survey_took,
    }


def ratios(result: dict) -> dict:
    """Return the cost of a survey page over that of the trivial request, three ways."""
    trivial, pages = result["trivial"], result["all"]
    return {
        "server CPU": pages["server_ms"] / trivial["server_ms"],
        "throughput": trivial["rps"] / pages["rps"],
        "p50 latency": pages["latency"][0] / trivial["latency"][0],
    }


def print_level(result: dict):
    print(
        f"\n{result['clients']} concurrent clients: {result['completed']} questionnaires"
        f" completed in {result['seconds']:.1f} s = {result['completed_per_s']:.1f} per second"
    )
    print(
        "| requests | count | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req"
        " | client CPU ms/req | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(row("survey page GET", result["get"], cpu=False))
    print(row("survey page POST", result["post"], cpu=False))
    print(row("survey pages, GET + POST", result["all"]))
    print(row(f"trivial: GET {TRIVIAL}", result["trivial"]))
    print(
        "cost of a survey page / trivial request: "
        + ", ".join(f"{name} {value:.1f}x" for name, value in ratios(result).items())
    )
    errors = result["errors"]
    print(f"errors: {len(errors)}")
    for error in sorted(set(errors))[:10]:
        print(f"  {errors.count(error)} x {error}")


def check_database(path: Path) -> tuple[int, str]:
    with sqlite3.connect(path) as conn:
        stored = conn.execute(f"select count(*) from responses_{SURVEY}").fetchone()[0]
        integrity = conn.execute("pragma integrity_check").fetchone()[0]
    conn.close()
    return stored, integrity


def run(args, synchronous: str, questionnaire, seconds: dict) -> tuple[list[dict], bool]:
    """Serve a fresh database at one `synchronous` setting and load it at each level."""
    folder = Path(tempfile.mkdtemp(prefix="surveyapp-load-", dir=args.folder))
    server = Server(folder, synchronous)
    try:
        server.cli("init-db")
        # Generous: at most about 60 questionnaires a second could be answered.
        count = int(sum(args.clients) * 20 + 60 * args.survey_seconds * len(args.clients))
        links = queue.Queue()
        for item in enumerate(server.invite(count)):
            links.put(item)
        serve_options = []
        if args.workers:
            serve_options += ["--workers", str(args.workers)]
        if args.threads:
            serve_options += ["--threads", str(args.threads)]
        server.start(tuple(serve_options))
        print(
            f"\n=== PRAGMA synchronous = {synchronous}: surveyapp serve"
            f"{''.join(' ' + o for o in serve_options)} (gunicorn;"
            f" {os.cpu_count()} cores) on {server.base}, database in {folder},"
            f" {count} links; {args.trivial_seconds:.0f} s trivial then"
            f" {args.survey_seconds:.0f} s survey per level; clients: closed loop, no think time;"
            f" load average before: {os.getloadavg()[0]:.2f}"
        )
        index, link = links.get()  # one walk first, so that templates are compiled
        warm = answer_questionnaire(
            Browser(server.base), link, Plan(questionnaire, index, "warm-up"), Stats(), math.inf
        )
        completed = int(warm == "acknowledged")
        results = []
        for clients in args.clients:
            results.append(level(server, clients, links, questionnaire, seconds))
            print_level(results[-1])
            completed += results[-1]["completed"]
        tracebacks = server.tracebacks()
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
        server.stop()
        stored, integrity = check_database(server.db)
        print(
            f"database: {stored} responses stored, {completed} acknowledged (warm-up"
            f" included): {'equal' if stored == completed else 'DIFFERENT'};"
            f" integrity_check: {integrity}; server tracebacks logged: {tracebacks}"
        )
        errors = sum(len(result["errors"]) for result in results)
        failed = errors > 0 or stored != completed or integrity != "ok" or tracebacks > 0
        print("targets (2 cores):")
        for result in results:
            if result["clients"] == 16:
                p95 = result["all"]["latency"][1]
                print(f"  p95 of survey pages at 16 clients < 100 ms: {p95:.1f} ms", end="")
                print(" met" if p95 < 100 else " MISSED")
            ratio = ratios(result)["server CPU"]
            print(
                f"  survey page <= 3x trivial (server CPU per request) at {result['clients']}"
                f" clients: {ratio:.1f}x {'met' if ratio <= 3 else 'MISSED'}"
            )
        print(f"  zero errors: {errors} {'met' if not errors else 'MISSED'}")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return results, not failed


def commit_cost(folder: str | None, count: int = 200) -> dict[str, float]:
    """Return the milliseconds a one-row commit takes at each setting, on one connection."""
    from surveyapp.store import connection

    costs, app_setting = {}, connection.SYNCHRONOUS
    where = Path(tempfile.mkdtemp(prefix="surveyapp-commits-", dir=folder))
    try:
        for synchronous in SETTINGS:
            connection.SYNCHRONOUS = synchronous
            db = connection.connect(str(where / f"{synchronous}.db"))
            db.execute("create table answers (text)")
            start = time.perf_counter()
            for number in range(count):
                with db.atomic():
                    db.execute("insert into answers values (?)", [f"answer {number}"])
            costs[synchronous] = 1000 * (time.perf_counter() - start) / count
            db.close()
    finally:
        connection.SYNCHRONOUS = app_setting
        shutil.rmtree(where, ignore_errors=True)
    return costs


def print_cost(runs: dict):
    """Print questionnaires per second and p95 of each setting side by side, per level.

    With several rounds, each cell is the median of the rounds (their values follow).
    """
    if len(runs) < 2:
        return
    first, last = list(runs)[0], list(runs)[-1]
    rounds = len(runs[first])
    print(
        f"\n=== what durability costs: synchronous = {first} against {last}, same run"
        f" ({rounds} round{'s' if rounds > 1 else ''}, alternating; medians)"
    )
    print(
        f"| clients | questionnaires/s {first} | questionnaires/s {last} | change"
        f" | p95 ms {first} | p95 ms {last} | change |"
    )
    print("|---|---|---|---|---|---|---|")
    for position, clients in enumerate(result["clients"] for result in runs[first][0]):
        at_level = {name: [results[position] for results in runs[name]] for name in (first, last)}
        rate = [[r["completed_per_s"] for r in at_level[name]] for name in (first, last)]
        p95 = [[r["all"]["latency"][1] for r in at_level[name]] for name in (first, last)]
        rate_change = 100 * (np.median(rate[1]) / np.median(rate[0]) - 1)
        p95_change = 100 * (np.median(p95[1]) / np.median(p95[0]) - 1)
        print(
            f"| {clients} | {_median_of(rate[0])} | {_median_of(rate[1])} | {rate_change:+.0f}%"
            f" | {_median_of(p95[0])} | {_median_of(p95[1])} | {p95_change:+.0f}% |"
        )


def _median_of(found: list[float]) -> str:
    """Return the median of the rounds' values, then the values when there are several."""
    shown = f"{np.median(found):.1f}"
    return shown if len(found) == 1 else f"{shown} ({', '.join(f'{v:.1f}' for v in found)})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--trivial-seconds", type=float, default=TRIVIAL_SECONDS)
    parser.add_argument("--survey-seconds", type=float, default=SURVEY_SECONDS)
    parser.add_argument(
        "--synchronous",
        nargs="+",
        choices=SETTINGS,
        default=list(SETTINGS),
        help="The server's PRAGMA synchronous, one run each (default: NORMAL, then FULL).",
    )
    parser.add_argument("--rounds", type=int, default=1, help="Runs of each setting, alternating.")
    parser.add_argument("--folder", help="Where the database goes (default: the temp folder).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    parser.add_argument("--workers", type=int, help="serve --workers (default: its own)")
    parser.add_argument("--threads", type=int, help="serve --threads (default: its own)")
    args = parser.parse_args(argv)
    seconds = {"trivial": args.trivial_seconds, "survey": args.survey_seconds}
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    costs = commit_cost(args.folder)
    print(
        "one-row commits on one connection: "
        + ", ".join(f"synchronous = {name} {ms:.2f} ms" for name, ms in costs.items())
    )
    settings = list(dict.fromkeys(args.synchronous))
    runs, ok = {setting: [] for setting in settings}, True
    for _ in range(args.rounds):
        for synchronous in settings:
            results, passed = run(args, synchronous, questionnaire, seconds)
            runs[synchronous].append(results)
            ok = ok and passed
    print_cost(runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Faults: SIGKILL the production server under load, restart it, and account for every answer.

Starts `surveyapp serve` on a free 127.0.0.1 port over a fresh temporary database, as
benchmarks/load.py does, and sets 16 simulated respondents answering the staff questionnaire
(random valid answers; the `constraints` answer is a marker unique to each link). Ten times,
after a random 1-4 s, the server is killed with SIGKILL and started again on the same port
and database. A respondent whose connection fails waits 0.1 s and opens its link again,
which resumes its draft; it answers each page the same way every time.

Every final submission that got the success response (the redirect to /s/staff/thanks) must
then be stored exactly once and whole: the stored row's every column equal to what was sent.
A final submission whose response was lost in a kill may be stored (the link then says
"already received") but never twice. PRAGMA integrity_check must say ok.

Only 127.0.0.1 is contacted; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from load import (
    CONNECTION_ERRORS,
    QUESTIONNAIRE,
    SURVEY,
    Browser,
    Plan,
    Server,
    Stats,
    Unexpected,
    answer_questionnaire,
)

from surveyapp.questionnaire.loading import load_questionnaire

KILLS = 10
CLIENTS = 16
RETRY_PAUSE = 0.1
MAX_ATTEMPTS = 600  # per link: 60 s of retries at most
TIME_LIMIT = 200.0  # the whole run, kills and restarts included


class Record:
    """One link as its respondent saw it."""

    def __init__(self, marker: str, plan: Plan):
        self.marker = marker
        self.plan = plan
        self.outcome = "unfinished"
        self.retries = 0
        self.error = ""


def respondent(
    number: int,
    base: str,
    links: queue.Queue,
    questionnaire,
    server: Server,
    stop: threading.Event,
    ledger: list[Record],
    stats: Stats,
):
    """Answer fresh links one after the other, retrying through kills, until told to stop."""
    browser = Browser(base, timeout=10)
    while not stop.is_set():
        try:
            index, link = links.get_nowait()
        except queue.Empty:
            return
        marker = f"client-{number} run-{server.starts} link-{index}"
        record = Record(marker, Plan(questionnaire, index, marker))
        ledger.append(record)
        for _ in range(MAX_ATTEMPTS):
            try:
                record.outcome = answer_questionnaire(
                    browser, link, record.plan, stats, time.monotonic() + 60
                )
                break
            except CONNECTION_ERRORS:
                record.retries += 1
                if stop.is_set():
                    break
                time.sleep(RETRY_PAUSE)
            except Unexpected as error:
                record.outcome, record.error = "error", str(error)
                break


def start(server: Server, attempts: int = 3):
    """Start the server, trying again if the port is not free yet."""
    for attempt in range(attempts):
        try:
            server.start()
            return
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)


def verify(server: Server, ledger: list[Record], questionnaire) -> dict:
    """Compare what the respondents were told with what the database holds."""
    with sqlite3.connect(server.db) as conn:
        conn.row_factory = sqlite3.Row
        integrity = conn.execute("pragma integrity_check").fetchone()[0]
        rows = [dict(r) for r in conn.execute(f"select * from responses_{SURVEY}")]
        completed = conn.execute(
            "select count(*) from invitations where survey = ? and completed = 1", [SURVEY]
        ).fetchone()[0]
    conn.close()
    stored = Counter(row["constraints"] for row in rows)
    by_marker = {row["constraints"]: row for row in rows}
    columns = [column.name for column in questionnaire.columns()]
    acknowledged = [r for r in ledger if r.outcome == "acknowledged"]
    lost = [r for r in ledger if r.outcome == "already" and r.plan.final_sent]
    known = {r.marker for r in ledger}
    altered, altered_markers = [], set()
    for record in acknowledged + lost:
        row = by_marker.get(record.marker)
        if row is None:
            continue
        expected = record.plan.expected_row()
        differ = [name for name in columns if row[name] != expected[name]]
        if differ:
            altered_markers.add(record.marker)
            altered.append(
                f"{record.marker}: "
                + ", ".join(f"{n} stored {row[n]!r} sent {expected[n]!r}" for n in differ[:3])
            )
    return {
        "integrity": integrity,
        "rows": len(rows),
        "invitations completed": completed,
        "acknowledged": len(acknowledged),
        "acknowledged stored once, whole": sum(
            1 for r in acknowledged if stored[r.marker] == 1 and r.marker not in altered_markers
        ),
        "missing": sum(1 for r in acknowledged if stored[r.marker] == 0),
        "duplicated": sum(1 for count in stored.values() if count > 1),
        "altered": altered,
        "ack lost, stored": sum(1 for r in lost if stored[r.marker] == 1),
        "ack lost, missing": sum(1 for r in lost if stored[r.marker] == 0),
        "stored, client stopped first": sum(
            1 for r in ledger if r.outcome == "unfinished" and stored[r.marker]
        ),
        "stored, unknown marker": sum(count for m, count in stored.items() if m not in known),
        "already without a final post": [
            r.plan.already_page for r in ledger if r.outcome == "already" and not r.plan.final_sent
        ],
        "errors": [f"{r.marker}: {r.error}" for r in ledger if r.outcome == "error"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=KILLS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = parser.parse_args(argv)
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="surveyapp-faults-"))
    server = Server(folder)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        server.cli("init-db")
        links = queue.Queue()
        for item in enumerate(server.invite(3000)):
            links.put(item)
        start(server)
        print(
            f"surveyapp serve on {server.base}: {args.clients} respondents, {args.kills}"
            " SIGKILLs at random 1-4 s intervals, restart on the same port and database"
            f" (seed {args.seed}); load average before: {os.getloadavg()[0]:.2f}"
        )
        ledger: list[Record] = []
        stats = Stats()
        threads = [
            threading.Thread(
                target=respondent,
                args=(n, server.base, links, questionnaire, server, stop, ledger, stats),
                daemon=True,
            )
            for n in range(args.clients)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        kills, downtime = 0, 0.0
        for _ in range(args.kills):
            if time.monotonic() - began > TIME_LIMIT:
                print("time limit reached: fewer kills than asked")
                break
            time.sleep(rng.uniform(1, 4))
            server.kill()
            kills += 1
            down = time.monotonic()
            start(server)
            downtime += time.monotonic() - down
        time.sleep(2)  # with the server up, let the retries catch up
        stop.set()
        for thread in threads:
            thread.join(timeout=70)
        took = time.monotonic() - began
        tracebacks = server.tracebacks()
        server.stop()
        found = verify(server, ledger, questionnaire)
        http = Counter(status for _, _, status in stats.requests)
        failures = [s for s in http if s == 0 or not 200 <= s < 400 and s != 409]
        print(
            f"{took:.0f} s, {kills} kills, {downtime:.1f} s down in all (restart included);"
            f" {len(stats.requests)} requests: "
            + ", ".join(
                f"{count} {'connection errors' if status == 0 else status}"
                for status, count in sorted(http.items())
            )
        )
        print(f"links started: {len(ledger)}, retries after connection errors:", end=" ")
        print(sum(r.retries for r in ledger))
        print("| kills | acknowledged | stored once, whole | missing | duplicated | altered |")
        print("|---|---|---|---|---|---|")
        whole = found["acknowledged stored once, whole"]
        print(
            f"| {kills} | {found['acknowledged']} | {whole} | {found['missing']}"
            f" | {found['duplicated']} | {len(found['altered'])} |"
        )
        print(
            f"final submissions whose response was lost in a kill: {found['ack lost, stored']}"
            f" stored (the link then said 'already received'), {found['ack lost, missing']}"
            f" missing; stored while the client was stopping: "
            f"{found['stored, client stopped first']}; rows with an unknown marker:"
            f" {found['stored, unknown marker']}"
        )
        print(
            f"database: {found['rows']} response rows, {found['invitations completed']}"
            f" invitations completed; integrity_check: {found['integrity']};"
            f" server tracebacks logged: {tracebacks}"
        )
        problems = (
            found["altered"]
            + found["errors"]
            + [
                f"'already received' without a final post: {p}"
                for p in found["already without a final post"]
            ]
        )
        for problem in problems[:10]:
            print(f"  problem: {problem}")
        failed = (
            found["missing"]
            or found["duplicated"]
            or problems
            or found["integrity"] != "ok"
            or found["rows"] != found["invitations completed"]
            or tracebacks
            or [s for s in failures if s != 0]
        )
        print(
            "result:", "FAILED" if failed else "every acknowledged submission stored once, whole"
        )
        return 1 if failed else 0
    finally:
        stop.set()
        server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

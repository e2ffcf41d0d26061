"""The ceiling of one machine: respondents added until p95 passes 1 s or errors appear.

Starts `surveyapp serve` (gunicorn, as `make run` does) on 127.0.0.1 over a fresh temporary
database, as `benchmarks/load.py` does, and runs its simulated respondents (closed loop, no
think time, one keep-alive connection each, answering the staff questionnaire from fresh
links) in client processes of their own: 16, 32, 64, ... at once, each level for a fixed
time, until the p95 latency of survey pages passes 1 s or any error appears (or the last
level is reached). The first seconds of each level (connections opening) are not counted.

For each level it reports the questionnaires completed per second (sustained: over the
counted window), latency, and where the time went: CPU of the server's processes, of the
client processes and of everything else on the machine (other sessions share it), each
as a share of the machine's cores over the window (from /proc); and the SQLite write lock,
seen by a probe that asks for it (`BEGIN IMMEDIATE`, then `ROLLBACK`) at random moments,
every 50 ms on average: the share of probes that had to wait estimates the share of time a
writer held the lock (random probes see time averages), and their waits what a writer waits.

Only 127.0.0.1 is contacted; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from load import (
    QUESTIONNAIRE,
    REQUEST_TIMEOUT,
    Browser,
    Plan,
    Server,
    Stats,
    answer_questionnaire,
    check_database,
    survey_client,
)

from surveyapp.questionnaire.loading import load_questionnaire

LEVELS = (16, 32, 64, 128, 256, 512, 1024)
SECONDS = 15.0  # per level, of which the first WARM_UP are not counted
WARM_UP = 3.0
P95_LIMIT = 1.0  # seconds
PROCESSES = 4  # client processes (each its own interpreter lock), threads shared among them
LINKS_PER_SECOND = 120  # links given per second of a level: twice the most ever answered
MINUTES_PER_QUESTIONNAIRE = 10  # a person's pace, for what the figures mean in people


class TimedStats(Stats):
    """Requests as load.Stats counts them, as (moment started, seconds, status); and the
    moment each questionnaire was acknowledged."""

    def __init__(self):
        super().__init__()
        self.completed_at: list[float] = []

    def acknowledged(self) -> None:
        """Count a questionnaire the server thanked for, with the moment it did."""
        with self.lock:
            self.completed += 1
            self.completed_at.append(time.monotonic())

    def record(self, kind: str, started: float, seconds: float, status: int) -> None:
        """Keep one timed request as (moment started, seconds, status)."""
        self.requests.append((started, seconds, status))


def client_process(base, links, threads, first, counted_from, deadline, results):
    """One client process: threads respondents over its share of links; report to results.

    Its CPU time is taken over the counted window (from counted_from to the deadline).
    """
    stats = TimedStats()
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    waiting = queue.Queue()
    for item in links:
        waiting.put(item)
    workers = [
        threading.Thread(
            target=survey_client,
            args=(first + n, base, waiting, questionnaire, stats, deadline),
            daemon=True,
        )
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(counted_from - time.monotonic(), 0))
    cpu = os.times()
    time.sleep(max(deadline - time.monotonic(), 0))
    done = os.times()
    for worker in workers:
        worker.join(timeout=deadline - time.monotonic() + 2 * REQUEST_TIMEOUT)
    results.put(
        {
            "requests": stats.requests,
            "completed_at": stats.completed_at,
            "errors": stats.errors,
            "cpu": done.user + done.system - cpu.user - cpu.system,
        }
    )


class LockProbe(threading.Thread):
    """Ask for the database's write lock at random moments; note how long each wait took."""

    def __init__(self, database: Path, mean_interval: float = 0.05):
        super().__init__(daemon=True)
        self.database, self.mean_interval = database, mean_interval
        self.waits: list[tuple[float, float]] = []  # (moment, seconds waited)
        self.halt = threading.Event()

    def run(self):
        conn = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        rng = random.Random(15)
        try:
            while not self.halt.wait(rng.expovariate(1 / self.mean_interval)):
                start = time.perf_counter()
                conn.execute("begin immediate")
                waited = time.perf_counter() - start
                conn.execute("rollback")
                self.waits.append((time.monotonic(), waited))
        finally:
            conn.close()


def machine_busy() -> tuple[float, float]:
    """Return the CPU seconds all processes have used, and seconds elapsed, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / ticks, time.monotonic()


def level(server: Server, clients: int, links: list, seconds: float, probe: LockProbe) -> dict:
    """Run one level of respondents in client processes; return what was measured."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = min(PROCESSES, clients)
    start = time.monotonic()
    deadline = start + seconds
    counted_from = start + WARM_UP
    shares = np.array_split(np.arange(clients), processes)
    link_shares = np.array_split(np.arange(len(links)), processes)
    children = [
        context.Process(
            target=client_process,
            args=(
                server.base,
                [links[i] for i in link_share],
                len(share),
                int(share[0]),
                counted_from,
                deadline,
                results,
            ),
            daemon=True,
        )
        for share, link_share in zip(shares, link_shares, strict=True)
    ]
    for child in children:
        child.start()
    time.sleep(max(counted_from - time.monotonic(), 0))
    server_cpu, (busy, moment) = server.cpu_seconds(), machine_busy()
    time.sleep(max(deadline - time.monotonic(), 0))
    server_cpu = server.cpu_seconds() - server_cpu
    busy_end, moment_end = machine_busy()
    reports = [results.get(timeout=seconds + 4 * REQUEST_TIMEOUT) for _ in children]
    for child in children:
        child.join(timeout=30)
    window = moment_end - moment
    counted = [
        (s, t, status) for r in reports for s, t, status in r["requests"] if s >= counted_from
    ]
    latencies = np.array([t for _, t, _ in counted]) if counted else np.array([np.nan])
    bad = sum(1 for _, _, status in counted if not 200 <= status < 400 or status == 409)
    completed = sum(1 for r in reports for at in r["completed_at"] if at >= counted_from)
    errors = [e for r in reports for e in r["errors"]]
    client_cpu = sum(r["cpu"] for r in reports)
    waits = np.array([w for at, w in probe.waits if counted_from <= at <= deadline] or [np.nan])
    cores = os.cpu_count() or 1
    return {
        "clients": clients,
        "per_second": completed / window,
        "requests_per_second": len(counted) / window,
        "p50": np.percentile(latencies, 50),
        "p95": np.percentile(latencies, 95),
        "p99": np.percentile(latencies, 99),
        "errors": len(errors) + bad,
        "error_kinds": sorted(set(errors))[:5],
        "server": server_cpu / (window * cores),
        "client": client_cpu / (window * cores),
        "other": max(busy_end - busy - server_cpu - client_cpu, 0) / (window * cores),
        "server_ms": 1000 * server_cpu / max(len(counted), 1),
        "lock_held": float(np.mean(waits > 0.0005)),
        "lock_wait_mean_ms": 1000 * float(np.mean(waits)),
        "lock_wait_p95_ms": 1000 * float(np.percentile(waits, 95)),
        "completed_total": sum(len(r["completed_at"]) for r in reports),
    }


def print_header():
    print(
        "| respondents | questionnaires/s | requests/s | p50 ms | p95 ms | p99 ms | errors"
        " | server CPU | client CPU | other CPU | server CPU ms/request | write lock held"
        " | write lock wait, mean / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def print_level(r: dict):
    print(
        f"| {r['clients']} | {r['per_second']:.1f} | {r['requests_per_second']:,.0f}"
        f" | {1000 * r['p50']:.0f} | {1000 * r['p95']:.0f} | {1000 * r['p99']:.0f}"
        f" | {r['errors']} | {r['server']:.0%} | {r['client']:.0%} | {r['other']:.0%}"
        f" | {r['server_ms']:.2f} | {r['lock_held']:.1%}"
        f" | {r['lock_wait_mean_ms']:.2f} / {r['lock_wait_p95_ms']:.2f} |",
        flush=True,
    )
    for kind in r["error_kinds"]:
        print(f"  error: {kind}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per level")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="surveyapp-ceiling-"))
    server = Server(folder)
    failed = False
    try:
        server.cli("init-db")
        wanted = [int(LINKS_PER_SECOND * args.seconds + 2 * n) for n in args.clients]
        links = list(enumerate(server.invite(sum(wanted))))
        server.start()
        print(
            f"surveyapp serve (gunicorn; {os.cpu_count()} cores) on {server.base}; levels of"
            f" {args.seconds:.0f} s, the first {WARM_UP:.0f} s not counted; respondents in"
            f" {PROCESSES} client processes on the same machine, closed loop, no think time;"
            f" load average before: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        index, link = links.pop()  # one walk first, so that templates are compiled
        answer_questionnaire(
            Browser(server.base),
            link,
            Plan(load_questionnaire(QUESTIONNAIRE), index, "warm-up"),
            Stats(),
            time.monotonic() + 60,
        )
        probe = LockProbe(server.db)
        probe.start()
        print_header()
        results, given = [], 0
        for clients, count in zip(args.clients, wanted, strict=True):
            result = level(server, clients, links[given : given + count], args.seconds, probe)
            given += count
            results.append(result)
            print_level(result)
            if result["p95"] > P95_LIMIT or result["errors"]:
                break
        probe.halt.set()
        probe.join(timeout=10)
        tracebacks = server.tracebacks()
        server.stop()
        stored, integrity = check_database(server.db)
        acknowledged = 1 + sum(r["completed_total"] for r in results)
        print(
            f"load average after: {os.getloadavg()[0]:.2f}; database: {stored} responses"
            f" stored, {acknowledged} acknowledged (warm-up included):"
            f" {'equal' if stored == acknowledged else 'DIFFERENT'}; integrity_check:"
            f" {integrity}; server tracebacks logged: {tracebacks}"
        )
        passed = [r for r in results if r["p95"] <= P95_LIMIT and not r["errors"]]
        if not passed:
            print("no level kept p95 under 1 s without errors")
            return 1
        best = max(passed, key=lambda r: r["per_second"])
        stop = results[-1]
        why = (
            "p95 passed 1 s"
            if stop["p95"] > P95_LIMIT
            else "errors appeared"
            if stop["errors"]
            else "the last level was reached"
        )
        per_hour = best["per_second"] * 3600
        print(
            f"ceiling: {best['per_second']:.1f} questionnaires/s sustained"
            f" = {per_hour:,.0f} an hour, at {best['clients']} simulated respondents"
            f" (p95 {1000 * best['p95']:.0f} ms); stopped at {stop['clients']}: {why}"
        )
        print(
            f"at the ceiling the time went to: server CPU {best['server']:.0%}, client CPU"
            f" {best['client']:.0%}, other processes {best['other']:.0%} of the"
            f" {os.cpu_count()} cores; the SQLite write lock was held {best['lock_held']:.1%}"
            f" of the time (a writer waited {best['lock_wait_mean_ms']:.2f} ms on average)"
        )
        print(
            f"in people: at {MINUTES_PER_QUESTIONNAIRE} minutes a questionnaire,"
            f" {best['per_second'] * 60 * MINUTES_PER_QUESTIONNAIRE:,.0f} respondents answering"
            f" at the same moment; {per_hour * 24:,.0f} questionnaires a day"
        )
        failed = stored != acknowledged or integrity != "ok" or tracebacks > 0
    finally:
        server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Clusterings run in the background (table coding_jobs): started, reported on, finished.

A job is queued when an evaluator asks for it, running while a thread of the serving
process works on it, then done (with the clustering it made) or failed (with the reason).
Its stage is kept as JSON ``{"stage", "done", "total"}`` and its progress from 0 to 1. The
state lives only in the database, so any server process can show any job; a job that has
not reported for `STALE_SECONDS` lost its thread (the server stopped) and counts as failed.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import sqlite_utils

from surveyapp.store.connection import now

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
STALE_SECONDS = 600
INTERRUPTED = "interrupted"  # the message of a job whose thread died
REPORT_EVERY = 0.5  # seconds between two writes of a job's progress
# The share of the whole work each stage begins and ends at (embedding dominates the
# first time; later the answers' embeddings come from the cache).
STAGE_SPAN = {
    "embedding": (0.02, 0.6),
    "comparing": (0.6, 0.75),
    "choosing": (0.75, 0.85),
    "clustering": (0.75, 0.85),
    "checking": (0.85, 0.95),
    "naming": (0.95, 0.98),
    "saving": (0.98, 1.0),
}


def _cutoff() -> str:
    """Return the time before which an active job's last report means its thread died."""
    return (datetime.now(UTC) - timedelta(seconds=STALE_SECONDS)).isoformat(timespec="seconds")


def start_job(
    db: sqlite_utils.Database, question: str, surveys, params: dict, evaluator: str
) -> tuple[int, bool]:
    """Queue a clustering of the question unless one is active; return (job id, whether new).

    Checking and adding are one transaction, so two processes never start two jobs.
    """
    conn = db.conn
    conn.execute("begin immediate")
    try:
        conn.execute(
            "update coding_jobs set state = ?, message = ? where question = ?"
            " and state in (?, ?) and updated_at < ?",
            [FAILED, INTERRUPTED, question, *ACTIVE, _cutoff()],
        )
        active = conn.execute(
            "select id from coding_jobs where question = ? and state in (?, ?)"
            " order by id desc limit 1",
            [question, *ACTIVE],
        ).fetchone()
        if active:
            conn.commit()
            return active[0], False
        at = now()
        cursor = conn.execute(
            "insert into coding_jobs (question, surveys, params, state, stage, progress,"
            " created_by, created_at, updated_at) values (?, ?, ?, ?, ?, 0, ?, ?, ?)",
            [
                question,
                ",".join(surveys),
                json.dumps(params),
                QUEUED,
                json.dumps({"stage": "queued", "done": 0, "total": 0}),
                evaluator,
                at,
                at,
            ],
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return cursor.lastrowid, True


def _shown(row: dict) -> dict:
    """Return a job row as shown: stage and params read, a job whose thread died failed."""
    job = dict(row)
    job["stage"] = json.loads(job["stage"] or "{}")
    job["params"] = json.loads(job["params"] or "{}")
    if job["state"] in ACTIVE and (job["updated_at"] or "") < _cutoff():
        job["state"], job["message"] = FAILED, INTERRUPTED
    return job


def job(db: sqlite_utils.Database, question: str, job_id: int) -> dict | None:
    """Return a job of the question, or None."""
    rows = list(db["coding_jobs"].rows_where("id = ? and question = ?", [job_id, question]))
    return _shown(rows[0]) if rows else None


def active_job(db: sqlite_utils.Database, question: str) -> dict | None:
    """Return the question's queued or running clustering, if one is, for a link to it."""
    rows = db["coding_jobs"].rows_where(
        "question = ? and state in (?, ?) and updated_at >= ?",
        [question, *ACTIVE, _cutoff()],
        order_by="id desc",
        limit=1,
    )
    return next((_shown(row) for row in rows), None)


def report(
    db: sqlite_utils.Database, job_id: int, stage: str, done: int, total: int, progress: float
) -> None:
    """Record how far a running job has got (only while it is still active)."""
    with db.atomic():
        db.execute(
            "update coding_jobs set state = ?, stage = ?, progress = ?, updated_at = ?"
            " where id = ? and state in (?, ?)",
            [
                RUNNING,
                json.dumps({"stage": stage, "done": int(done), "total": int(total)}),
                float(progress),
                now(),
                job_id,
                *ACTIVE,
            ],
        )


def finish(db: sqlite_utils.Database, job_id: int, clustering_id: int, notices) -> None:
    """Record that a job made its clustering; its notices are kept, one per line."""
    with db.atomic():
        db["coding_jobs"].update(
            job_id,
            {
                "state": DONE,
                "stage": json.dumps({"stage": "done", "done": 1, "total": 1}),
                "progress": 1.0,
                "clustering_id": clustering_id,
                "message": "\n".join(notices),
                "updated_at": now(),
            },
        )


def fail(db: sqlite_utils.Database, job_id: int, message: str) -> None:
    """Record that a job failed, and why, in plain words."""
    with db.atomic():
        db["coding_jobs"].update(
            job_id, {"state": FAILED, "message": message, "updated_at": now()}
        )


class JobReporter:
    """The ``progress(stage, done, total)`` callable of a job: writes at most every 0.5 s.

    A new stage is always written; within a stage, a report comes through only when
    `REPORT_EVERY` seconds have passed since the last one written.
    """

    def __init__(self, db: sqlite_utils.Database, job_id: int):
        self.db = db
        self.job_id = job_id
        self.stage = None
        self.written = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        moment = time.monotonic()
        if stage == self.stage and moment - self.written < REPORT_EVERY:
            return
        self.stage, self.written = stage, moment
        low, high = STAGE_SPAN.get(stage, (0.0, 0.0))
        share = min(max(done / total, 0.0), 1.0) if total else 0.0
        report(self.db, self.job_id, stage, done, total, low + (high - low) * share)

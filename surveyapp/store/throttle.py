"""Failed attempts (sign-ins, unknown links, open-link starts) counted per key and time."""

from __future__ import annotations

import time

import sqlite_utils

KEEP_SECONDS = 86400


def failures(db: sqlite_utils.Database, keys: list[str], window: float) -> int:
    """Return the most failures recorded against any of the keys within the window."""
    since = time.time() - window
    sql = "select count(*) from failed_attempts where key = ? and at > ?"  # plain SQL: hot path
    return max(db.conn.execute(sql, [key, since]).fetchone()[0] for key in keys)


def record_failure(db: sqlite_utils.Database, keys: list[str]):
    """Count a failure against each key, and forget failures older than a day."""
    moment = time.time()
    with db.atomic():
        db["failed_attempts"].insert_all([{"key": key, "at": moment} for key in keys])
        db.execute("delete from failed_attempts where at < ?", [moment - KEEP_SECONDS])


def clear(db: sqlite_utils.Database, key: str):
    """Forget the failures of one key (after a successful sign-in)."""
    with db.atomic():
        db.execute("delete from failed_attempts where key = ?", [key])

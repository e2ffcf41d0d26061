"""Throttling: failed sign-ins, unknown links and open-link starts, per name and address."""

from __future__ import annotations

import hashlib
import time

from flask import request

from surveyapp.store.connection import get_db

KEEP_SECONDS = 86400


def address_key(kind: str) -> str:
    """Return the throttle key of the requesting address (hashed: no address is stored)."""
    address = request.remote_addr or "unknown"
    return f"{kind}:ip:" + hashlib.sha256(address.encode()).hexdigest()[:16]


def failures(keys: list[str], window: float) -> int:
    """Return the most failures recorded against any of the keys within the window."""
    since = time.time() - window
    conn = get_db().conn  # plain SQL: this runs on every respondent request
    sql = "select count(*) from failed_attempts where key = ? and at > ?"
    return max(conn.execute(sql, [key, since]).fetchone()[0] for key in keys)


def record_failure(keys: list[str]):
    """Count a failure against each key, and forget failures older than a day."""
    db = get_db()
    now = time.time()
    with db.atomic():
        db["failed_attempts"].insert_all([{"key": key, "at": now} for key in keys])
        db.execute("delete from failed_attempts where at < ?", [now - KEEP_SECONDS])


def clear(key: str):
    """Forget the failures of one key (after a successful sign-in)."""
    db = get_db()
    with db.atomic():
        db.execute("delete from failed_attempts where key = ?", [key])

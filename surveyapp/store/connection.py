"""The SQLite connection: opened in WAL mode, one kept per server thread.

Every change that writes goes through `db.atomic()`: one transaction, in which
sqlite-utils' own writes nest as savepoints. (`with db.conn:` would not do: each
sqlite-utils write, each batch of `insert_all` included, commits on its own.)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlite_utils
from flask import current_app, g


def now() -> str:
    """Return the current UTC time as ISO text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: str) -> sqlite_utils.Database:
    """Open the database file in WAL mode, waiting on locks rather than failing."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 10000")
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    return db


_thread = threading.local()


def get_db() -> sqlite_utils.Database:
    """Return this request's database connection: the server thread's own, kept open.

    Each server thread keeps one connection to the database it last used, so a request
    does not pay for opening the file and setting it up again.
    """
    if "db" not in g:
        path = current_app.config["DATABASE"]
        if getattr(_thread, "path", None) != path:
            if getattr(_thread, "db", None) is not None:
                _thread.db.close()
            _thread.db, _thread.path = connect(path), path
        g.db = _thread.db
    return g.db


def close_db(_error=None):
    """End this request's use of the connection, undoing any unfinished transaction."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()

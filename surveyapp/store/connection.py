"""The SQLite connection: opened in WAL mode, durable on power loss, one kept per thread.

Every change that writes goes through `db.atomic()`: one transaction, in which
sqlite-utils' own writes nest as savepoints. (`with db.conn:` would not do: each
sqlite-utils write, each batch of `insert_all` included, commits on its own.)

A database that cannot take a write for a reason outside the app (the disk is full, the
file is read-only, another program holds the write lock) raises `sqlite3.OperationalError`
as any SQLite error does; `storage_fault` tells those apart and says why in words, for
the pages (HTTP 503) and the command line (an error naming the file).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlite_utils
from flask import current_app, g, has_app_context


def now() -> str:
    """Return the current UTC time as ISO text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another's lock before it fails
# Durable on power loss. SQLite's "PRAGMA synchronous"
# (https://www.sqlite.org/pragma.html#pragma_synchronous): "A transaction committed in WAL
# mode with synchronous=NORMAL might roll back following a power loss or system crash";
# "With synchronous=FULL in WAL mode, an additional sync operation of the WAL file happens
# after each transaction commit. The extra WAL sync following each transaction helps ensure
# that transactions are durable across a power loss." (See also "Write-Ahead Logging",
# https://www.sqlite.org/wal.html.) So a respondent told "Thank you" and an evaluator told
# a change is saved can rely on it; what the sync costs is measured in benchmarks/load.py.
SYNCHRONOUS = "FULL"


def connect(path: str) -> sqlite_utils.Database:
    """Open the database file in WAL mode, durable on power loss, waiting on locks a while.

    Every connection the app and the command line open comes from here.
    """
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
    db.enable_wal()
    db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    return db


# SQLite's primary result codes (https://www.sqlite.org/rescode.html) of a database that
# cannot take a write now for a reason outside the app, with that reason in words.
FAULTS = {
    sqlite3.SQLITE_BUSY: "the database is locked: another program has held its write lock"
    f" for more than {BUSY_TIMEOUT_MS // 1000} s",
    sqlite3.SQLITE_LOCKED: "the database is locked by another connection of this program",
    sqlite3.SQLITE_READONLY: "the database file is read-only (check its permissions, those"
    " of its folder, and that the disk is mounted read-write)",
    sqlite3.SQLITE_IOERR: "the disk could not be read or written (I/O error)",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened (check that its folder"
    " exists and may be written)",
}
# ... and of a file that is no database the app can use (a command given the wrong file).
UNUSABLE = {
    sqlite3.SQLITE_NOTADB: "the file is not a SQLite database",
    sqlite3.SQLITE_CORRUPT: "the database file is damaged (see PRAGMA integrity_check)",
}


class StoreUnavailable(Exception):
    """The database could not take a change for a reason outside the app; nothing was saved."""

    def __init__(self, path: str, code: int, reason: str):
        super().__init__(path, code, reason)
        self.path, self.code, self.reason = path, code, reason

    def __str__(self) -> str:
        saved = "; the change was not saved" if self.code in FAULTS else ""
        return f"{self.path}: {self.reason}{saved}"


def storage_fault(error: BaseException, path: str) -> StoreUnavailable | None:
    """Return why the database could not take a change (or be used), or None for any other
    error (a fault of the app)."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.DatabaseError) or code is None:
        return None
    primary = code & 0xFF  # an extended code (SQLITE_READONLY_DBMOVED...) keeps it low
    reason = FAULTS.get(primary) or UNUSABLE.get(primary)
    return None if reason is None else StoreUnavailable(path, primary, reason)


@contextmanager
def store_faults():
    """Raise `StoreUnavailable` for a database that cannot take this request's change."""
    try:
        yield
    except sqlite3.OperationalError as error:
        fault = storage_fault(error, current_app.config["DATABASE"])
        if fault is None:
            raise
        raise fault from error


_thread = threading.local()


def get_db() -> sqlite_utils.Database:
    """Return this request's database connection: the server thread's own, kept open.

    Each server thread keeps one connection to the database it last used, so a request
    does not pay for opening the file and setting it up again. SQLite opens a file it may
    not write read-only, and the connection stays so: one opened that way is opened again
    as soon as the file may be written.
    """
    if "db" not in g:
        path = current_app.config["DATABASE"]
        kept = getattr(_thread, "path", None) == path
        if not kept or (getattr(_thread, "read_only", False) and _writable(path)):
            forget_db()
            _thread.read_only = not _writable(path)
            _thread.db, _thread.path = connect(path), path
        g.db = _thread.db
    return g.db


def _writable(path: str) -> bool:
    """Return whether the file may be opened for writing now, as SQLite first tries to.

    Asked with access(2), never by opening the file: closing any descriptor of the database
    file drops every POSIX lock this process holds on it, the other threads' connections'
    too, and another process could then take the WAL away from under them (SQLite's "How To
    Corrupt Your Database Files", 2.2). access(2) also answers for root: the immutable
    attribute or a read-only mount refuse writing to everyone.
    """
    return os.access(path, os.W_OK) or not os.path.exists(path)


def forget_db():
    """Close this thread's connection, undoing any unfinished transaction; the next opens anew."""
    db, _thread.db, _thread.path = getattr(_thread, "db", None), None, None
    if has_app_context():
        g.pop("db", None)
    if db is not None:
        db.close()


def close_db(_error=None):
    """End this request's use of the connection, undoing any unfinished transaction."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()

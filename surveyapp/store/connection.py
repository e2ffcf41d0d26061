"""The SQLite store: a connection per request, named migrations and the response tables.

Every change that writes goes through `db.atomic()`: one transaction, in which
sqlite-utils' own writes nest as savepoints. (`with db.conn:` would not do: each
sqlite-utils write, each batch of `insert_all` included, commits on its own.)
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import sqlite_utils
from flask import current_app, g
from sqlite_utils.migrations import Migrations

from surveyapp.questionnaire.model import Questionnaire

migrations = Migrations("surveyapp")
META_COLUMNS = {
    "response_id": int,
    "questionnaire_version": str,
    "source": str,
    "submitted_on": str,
}


def now() -> str:
    """Return the current UTC time as ISO text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def response_table(survey_id: str) -> str:
    """Return the name of a survey's response table."""
    return f"responses_{survey_id}"


@migrations(name="m001_core_tables")
def _core_tables(db: sqlite_utils.Database):
    db["surveys"].create(
        {"id": str, "opens": str, "closes": str, "open_link": int, "version": str},
        pk="id",
        not_null={"open_link"},
        defaults={"open_link": 0},
    )
    db["questionnaire_versions"].create(
        {"survey": str, "version": str, "definition": str, "loaded_at": str},
        pk=("survey", "version"),
    )
    db["invitations"].create(
        {
            "id": int,
            "survey": str,
            "token_hash": str,
            "channel": str,
            "attributes": str,
            "created_on": str,
            "started": int,
            "completed": int,
            "page": int,
            "furthest": int,
            "draft": str,
        },
        pk="id",
        not_null={"survey", "token_hash", "channel", "started", "completed"},
        defaults={"started": 0, "completed": 0, "page": 0, "furthest": 0, "attributes": "{}"},
    )
    db["invitations"].create_index(["token_hash"], unique=True)
    db["invitations"].create_index(["survey"])
    db["evaluators"].create(
        {"id": int, "name": str, "password_hash": str, "created_at": str},
        pk="id",
        not_null={"name", "password_hash"},
    )
    db["evaluators"].create_index(["name"], unique=True)


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


def migrate(db: sqlite_utils.Database):
    """Apply the named migrations that this database has not had yet."""
    migrations.apply(db)


def sync_questionnaire(db: sqlite_utils.Database, questionnaire: Questionnaire) -> list[str]:
    """Record a questionnaire's version and add its new columns; return the columns added."""
    with db.atomic():
        surveys = db["surveys"]
        if not surveys.count_where("id = ?", [questionnaire.id]):
            surveys.insert(
                {
                    "id": questionnaire.id,
                    "opens": questionnaire.opens.isoformat() if questionnaire.opens else None,
                    "closes": questionnaire.closes.isoformat() if questionnaire.closes else None,
                    "open_link": int(questionnaire.open_link),
                }
            )
        surveys.update(questionnaire.id, {"version": questionnaire.version})
        db["questionnaire_versions"].insert(
            {
                "survey": questionnaire.id,
                "version": questionnaire.version,
                "definition": json.dumps(questionnaire.definition, default=str),
                "loaded_at": now(),
            },
            ignore=True,
        )
        table = db[response_table(questionnaire.id)]
        wanted = dict(META_COLUMNS)
        wanted.update({c.name: c.sql_type for c in questionnaire.columns()})
        if not table.exists():
            table.create(wanted, pk="response_id")
            return list(wanted)
        have = set(table.columns_dict)
        added = [name for name in wanted if name not in have]
        for name in added:
            table.add_column(name, wanted[name])
        return added


@migrations(name="m002_sign_in_failures")
def _sign_in_failures(db: sqlite_utils.Database):
    db["sign_in_failures"].create({"key": str, "at": float}, not_null={"key", "at"})
    db["sign_in_failures"].create_index(["key", "at"])


@migrations(name="m003_codebook")
def _codebook(db: sqlite_utils.Database):
    from coding.codebook import ensure_tables
    from coding.embeddings import EmbeddingCache

    ensure_tables(db)
    EmbeddingCache(db.conn)


@migrations(name="m004_failed_attempts")
def _failed_attempts(db: sqlite_utils.Database):
    db["failed_attempts"].create({"key": str, "at": float}, not_null={"key", "at"})
    db["failed_attempts"].create_index(["key", "at"])
    db["sign_in_failures"].drop(ignore=True)

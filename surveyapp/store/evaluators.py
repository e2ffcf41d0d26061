"""Evaluator accounts: a name and a password hash each."""

from __future__ import annotations

import sqlite_utils
from werkzeug.security import generate_password_hash

from surveyapp.store.connection import now
from surveyapp.store.consensus import CONSENSUS


class EvaluatorError(ValueError):
    """An evaluator account that cannot be made as asked."""


def check_name(name: str) -> str:
    """Return an evaluator's name, or raise EvaluatorError for a name kept for the consensus."""
    if name.strip().casefold() == CONSENSUS:
        raise EvaluatorError(
            f"'{name.strip()}' is the name of the consensus coding of two coders;"
            " choose another name for an evaluator"
        )
    return name


def add_evaluator(db: sqlite_utils.Database, name: str, password: str) -> bool:
    """Add an evaluator, or set a new password for one; True when the account is new."""
    check_name(name)
    hashed = generate_password_hash(password)
    with db.atomic():
        found = evaluator_named(db, name)
        if found:
            db["evaluators"].update(found["id"], {"password_hash": hashed})
        else:
            db["evaluators"].insert({"name": name, "password_hash": hashed, "created_at": now()})
    return found is None


def evaluator_named(db: sqlite_utils.Database, name: str) -> dict | None:
    """Return the evaluator with this name (id, name, password_hash), or None."""
    rows = list(db.query("select * from evaluators where name = ?", [name]))
    return rows[0] if rows else None


def evaluator_by_id(db: sqlite_utils.Database, evaluator_id: int) -> dict | None:
    """Return the evaluator with this id, or None."""
    rows = list(db.query("select * from evaluators where id = ?", [evaluator_id]))
    return rows[0] if rows else None


def evaluator_count(db: sqlite_utils.Database) -> int:
    """Return how many evaluator accounts exist."""
    return db["evaluators"].count

"""Files of responses imported: each one's fingerprint, when, how many and for whom.

A file is known by the SHA-256 of its bytes, so that the same file is never imported twice.
Its responses' invitation attributes (those they answered under, e.g. region=Africa) are
kept with the file, never on a response row, and count them toward that group's response
rate.
"""

from __future__ import annotations

import hashlib
import json

import sqlite_utils

from surveyapp.questionnaire.model import Questionnaire
from surveyapp.store.connection import now
from surveyapp.store.responses import insert_responses


def file_fingerprint(content: bytes) -> str:
    """Return the fingerprint of a file's bytes: their SHA-256, in hex."""
    return hashlib.sha256(content).hexdigest()


def earlier_import(db: sqlite_utils.Database, survey: str, fingerprint: str) -> dict | None:
    """Return the earlier import of a file: its file_name, imported_at and responses."""
    sql = (
        "select file_name, imported_at, responses from response_imports"
        " where survey = ? and sha256 = ?"
    )
    found = list(db.query(sql, [survey, fingerprint]))
    return found[0] if found else None


def store_imported_responses(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    rows: list[dict],
    fingerprint: str,
    file_name: str,
    attributes: dict,
):
    """Store imported responses and their file's fingerprint in one transaction: all or none.

    A file imported meanwhile (the same fingerprint) raises sqlite3.IntegrityError.
    """
    with db.atomic():
        insert_responses(db, questionnaire, rows)
        db["response_imports"].insert(
            {
                "survey": questionnaire.id,
                "sha256": fingerprint,
                "file_name": file_name,
                "imported_at": now(),
                "responses": len(rows),
                "invitation_attributes": json.dumps(attributes, sort_keys=True),
            }
        )


def imported_by_attribute(db: sqlite_utils.Database, survey: str, key: str) -> dict:
    """Return how many responses the files imported brought, per value of an attribute.

    The key None counts those imported without that attribute.
    """
    sql = """
        select (select value from json_each(invitation_attributes) where key = :key) as value,
            sum(responses) as responses
        from response_imports where survey = :survey group by 1
    """
    return {
        row["value"]: row["responses"] for row in db.query(sql, {"survey": survey, "key": key})
    }

"""Surveys: the questionnaire versions served, and each survey's dates and open link."""

from __future__ import annotations

import json
from datetime import datetime

import sqlite_utils

from surveyapp.questionnaire.model import Questionnaire
from surveyapp.store.connection import now
from surveyapp.store.responses import response_columns, response_table, widen_response_table


def in_step(db: sqlite_utils.Database, questionnaire: Questionnaire) -> bool:
    """Return whether the database already holds this version and every column it needs."""
    version = db.execute(
        "select 1 from surveys s join questionnaire_versions v on v.survey = s.id"
        " where s.id = ? and s.version = ? and v.version = ?",
        [questionnaire.id, questionnaire.version, questionnaire.version],
    ).fetchone()
    table = db[response_table(questionnaire.id)]
    return (
        bool(version)
        and table.exists()
        and set(response_columns(questionnaire)) <= set(table.columns_dict)
    )


def sync_questionnaire(db: sqlite_utils.Database, questionnaire: Questionnaire) -> list[str]:
    """Record a questionnaire's version and add its new columns; return the columns added.

    Writes nothing when the database is already in step, so that a read-only database can
    still be read (status, export) and served.
    """
    if in_step(db, questionnaire):
        return []
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
        return widen_response_table(db, questionnaire)


def schedule(db: sqlite_utils.Database, survey_id: str) -> dict:
    """Return a survey's opening and closing times and whether its open link is on."""
    sql = "select opens, closes, open_link from surveys where id = ?"  # plain SQL: hot path
    opens, closes, link = db.conn.execute(sql, [survey_id]).fetchone()
    return {
        "opens": datetime.fromisoformat(opens) if opens else None,
        "closes": datetime.fromisoformat(closes) if closes else None,
        "open_link": bool(link),
    }


def change_schedule(db: sqlite_utils.Database, survey_id: str, changes: dict) -> dict:
    """Set some of a survey's opens, closes (ISO text) and open_link; return the whole row.

    Raises ValueError, changing nothing, when the survey would close before it opens.
    """
    with db.atomic():
        row = {**db["surveys"].get(survey_id), **changes}
        if row["opens"] and row["closes"] and row["opens"] >= row["closes"]:
            raise ValueError("the survey must open before it closes")
        if changes:
            db["surveys"].update(survey_id, changes)
    return row


def questionnaire_versions(db: sqlite_utils.Database, survey_id: str) -> list[str]:
    """Return the versions of a survey's questionnaire recorded so far, oldest first."""
    sql = "select version from questionnaire_versions where survey = ? order by loaded_at"
    return [row["version"] for row in db.query(sql, [survey_id])]

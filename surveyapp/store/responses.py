"""Completed responses: the response tables, submitting, reading and storing responses."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlite_utils

from surveyapp.questionnaire.model import Questionnaire
from surveyapp.store.invitations import Invitation

META_COLUMNS = {
    "response_id": int,
    "questionnaire_version": str,
    "source": str,
    "submitted_on": str,
    "language": str,
}


def response_table(survey_id: str) -> str:
    """Return the name of a survey's response table."""
    return f"responses_{survey_id}"


def response_columns(questionnaire: Questionnaire) -> dict[str, str]:
    """Return the columns a survey's response table needs, with their SQL types."""
    return {**META_COLUMNS, **{c.name: c.sql_type for c in questionnaire.columns()}}


def widen_response_table(db: sqlite_utils.Database, questionnaire: Questionnaire) -> list[str]:
    """Create a survey's response table, or add the columns of new questions; return them.

    Columns are only ever added: the answers to a question dropped from the questionnaire
    stay in the table.
    """
    table = db[response_table(questionnaire.id)]
    wanted = response_columns(questionnaire)
    if not table.exists():
        table.create(wanted, pk="response_id")
        return list(wanted)
    have = set(table.columns_dict)
    added = [name for name in wanted if name not in have]
    for name in added:
        table.add_column(name, wanted[name])
    return added


def response_row(
    questionnaire: Questionnaire, answers: dict, source: str, language: str | None = None
) -> dict:
    """Return the row stored for a completed response: answers, version, source, day, language.

    `language` is the language the questionnaire was answered in (None: not known).
    """
    row = {column.name: answers.get(column.name) for column in questionnaire.columns()}
    row.update(
        questionnaire_version=questionnaire.version,
        source=source,
        submitted_on=datetime.now(UTC).date().isoformat(),
        language=language,
    )
    return row


def submit_response(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    invitation: Invitation,
    answers: dict,
    language: str | None = None,
) -> bool:
    """Store a completed response and mark its invitation used, at once or not at all.

    `language` is the language the respondent answered in, recorded with the response.
    The response row keeps no link to the invitation; the invitation forgets the answers.
    Returns False, changing nothing, when the invitation was already used.
    """
    conn = db.conn
    conn.execute("begin immediate")
    try:
        used = conn.execute(
            "update invitations set completed = 1, started = 1, draft = null, page = 0,"
            " furthest = 0 where id = ? and completed = 0",
            [invitation.id],
        ).rowcount
        if used != 1:
            conn.rollback()
            return False
        db[response_table(questionnaire.id)].insert(
            response_row(questionnaire, answers, "web", language)
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return True


# The columns of the export before the answers: the response's number and the language
# it was answered in (None: not recorded, as for responses stored before it was).
EXPORT_META_COLUMNS = ("response_id", "language")


def completed_responses(db: sqlite_utils.Database, questionnaire: Questionnaire) -> pd.DataFrame:
    """Return the completed responses as a DataFrame with the export's columns.

    The columns are `EXPORT_META_COLUMNS` (response_id, language), then the answers in
    questionnaire order.
    """
    names = [*EXPORT_META_COLUMNS] + [c.name for c in questionnaire.columns()]
    quoted = ", ".join(f'"{name}"' for name in names)
    sql = f'select {quoted} from "{response_table(questionnaire.id)}" order by response_id'
    frame = pd.read_sql_query(sql, db.conn)
    frame["language"] = frame["language"].astype("object")
    for column in questionnaire.columns():
        if column.sql_type is int:
            frame[column.name] = frame[column.name].astype("Int64")
        elif column.sql_type is str:
            frame[column.name] = frame[column.name].astype("object")
    return frame


def insert_responses(db: sqlite_utils.Database, questionnaire: Questionnaire, rows: list[dict]):
    """Store completed responses (rows from `response_row`) in one transaction: all or none."""
    with db.atomic():
        db[response_table(questionnaire.id)].insert_all(rows, batch_size=500)


def response_ids(db: sqlite_utils.Database, survey_id: str) -> set[int]:
    """Return the ids of a survey's stored responses."""
    sql = f'select response_id from "{response_table(survey_id)}"'
    return {row[0] for row in db.execute(sql).fetchall()}


def response_count(db: sqlite_utils.Database, survey_id: str) -> int:
    """Return how many completed responses a survey has."""
    return db[response_table(survey_id)].count


def imported_response_count(db: sqlite_utils.Database, survey_id: str) -> int:
    """Return how many of a survey's completed responses were imported from files."""
    sql = f'select count(*) from "{response_table(survey_id)}" where source = ?'
    return db.execute(sql, ["import"]).fetchone()[0]


def responses_by_answers(db: sqlite_utils.Database, questionnaire: Questionnaire) -> dict:
    """Return the id of a stored response for each set of answers stored (a tuple in column order).

    Two responses with the same answers in every export column share a key; the first is kept.
    """
    names = [c.name for c in questionnaire.columns()]
    quoted = ", ".join(f'"{name}"' for name in names)
    sql = f'select response_id, {quoted} from "{response_table(questionnaire.id)}"'
    found: dict[tuple, int] = {}
    for row in db.execute(sql + " order by response_id").fetchall():
        found.setdefault(tuple(row[1:]), row[0])
    return found


def responses_by_language(db: sqlite_utils.Database, survey_id: str) -> dict:
    """Return how many responses were answered in each language, by source (web, import).

    Keys are (language, source); a language of None is one not recorded.
    """
    sql = (
        f'select language, source, count(*) as n from "{response_table(survey_id)}"'
        " group by language, source"
    )
    return {(row["language"], row["source"]): row["n"] for row in db.query(sql)}


def answer_counts(db: sqlite_utils.Database, survey_id: str, column: str) -> dict:
    """Return how many responses hold each value of one column (None: unanswered)."""
    sql = (
        f'select "{column}" as value, count(*) as n from "{response_table(survey_id)}" group by 1'
    )
    return {row["value"]: row["n"] for row in db.query(sql)}


def column_values(db: sqlite_utils.Database, survey_id: str, column: str) -> pd.DataFrame:
    """Return every response's value in one column: response_id, value."""
    sql = f'select response_id, "{column}" as value from "{response_table(survey_id)}"'
    return pd.DataFrame(db.query(sql), columns=["response_id", "value"])


def _given(column: str) -> str:
    """Return the SQL condition that a text column holds a non-blank answer."""
    return f"trim(coalesce(\"{column}\", '')) != ''"


def texts_given(db: sqlite_utils.Database, survey_id: str, column: str) -> pd.DataFrame:
    """Return the non-blank answers in a text column: response_id, text, language answered in."""
    sql = (
        f'select response_id, "{column}" as text, language from "{response_table(survey_id)}"'
        f" where {_given(column)} order by response_id"
    )
    return pd.DataFrame(db.query(sql), columns=["response_id", "text", "language"])


def languages_given(db: sqlite_utils.Database, survey_id: str, column: str) -> set[str | None]:
    """Return the languages the non-blank answers in a text column were given in (None: not
    recorded), without reading the answers."""
    sql = f'select distinct language from "{response_table(survey_id)}" where {_given(column)}'
    return {row[0] for row in db.execute(sql).fetchall()}

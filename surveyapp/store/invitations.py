"""Invitation links: creating them, finding a respondent's one, and counting them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

TOKEN_BYTES = 18  # 144 bits: unguessable, and 24 characters in a link


def hash_token(token: str) -> str:
    """Return the stored form of a link token (SHA-256; tokens are random, so no salt)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass
class Invitation:
    """One respondent's link: whether it was used, and their unfinished answers."""

    id: int
    survey: str
    channel: str
    attributes: dict
    started: bool
    completed: bool
    page: int
    furthest: int
    draft: dict
    language: str | None = None


def new_tokens(count: int) -> list[str]:
    """Return fresh random link tokens."""
    return [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(count)]


def create_invitations(
    db: sqlite_utils.Database,
    survey: str,
    count: int,
    attributes: dict | None = None,
    channel: str = "invited",
    tokens: list[str] | None = None,
    language: str | None = None,
) -> list[str]:
    """Create invitations and return their tokens; only the tokens' hashes are stored.

    `language` is the language the respondents are invited in (None: their browser's).
    """
    tokens = tokens or new_tokens(count)
    today = datetime.now(UTC).date().isoformat()
    rows = [
        {
            "survey": survey,
            "token_hash": hash_token(token),
            "channel": channel,
            "attributes": json.dumps(attributes or {}, sort_keys=True),
            "created_on": today,
            "language": language,
        }
        for token in tokens
    ]
    with db.atomic():
        db["invitations"].insert_all(rows, batch_size=500)
    return tokens


def find_invitation(db: sqlite_utils.Database, survey: str, token: str) -> Invitation | None:
    """Return the invitation of a link token for this survey, or None."""
    if not token or len(token) > 64:
        return None
    wanted = hash_token(token)
    sql = (
        "select token_hash, id, survey, channel, attributes, started, completed, page,"
        " furthest, draft, language from invitations where token_hash = ?"
    )  # plain SQL, one row: this runs on every respondent request
    row = db.conn.execute(sql, [wanted]).fetchone()
    if row is None or not hmac.compare_digest(row[0], wanted) or row[2] != survey:
        return None
    _, id_, survey, channel, attributes, started, completed, page, furthest, draft, language = row
    return Invitation(
        id=id_,
        survey=survey,
        channel=channel,
        attributes=json.loads(attributes or "{}"),
        started=bool(started),
        completed=bool(completed),
        page=page or 0,
        furthest=furthest or 0,
        draft=json.loads(draft or "{}"),
        language=language,
    )


def remember_language(db: sqlite_utils.Database, invitation: Invitation, language: str):
    """Keep the language a respondent chose on their link, so that a resume shows it again."""
    if invitation.language == language or invitation.completed:
        return
    with db.atomic():
        db.execute(
            "update invitations set language = ? where id = ? and completed = 0",
            [language, invitation.id],
        )
    invitation.language = language


def save_draft(db: sqlite_utils.Database, invitation: Invitation, draft: dict, page: int) -> bool:
    """Keep a respondent's unfinished answers and page; False if the link was used meanwhile."""
    with db.atomic():
        cursor = db.execute(
            "update invitations set draft = ?, page = ?, furthest = max(furthest, ?), started = 1"
            " where id = ? and completed = 0",
            [json.dumps(draft), page, page, invitation.id],
        )
    return cursor.rowcount == 1


def invitation_counts(db: sqlite_utils.Database, survey: str, by: str | None = None) -> dict:
    """Return invited, started and completed links, overall ('All') or per attribute value.

    Links are counted by channel: `invited`, `started` and `completed` are those of the
    invitation links; `completed_open` the responses through the open link, which nobody
    was invited to. Keys are the attribute's values (None: links without it).
    """
    group = "(select value from json_each(attributes) where key = :by)" if by else "'All'"
    return _counts(db, survey, group, by)


def invitation_counts_by_language(db: sqlite_utils.Database, survey: str) -> dict:
    """Return invited, started and completed links per link language, as `invitation_counts`.

    A link's language is the one it was made in (`invite --lang`), or the one its
    respondent chose since; None: neither.
    """
    return _counts(db, survey, "language")


def _counts(db: sqlite_utils.Database, survey: str, group: str, by: str | None = None) -> dict:
    """Return the link counts of `invitation_counts` grouped by an SQL expression."""
    sql = f"""
        select {group} as grp,
            sum(channel = 'invited') as invited,
            sum(channel = 'invited' and started) as started,
            sum(channel = 'invited' and completed) as completed,
            sum(channel = 'open' and completed) as completed_open
        from invitations where survey = :survey group by grp
    """
    names = ("invited", "started", "completed", "completed_open")
    return {
        row["grp"]: {name: row[name] or 0 for name in names}
        for row in db.query(sql, {"survey": survey, "by": by})
    }


def invitations_with(db: sqlite_utils.Database, survey: str, attributes: dict) -> int:
    """Return how many invitation links of a survey carry all these attributes."""
    sql = "select count(*) from invitations where survey = ? and channel = 'invited'"
    values: list = [survey]
    for key, value in attributes.items():
        sql += " and exists (select 1 from json_each(attributes) where key = ? and value = ?)"
        values += [key, value]
    return db.execute(sql, values).fetchone()[0]


def attribute_values(db: sqlite_utils.Database, survey: str) -> dict[str, list[str]]:
    """Return the values of each attribute the invitation links of a survey carry."""
    sql = (
        "select distinct j.key as key, j.value as value"
        " from invitations, json_each(invitations.attributes) j"
        " where survey = ? and channel = 'invited' order by key, value"
    )
    found: dict[str, list[str]] = {}
    for row in db.query(sql, [survey]):
        found.setdefault(row["key"], []).append(str(row["value"]))
    return found


def link_states(db: sqlite_utils.Database, token_hashes: list[str]) -> dict[str, dict]:
    """Return the survey, channel and whether started and completed of each link hash known.

    Reads only: reminders are worked out from the links' hashes without storing anything.
    """
    found = {}
    for start in range(0, len(token_hashes), 500):
        batch = token_hashes[start : start + 500]
        marks = ", ".join("?" * len(batch))
        sql = (
            "select token_hash, survey, channel, started, completed from invitations"
            f" where token_hash in ({marks})"
        )
        for row in db.query(sql, batch):
            found[row.pop("token_hash")] = row
    return found


def attribute_keys(db: sqlite_utils.Database, survey: str) -> list[str]:
    """Return the invitation attributes used in a survey."""
    sql = (
        "select distinct j.key as key from invitations, json_each(invitations.attributes) j"
        " where survey = ? order by key"
    )
    return [row["key"] for row in db.query(sql, [survey])]

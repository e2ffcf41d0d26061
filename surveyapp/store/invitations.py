"""Invitation links: creating them, finding a respondent's one, and response rates."""

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
) -> list[str]:
    """Create invitations and return their tokens; only the tokens' hashes are stored."""
    tokens = tokens or new_tokens(count)
    today = datetime.now(UTC).date().isoformat()
    rows = [
        {
            "survey": survey,
            "token_hash": hash_token(token),
            "channel": channel,
            "attributes": json.dumps(attributes or {}, sort_keys=True),
            "created_on": today,
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
        " furthest, draft from invitations where token_hash = ?"
    )  # plain SQL, one row: this runs on every respondent request
    row = db.conn.execute(sql, [wanted]).fetchone()
    if row is None or not hmac.compare_digest(row[0], wanted) or row[2] != survey:
        return None
    _, id_, survey, channel, attributes, started, completed, page, furthest, draft = row
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
    )


def save_draft(db: sqlite_utils.Database, invitation: Invitation, draft: dict, page: int) -> bool:
    """Keep a respondent's unfinished answers and page; False if the link was used meanwhile."""
    with db.atomic():
        cursor = db.execute(
            "update invitations set draft = ?, page = ?, furthest = max(furthest, ?), started = 1"
            " where id = ? and completed = 0",
            [json.dumps(draft), page, page, invitation.id],
        )
    return cursor.rowcount == 1


def response_rates(db: sqlite_utils.Database, survey: str, by: str | None = None) -> list[dict]:
    """Return invited, started, completed and the response rate, overall or per attribute.

    Respondents who came through the open link are counted as started and completed but
    not as invited, so the rate is that of the invited sample alone.
    """
    group = "json_extract(attributes, '$.' || :by)" if by else "'All'"
    sql = f"""
        select {group} as grp,
            sum(channel = 'invited') as invited,
            sum(channel = 'invited' and started) as started,
            sum(channel = 'invited' and completed) as completed,
            sum(channel = 'open' and completed) as completed_open
        from invitations where survey = :survey group by grp order by grp
    """
    rows = []
    found = list(db.query(sql, {"survey": survey, "by": by}))
    if not found and not by:
        found = [{"grp": "All", "invited": 0, "started": 0, "completed": 0, "completed_open": 0}]
    for row in found:
        invited = row["invited"] or 0
        rows.append(
            {
                "group": "(none)" if row["grp"] is None else str(row["grp"]),
                "invited": invited,
                "started": row["started"] or 0,
                "completed": row["completed"] or 0,
                "response_rate": (row["completed"] or 0) / invited if invited else None,
                "completed_open_link": row["completed_open"] or 0,
            }
        )
    return rows


def attribute_keys(db: sqlite_utils.Database, survey: str) -> list[str]:
    """Return the invitation attributes used in a survey."""
    sql = (
        "select distinct j.key as key from invitations, json_each(invitations.attributes) j"
        " where survey = ? order by key"
    )
    return [row["key"] for row in db.query(sql, [survey])]

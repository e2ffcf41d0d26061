"""Reminders: the rows of an invitation CSV whose links have not been completed yet.

The CSV is the one `surveyapp invite` wrote (a `link` column, then the attributes; columns
added for a mail merge are kept as they are). Only hashes of the links are stored, so each
link is matched by hashing its token; nothing is stored or changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import sqlite_utils

from exports.safety import restored_text
from surveyapp.csv_input import UnreadableCsv, read_csv_file
from surveyapp.store.invitations import hash_token, link_states

LINK_PATH = re.compile(r"/s/([^/]+)/([^/]+)/?$")


class RemindRejected(Exception):
    """An invitation CSV that cannot be read, with every problem found in it."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Reminders:
    """The rows to remind (the CSV's own columns and `started`) and what was left out."""

    rows: pd.DataFrame
    links: int = 0
    completed: int = 0
    not_kept: list[str] = field(default_factory=list)

    @property
    def started(self) -> int:
        """How many of the links to remind were started (some answers saved, not submitted)."""
        return int((self.rows["started"] == "yes").sum())


def _read_links(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Return the header and rows of an invitation CSV; RemindRejected if it is not one."""
    try:
        header, rows, _content = read_csv_file(path)
    except UnreadableCsv as error:
        raise RemindRejected([str(error)]) from None
    if "link" not in header:
        hint = (
            " (separated by semicolons? save it as CSV with commas)"
            if ";" in "".join(header)
            else ""
        )
        found = ", ".join(header) or "none"
        raise RemindRejected([f"{path}: no column 'link' (its columns: {found}){hint}"])
    problems = []
    for line, row in enumerate(rows, start=2):
        if None in row:
            problems.append(f"{path}: line {line}: more values than columns")
        elif None in row.values():
            problems.append(f"{path}: line {line}: fewer values than columns")
    if not rows:
        problems.append(f"{path}: holds no links")
    if problems:
        raise RemindRejected(problems)
    return header, rows


def _token(link: str) -> str | None:
    """Return the token at the end of an invitation link (…/s/SURVEY/TOKEN), or None."""
    found = LINK_PATH.search(urlsplit(link.strip()).path)
    return found.group(2) if found else None


def reminders(db: sqlite_utils.Database, survey: str, path: str | Path) -> Reminders:
    """Return the rows of an invitation CSV whose links of this survey are not completed.

    Each row kept gets a column `started` (yes: some answers saved, not submitted). A link
    that is unknown, of another survey, or repeated is left out and said in `not_kept`.
    Raises RemindRejected for a file that is not such a CSV, or whose links are none of
    this survey's.
    """
    path = Path(path)
    header, rows = _read_links(path)
    tokens = [_token(row["link"]) for row in rows]
    states = link_states(db, sorted({hash_token(t) for t in tokens if t}))
    result = Reminders(rows=pd.DataFrame(), links=len(rows))
    kept, first_line, known = [], {}, 0
    for line, (row, token) in enumerate(zip(rows, tokens, strict=True), start=2):
        state = states.get(hash_token(token)) if token else None
        if token is None:
            why = f"'{row['link']}' is not an invitation link (…/s/{survey}/TOKEN)"
        elif state is None or state["channel"] != "invited":
            why = "an unknown link (not made by `surveyapp invite` for this database)"
        elif state["survey"] != survey:
            why = f"a link of survey '{state['survey']}', not {survey}"
        elif token in first_line:
            why = f"the same link as line {first_line[token]}"
        else:
            why = None
            first_line[token] = line
            known += 1
        if why:
            result.not_kept.append(f"{path}: line {line}: {why}: not kept")
        elif state["completed"]:
            result.completed += 1
        else:
            cells = {name: restored_text(row[name]) for name in header}
            kept.append({**cells, "started": "yes" if state["started"] else "no"})
    if not known:
        raise RemindRejected(
            [*result.not_kept, f"{path}: none of its links is a link of {survey} in this database"]
        )
    columns = [*header, *(["started"] if "started" not in header else [])]
    result.rows = pd.DataFrame(kept, columns=columns, dtype=object)
    return result

"""Response rates: invitation links, their completed responses, imports and the open link.

The rate is that of the invited population: (responses completed through invitation links
+ responses imported for it) / links made. Imported responses (paper or phone interviews,
another tool) are counted toward the group of the invitation attributes they were imported
under (`import-responses --attr region=Africa`); those imported without an attribute, or
before imports were recorded, count toward the overall rate and, per attribute, under
"(none)". Responses through the open link were not invited: they are counted apart.

By language (`BY_LANGUAGE`), links are counted by their language (the one they were made
in with `invite --lang`, or the one their respondent chose since) and imported responses by
the language recorded with them; `responses_by_language` counts every response by the
language it was answered in, online (through a link or the open link: a response keeps no
trace of which) and imported.
"""

from __future__ import annotations

import sqlite_utils

from surveyapp.store.imports import imported_by_attribute
from surveyapp.store.invitations import invitation_counts, invitation_counts_by_language
from surveyapp.store.responses import imported_response_count, responses_by_language

BY_LANGUAGE = "language"

NO_LINKS = {"invited": 0, "started": 0, "completed": 0, "completed_open": 0}


def response_rates(db: sqlite_utils.Database, survey: str, by: str | None = None) -> list[dict]:
    """Return each group's links and responses and its response rate, overall or per group.

    `by` is an invitation attribute, or `BY_LANGUAGE` for the links' languages.

    Each row: group, invited, started, completed (through invitation links), imported,
    responded (completed + imported), response_rate (responded / invited, None when nobody
    was invited) and completed_open_link.
    """
    imported_in_all = imported_response_count(db, survey)
    if by == BY_LANGUAGE:
        links = invitation_counts_by_language(db, survey)
        imported = {
            language: n
            for (language, source), n in responses_by_language(db, survey).items()
            if source == "import"
        }
    elif by:
        links = invitation_counts(db, survey, by)
        imported = imported_by_attribute(db, survey, by)
        unrecorded = imported_in_all - sum(imported.values())  # imported before m006
        if unrecorded > 0:
            imported[None] = imported.get(None, 0) + unrecorded
    else:
        links = invitation_counts(db, survey) or {"All": dict(NO_LINKS)}
        imported = {"All": imported_in_all}
    rows = []
    for group in sorted(set(links) | set(imported), key=lambda g: (g is None, str(g))):
        counts = links.get(group, NO_LINKS)
        responded = counts["completed"] + imported.get(group, 0)
        rows.append(
            {
                "group": "(none)" if group is None else str(group),
                "invited": counts["invited"],
                "started": counts["started"],
                "completed": counts["completed"],
                "imported": imported.get(group, 0),
                "responded": responded,
                "response_rate": responded / counts["invited"] if counts["invited"] else None,
                "completed_open_link": counts["completed_open"],
            }
        )
    return rows


def language_counts(db: sqlite_utils.Database, survey: str) -> list[dict]:
    """Return the responses answered in each language: language, web, imported, responses.

    `web` counts every response submitted online, through an invitation link or the open
    link; `language` is None for responses whose language was not recorded (those stored
    before it was, or imported without it).
    """
    counts = responses_by_language(db, survey)
    rows = []
    for language in sorted({lang for lang, _ in counts}, key=lambda g: (g is None, str(g))):
        web, imported = counts.get((language, "web"), 0), counts.get((language, "import"), 0)
        rows.append(
            {"language": language, "web": web, "imported": imported, "responses": web + imported}
        )
    return rows

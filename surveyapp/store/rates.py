"""Response rates: invitation links, their completed responses, imports and the open link.

The rate is that of the invited population: (responses completed through invitation links
+ responses imported for it) / links made. Imported responses (paper or phone interviews,
another tool) are counted toward the group of the invitation attributes they were imported
under (`import-responses --attr region=Africa`); those imported without an attribute, or
before imports were recorded, count toward the overall rate and, per attribute, under
"(none)". Responses through the open link were not invited: they are counted apart.
"""

from __future__ import annotations

import sqlite_utils

from surveyapp.store.imports import imported_by_attribute
from surveyapp.store.invitations import invitation_counts
from surveyapp.store.responses import imported_response_count

NO_LINKS = {"invited": 0, "started": 0, "completed": 0, "completed_open": 0}


def response_rates(db: sqlite_utils.Database, survey: str, by: str | None = None) -> list[dict]:
    """Return each group's links and responses and its response rate, overall or per attribute.

    Each row: group, invited, started, completed (through invitation links), imported,
    responded (completed + imported), response_rate (responded / invited, None when nobody
    was invited) and completed_open_link.
    """
    links = invitation_counts(db, survey, by)
    imported_in_all = imported_response_count(db, survey)
    if by:
        imported = imported_by_attribute(db, survey, by)
        unrecorded = imported_in_all - sum(imported.values())  # imported before m006
        if unrecorded > 0:
            imported[None] = imported.get(None, 0) + unrecorded
    else:
        links = links or {"All": dict(NO_LINKS)}
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

"""Evaluators' word on which answers go into clustering: a non-answer put back, or one taken
out (table answer_inclusions; no row: the machine's judgement stands)."""

from __future__ import annotations

import sqlite_utils

from surveyapp.store.connection import now


def inclusions(db: sqlite_utils.Database, question: str) -> dict[tuple[str, int], bool]:
    """Return the evaluators' word on the answers of a question: included or not, by answer."""
    rows = db.execute(
        "select survey, response_id, included from answer_inclusions where question = ?",
        [question],
    ).fetchall()
    return {(survey, int(response_id)): bool(included) for survey, response_id, included in rows}


def set_inclusion(
    db: sqlite_utils.Database,
    question: str,
    survey: str,
    response_id: int,
    included: bool,
    evaluator: str,
) -> None:
    """Record that an evaluator put an answer back into clustering (or took it out)."""
    with db.atomic():
        db["answer_inclusions"].upsert(
            {
                "question": question,
                "survey": survey,
                "response_id": int(response_id),
                "included": int(bool(included)),
                "decided_by": evaluator,
                "at": now(),
            },
            pk=("question", "survey", "response_id"),
        )

"""The data dictionary: one row per export column, read from the questionnaire."""

from __future__ import annotations

import pandas as pd

from surveyapp.questionnaire.model import Questionnaire, translate

COLUMNS = ["column", "question", "item", "type", "label", "choices"]


def _choices(column, language) -> str:
    question = column.question
    if question.type in ("select_one", "grid"):
        return "; ".join(f"{c.name}={translate(c.label, language)}" for c in question.choices)
    if question.type == "select_multiple":
        return "0=not chosen; 1=chosen"
    if question.type == "rank":
        return "; ".join(f"{n}=rank {n}" for n in range(1, len(question.items) + 1))
    return ""


def data_dictionary(questionnaire: Questionnaire, language: str | None = None) -> pd.DataFrame:
    """Return the data dictionary of a questionnaire's export as a DataFrame."""
    rows = [
        {
            "column": "response_id",
            "question": "",
            "item": "",
            "type": "id",
            "label": "Response number",
            "choices": "",
        }
    ]
    for column in questionnaire.columns():
        part = column.item or column.choice
        rows.append(
            {
                "column": column.name,
                "question": column.question.name,
                "item": part.name if part else "",
                "type": column.question.type,
                "label": column.label(language),
                "choices": _choices(column, language),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)

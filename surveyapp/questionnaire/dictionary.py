"""The data dictionary: one row per export column, read from the questionnaire."""

from __future__ import annotations

import pandas as pd

from surveyapp.questionnaire.model import Questionnaire

COLUMNS = ["column", "question", "item", "type", "label", "choices"]


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
        question = column.question
        part = column.item or column.choice
        rows.append(
            {
                "column": column.name,
                "question": question.name,
                "item": part.name if part else "",
                "type": question.kind.name,
                "label": column.label(language),
                "choices": question.kind.describe_values(question, language),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)

"""The data dictionary: one row per export column, read from the questionnaire."""

from __future__ import annotations

import pandas as pd

from surveyapp.analysis.words import (
    choice_labels,
    fixed_label,
    label_language,
    language_names,
    words_in,
)
from surveyapp.questionnaire.model import Questionnaire

COLUMNS = ["column", "question", "item", "type", "label", "choices"]


def _described(labels: dict) -> str:
    """Return stored values with their labels as the dictionary writes them: id=label; ..."""
    return "; ".join(f"{value}={label}" for value, label in labels.items())


def data_dictionary(questionnaire: Questionnaire, language: str | None = None) -> pd.DataFrame:
    """Return the data dictionary of a questionnaire's export as a DataFrame.

    The export's own columns come first: the response number and the language the
    response was answered in (its codes named in ``language``); then one row per answer
    column. Labels are in ``language``, by default the questionnaire's first.
    """
    words = words_in(label_language([questionnaire], language))
    own = {"question": "", "item": ""}
    rows = [
        {**own, "column": "response_id", "type": "id", "label": words["response_id"]},
        {
            **own,
            "column": "language",
            "type": "language",
            "label": words["language"],
            "choices": _described(language_names(questionnaire.languages, language)),
        },
    ]
    for column in questionnaire.columns():
        question = column.question
        part = column.item or column.choice
        labels = choice_labels(question, language)
        rows.append(
            {
                "column": column.name,
                "question": question.name,
                "item": part.name if part else "",
                "type": question.kind.name,
                "label": column.label(language),
                "choices": (
                    fixed_label(question.kind.value_format, language)
                    if labels is None
                    else _described(labels)
                ),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).fillna("")

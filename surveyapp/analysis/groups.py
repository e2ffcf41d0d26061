"""Groups of respondents for tables: by survey, or by their answer to a single-choice question."""

from __future__ import annotations

import pandas as pd

from surveyapp.questionnaire.model import Questionnaire, translate

BY_SURVEY = "survey"


class GroupingError(ValueError):
    """Responses that cannot be grouped as asked, said in plain words."""


def group_labels(
    questionnaires: dict[str, Questionnaire], surveys: list[str], by: str
) -> tuple[dict[str, dict], list[str]]:
    """Return, per survey, each grouping value's label, and the labels in questionnaire order.

    With ``by="survey"`` a survey's responses all carry its title (the value is the survey id);
    otherwise ``by`` must be a single-choice question of every survey, and each choice name
    maps to its label.
    """
    if by == BY_SURVEY:
        titles = {s: translate(questionnaires[s].title) for s in surveys}
        return {s: {s: titles[s]} for s in surveys}, [titles[s] for s in surveys]
    labels: dict[str, dict] = {}
    order: list[str] = []
    for survey in surveys:
        question = questionnaires[survey].question(by)
        if question is None or not question.kind.single_choice:
            raise GroupingError(f"'{by}' is not a single-choice question of survey '{survey}'")
        labels[survey] = {c.name: translate(c.label) for c in question.choices}
        order += [label for label in labels[survey].values() if label not in order]
    return labels, order


def group_of(values: pd.Series, surveys: pd.Series, labels: dict[str, dict]) -> pd.Series:
    """Return each response's group label from its grouping value and its survey (NaN if none)."""
    pairs = zip(surveys, values, strict=True)
    return pd.Series(
        [labels[survey].get(value) for survey, value in pairs], index=values.index, dtype=object
    )

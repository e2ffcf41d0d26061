"""Synthetic complete responses drawn from a questionnaire, for demos, tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.questionnaire.model import Questionnaire


def synthetic_responses(questionnaire: Questionnaire, count: int, seed: int = 0) -> pd.DataFrame:
    """Return responses in the export's columns, every shown question answered at random.

    Choices are drawn uniformly; conditions are honoured per response, so questions not
    shown stay empty. Vectorised over the responses except for questions with conditions.
    """
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {"response_id": np.arange(1, count + 1)}
    for question in questionnaire.questions:
        kind = question.type
        names = [c.name for c in question.choices]
        if kind in ("select_one",):
            data[question.name] = np.array(names, dtype=object)[rng.integers(0, len(names), count)]
        elif kind == "grid":
            for item in question.items:
                picks = rng.integers(0, len(names), count)
                data[f"{question.name}.{item.name}"] = np.array(names, dtype=object)[picks]
        elif kind == "select_multiple":
            for name in names:
                data[f"{question.name}.{name}"] = rng.integers(0, 2, count)
        elif kind == "rank":
            ranks = np.argsort(rng.random((count, len(question.items))), axis=1) + 1
            for position, item in enumerate(question.items):
                data[f"{question.name}.{item.name}"] = ranks[:, position]
        elif kind == "text":
            data[question.name] = np.array([f"answer {i}" for i in range(count)], dtype=object)
        elif kind in ("integer", "decimal"):
            low, high = int(question.min or 0), int(question.max or 100)
            data[question.name] = rng.integers(low, high + 1, count)
    frame = pd.DataFrame(data)
    for question in questionnaire.questions:
        if question.relevant is None:
            continue
        read = [
            c.name
            for name in question.relevant.questions()
            for c in questionnaire.question(name).columns()
        ]
        shown = np.array([question.relevant.holds(row) for row in frame[read].to_dict("records")])
        frame.loc[~shown, [c.name for c in question.columns()]] = None
    return frame

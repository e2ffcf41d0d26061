"""Synthetic complete responses drawn from a questionnaire, for demos, tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.questionnaire.model import Questionnaire


def synthetic_responses(questionnaire: Questionnaire, count: int, seed: int = 0) -> pd.DataFrame:
    """Return responses in the export's columns, every shown question answered at random.

    Each question's type draws its answers (choices uniformly, numbers and dates within
    their bounds); conditions are honoured per response, so questions not shown stay
    empty. Vectorised over the responses except for questions with conditions.
    """
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {"response_id": np.arange(1, count + 1)}
    for question in questionnaire.questions:
        data.update(question.kind.synthetic(question, count, rng))
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

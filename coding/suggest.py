"""Codes suggested for uncoded answers, learnt from the evaluator's own coding."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


class CodeSuggester(ClassifierMixin, BaseEstimator):
    """Learn codes from a few coded answers' embeddings and suggest codes for the rest.

    Parameters
    ----------
    C : float, default=10.0
        Inverse regularisation strength of the multinomial logistic regression.
    min_examples : int, default=2
        Codes with fewer coded answers than this are left out of the suggestions.

    Attributes
    ----------
    classes_ : ndarray
        The codes that can be suggested.
    skipped_codes_ : list
        Codes left out for having fewer than ``min_examples`` coded answers.
    """

    def __init__(self, C: float = 10.0, min_examples: int = 2):
        self.C = C
        self.min_examples = min_examples

    def fit(self, X, y):
        """Learn from embeddings X of coded answers and their codes y; return self."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if len(X) != len(y):
            raise ValueError("X and y must have one row per coded answer")
        codes, counts = np.unique(y, return_counts=True)
        kept = codes[counts >= self.min_examples]
        self.skipped_codes_ = sorted(set(codes.tolist()) - set(kept.tolist()))
        if len(kept) < 2:
            raise ValueError(
                f"code at least {self.min_examples} answers with each of two codes or more"
                " before asking for suggestions"
            )
        mask = np.isin(y, kept)
        self.model_ = LogisticRegression(C=self.C, max_iter=2000).fit(X[mask], y[mask])
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        """Return the probability of each code for each answer."""
        return self.model_.predict_proba(np.asarray(X, dtype=np.float64))

    def predict(self, X):
        """Return the most likely code of each answer."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def suggest(self, X, ids) -> pd.DataFrame:
        """Return for each answer id the suggested code and its confidence, surest first."""
        proba = self.predict_proba(X)
        best = np.argmax(proba, axis=1)
        frame = pd.DataFrame(
            {
                "id": list(ids),
                "code": self.classes_[best],
                "confidence": proba[np.arange(len(best)), best],
            }
        )
        return frame.sort_values("confidence", ascending=False, kind="stable").reset_index(
            drop=True
        )

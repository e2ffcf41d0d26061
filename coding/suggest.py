"""Codes suggested for uncoded answers, learnt from the evaluator's own coding."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

# scikit-learn's parameter validation exists only in this private module, undocumented for
# estimators outside scikit-learn (scikit-learn issue #28903): imported here alone, on purpose.
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class CodeSuggester(ClassifierMixin, BaseEstimator):
    """Learn codes from a few coded answers' embeddings and suggest codes for the rest.

    Parameters
    ----------
    C : float, default=10.0
        Inverse regularisation strength of the multinomial logistic regression; above 0.
    min_examples : int, default=2
        Codes with fewer coded answers than this are left out of the suggestions.

    Attributes
    ----------
    classes_ : ndarray
        The codes that can be suggested.
    skipped_codes_ : list
        Codes left out for having fewer than ``min_examples`` coded answers.
    n_features_in_ : int
        The number of embedding dimensions seen in ``fit``.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        From ``fit``, for a parameter of the wrong type or value (a ValueError).
    ValueError
        From ``fit``, in plain words, when fewer than two codes have ``min_examples`` coded
        answers each.
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="right")],
        "min_examples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, C: float = 10.0, min_examples: int = 2):
        self.C = C
        self.min_examples = min_examples

    def fit(self, X, y):
        """Learn from embeddings X of coded answers and their codes y; return self."""
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=0)
        check_classification_targets(y)
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
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.model_.predict_proba(X)

    def _best_codes(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Return each answer's most likely code and its probability."""
        proba = self.predict_proba(X)
        best = np.argmax(proba, axis=1)
        return self.classes_[best], proba[np.arange(len(best)), best]

    def predict(self, X):
        """Return the most likely code of each answer."""
        return self._best_codes(X)[0]

    def suggest(self, X, ids) -> pd.DataFrame:
        """Return for each answer id the suggested code and its confidence, surest first."""
        ids = list(ids)
        codes, confidence = self._best_codes(X)
        if len(ids) != len(codes):
            raise ValueError("X and ids must have one row per answer")
        frame = pd.DataFrame({"id": ids, "code": codes, "confidence": confidence})
        return frame.sort_values("confidence", ascending=False, kind="stable").reset_index(
            drop=True
        )

"""Agreement between coders of open answers: Cohen's kappa, Krippendorff's alpha, disagreements.

Codings are a DataFrame with one row per (answer, coder, code); a row whose code is None/NaN
says the coder reviewed the answer and gave it no code. An answer's *code set* is the sorted
tuple of the codes a coder gave it, "(none)" when it got none; kappa over code sets and alpha
treat each distinct code set as one nominal category, so {funding, staffing} and {funding}
disagree as fully as {funding} and {training}. A kappa or alpha is NaN when it is undefined:
both coders put every answer in the same category (for a code: both never used it, or both
used it on every answer), so observed and expected agreement are both 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import krippendorff
import numpy as np
import pandas as pd

COLUMNS = ("answer", "coder", "code")
NO_CODE = "(none)"
SEPARATOR = "; "
PER_CODE_COLUMNS = ("code", "kappa", "agreement", "both", "only_a", "only_b", "neither")


@dataclass
class AgreementReport:
    """How far two coders agree on the answers both of them reviewed.

    Attributes
    ----------
    coder_a, coder_b : str
        The two coders compared.
    answers : int
        Answers reviewed by both coders; every figure below is computed on these.
    excluded : int
        Answers reviewed by only one of the two coders, left out of the comparison.
    only_a, only_b : int
        Of those, the answers only coder_a reviewed and the answers only coder_b reviewed.
    percent_agreement : float
        The share (0 to 1) of the shared answers to which both coders gave the same code set.
    per_code : DataFrame
        One row per code either coder used on any answer: ``code``; ``kappa``, Cohen's kappa
        of the yes/no decisions "this answer gets this code" (NaN when both coders decided
        the same way on every answer); ``agreement``, the observed proportion of answers on
        which they decided alike; ``both``, ``only_a``, ``only_b``, ``neither``, the number of
        answers given the code by both coders, by coder_a only, by coder_b only, by neither.
    overall_kappa : float
        Cohen's kappa with each answer's code set as its nominal category.
    pooled_kappa : float
        Cohen's kappa over all answer x code yes/no decisions pooled, for the codes either
        coder used on the shared answers (codes neither used there would only add agreed "no"
        decisions).
    alpha : float
        Krippendorff's alpha (nominal) on the same code-set categories as ``overall_kappa``.
    disagreements : DataFrame
        ``answer``, ``codes_a``, ``codes_b`` (codes joined by "; ", "(none)" when uncoded) for
        the answers whose code sets differ, in the order coder_a's codings list them.
    """

    coder_a: str
    coder_b: str
    answers: int
    excluded: int
    only_a: int
    only_b: int
    percent_agreement: float
    per_code: pd.DataFrame
    overall_kappa: float
    pooled_kappa: float
    alpha: float
    disagreements: pd.DataFrame


def _check_codings(codings: pd.DataFrame) -> None:
    """Raise a plain-worded error unless codings has the answer, coder and code columns."""
    if not isinstance(codings, pd.DataFrame):
        raise TypeError(f"codings must be a pandas DataFrame, not {type(codings).__name__}")
    missing = [column for column in COLUMNS if column not in codings.columns]
    if missing:
        raise ValueError(
            f"codings need the columns answer, coder and code; missing: {', '.join(missing)}"
        )
    for column in ("answer", "coder"):
        if codings[column].isna().any():
            raise ValueError(f"every coding needs an {column}; some rows have none")


def _code_sets(codings: pd.DataFrame) -> dict[str, dict]:
    """Map each coder to {answer: sorted tuple of its codes} for the answers it reviewed."""
    sets: dict[str, dict] = {}
    coders, answers = codings.coder.tolist(), codings.answer.tolist()
    for coder, answer in dict.fromkeys(zip(coders, answers, strict=True)):
        sets.setdefault(coder, {})[answer] = set()
    coded = codings[codings.code.notna()]
    for coder, answer, code in zip(
        coded.coder.tolist(), coded.answer.tolist(), coded.code.tolist(), strict=True
    ):
        sets[coder][answer].add(code)
    return {
        coder: {answer: tuple(sorted(codes, key=str)) for answer, codes in by_answer.items()}
        for coder, by_answer in sets.items()
    }


def _has_codes(sets: dict, answers: list, codes: list) -> np.ndarray:
    """Return an answers x codes matrix, True where the coder gave the answer the code."""
    column = {code: number for number, code in enumerate(codes)}
    found = np.zeros((len(answers), len(codes)), dtype=bool)
    for row, answer in enumerate(answers):
        for code in sets[answer]:
            found[row, column[code]] = True
    return found


def _check_coders(sets: dict[str, dict], coders: list[str]) -> None:
    """Raise a plain-worded error unless there are two or more distinct coders with codings."""
    if len(set(coders)) != len(coders):
        raise ValueError(f"each coder may be named only once: {', '.join(map(str, coders))}")
    if len(coders) < 2:
        raise ValueError("agreement needs at least two coders")
    for coder in coders:
        if coder not in sets:
            present = ", ".join(map(str, sets)) or "none"
            raise ValueError(f"coder {coder!r} has no codings (coders present: {present})")


def _label(codes: tuple) -> str:
    """Show a code set as its codes joined by "; ", or "(none)" when it is empty."""
    return SEPARATOR.join(map(str, codes)) if codes else NO_CODE


def _kappa(decisions_a, decisions_b) -> float:
    """Cohen's kappa of two coders' decisions, NaN when both made one same decision throughout.

    The arithmetic of scikit-learn's unweighted ``cohen_kappa_score``, on a confusion matrix
    counted with numpy: the same figure without its checks on every call (a page of
    per-code figures computes dozens).
    """
    decisions_a, decisions_b = np.asarray(decisions_a), np.asarray(decisions_b)
    labels, index = np.unique(np.concatenate([decisions_a, decisions_b]), return_inverse=True)
    if labels.size < 2:
        return float("nan")
    size = labels.size
    pairs = index[: decisions_a.size] * size + index[decisions_a.size :]
    confusion = np.bincount(pairs, minlength=size * size).reshape(size, size).astype(np.float64)
    sum0, sum1 = confusion.sum(axis=0), confusion.sum(axis=1)
    expected = np.outer(sum0, sum1) / sum0.sum()
    weights = np.ones((size, size), dtype=np.float64)
    np.fill_diagonal(weights, 0)
    return float(1 - np.sum(weights * confusion) / np.sum(weights * expected))


def _alpha(units: list[list]) -> float:
    """Krippendorff's nominal alpha of units given as per-coder categories, None where missing."""
    numbers: dict = {}
    data = np.array(
        [
            [
                np.nan if value is None else numbers.setdefault(value, len(numbers))
                for value in unit
            ]
            for unit in units
        ],
        dtype=float,
    ).T
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    if pairable.shape[1] < 2:
        raise ValueError("fewer than 2 answers were reviewed by at least two of the coders")
    if np.unique(pairable[~np.isnan(pairable)]).size < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=pairable, level_of_measurement="nominal"))


def agreement(codings: pd.DataFrame, coder_a: str, coder_b: str) -> AgreementReport:
    """Compare two coders on the answers both reviewed: kappas, alpha and disagreements."""
    _check_codings(codings)
    sets = _code_sets(codings)
    _check_coders(sets, [coder_a, coder_b])
    sets_a, sets_b = sets[coder_a], sets[coder_b]
    shared = [answer for answer in sets_a if answer in sets_b]
    if len(shared) < 2:
        raise ValueError(
            f"coders {coder_a!r} and {coder_b!r} share {len(shared)} reviewed answer(s); "
            "agreement needs at least 2"
        )
    excluded = len(sets_a) + len(sets_b) - 2 * len(shared)

    used = {
        code for by_answer in (sets_a, sets_b) for codes in by_answer.values() for code in codes
    }
    rows, pooled_a, pooled_b = [], [], []
    codes = sorted(used, key=str)
    matrix_a, matrix_b = _has_codes(sets_a, shared, codes), _has_codes(sets_b, shared, codes)
    for number, code in enumerate(codes):
        has_a, has_b = matrix_a[:, number], matrix_b[:, number]
        rows.append(
            {
                "code": code,
                "kappa": _kappa(has_a, has_b),
                "agreement": float((has_a == has_b).mean()),
                "both": int((has_a & has_b).sum()),
                "only_a": int((has_a & ~has_b).sum()),
                "only_b": int((~has_a & has_b).sum()),
                "neither": int((~has_a & ~has_b).sum()),
            }
        )
        if has_a.any() or has_b.any():
            pooled_a.append(has_a)
            pooled_b.append(has_b)
    pooled_kappa = (
        _kappa(np.concatenate(pooled_a), np.concatenate(pooled_b)) if pooled_a else float("nan")
    )

    categories: dict = {}
    category_a = [categories.setdefault(sets_a[answer], len(categories)) for answer in shared]
    category_b = [categories.setdefault(sets_b[answer], len(categories)) for answer in shared]
    disagreements = pd.DataFrame(
        [
            {
                "answer": answer,
                "codes_a": _label(sets_a[answer]),
                "codes_b": _label(sets_b[answer]),
            }
            for answer in shared
            if sets_a[answer] != sets_b[answer]
        ],
        columns=["answer", "codes_a", "codes_b"],
    )
    return AgreementReport(
        coder_a=coder_a,
        coder_b=coder_b,
        answers=len(shared),
        excluded=excluded,
        only_a=len(sets_a) - len(shared),
        only_b=len(sets_b) - len(shared),
        percent_agreement=float(np.mean([sets_a[answer] == sets_b[answer] for answer in shared])),
        per_code=pd.DataFrame(rows, columns=list(PER_CODE_COLUMNS)),
        overall_kappa=_kappa(category_a, category_b),
        pooled_kappa=pooled_kappa,
        alpha=_alpha([[sets_a[answer], sets_b[answer]] for answer in shared]),
        disagreements=disagreements,
    )


def alpha(codings: pd.DataFrame, coders: list[str] | None = None) -> float:
    """Krippendorff's nominal alpha over code sets for any coders (all when None)."""
    _check_codings(codings)
    sets = _code_sets(codings)
    coders = list(sets) if coders is None else list(coders)
    _check_coders(sets, coders)
    answers = list(dict.fromkeys(answer for coder in coders for answer in sets[coder]))
    return _alpha([[sets[coder].get(answer) for coder in coders] for answer in answers])

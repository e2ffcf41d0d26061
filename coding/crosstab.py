"""Cross-tabulations of closed answers by group: distributions, mean indices, weights.

Pure pandas and numpy: a DataFrame of responses (one row each, export columns holding
choice names) and a description of each question block in; tidy tables out. Counting is
one ``numpy.bincount`` over integer codes, so 100,000 responses take a fraction of a second.
The tables' columns and special values are named and described in ``coding.tidy``; the
tests of difference between groups are in ``coding.difference``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coding.confidentiality import MIN_CELL, suppressed

# The tidy tables' names live in coding.tidy; callers may also read them here (crosstab.ALL).
from coding.tidy import (
    AGREE_VALUE,
    ALL,
    BASE_VALUE,
    BLOCK,
    DISTRIBUTION_COLUMNS,
    DISTRIBUTION_EXTRA_COLUMNS,
    MEAN_COLUMNS,
    MEAN_EXTRA_COLUMNS,
    NO_ANSWER,
)


@dataclass(frozen=True)
class ScalePoint:
    """One answer of a scale: its name (as stored), label, numeric value, non-substantive flag."""

    name: str
    label: str
    value: float | None = None
    missing: bool = False


@dataclass(frozen=True)
class Block:
    """A question to tabulate: its items (export column, item name, label) on one scale."""

    question: str
    label: str
    items: tuple[tuple[str, str, str], ...]
    scale: tuple[ScalePoint, ...]

    @property
    def substantive(self) -> list[ScalePoint]:
        """Return the scale points that count in percentages and means."""
        return [point for point in self.scale if not point.missing]

    @property
    def positive(self) -> list[str]:
        """Return the names of the upper half of the substantive scale (agree, top priority)."""
        points = self.substantive
        return [point.name for point in points[: len(points) // 2]]


def encode_groups(groups: pd.Series, order: list[str] | None) -> tuple[np.ndarray, list[str]]:
    """Return an integer code per row for its group, and the group labels in order."""
    labels = groups.astype("object").where(groups.notna(), NO_ANSWER)
    present = list(dict.fromkeys(labels))
    order = [g for g in (order or []) if g in present] + [
        g for g in present if g not in (order or [])
    ]
    codes = pd.Categorical(labels, categories=order).codes.astype(np.int64)
    return codes, order


def encode_values(column: pd.Series, scale: tuple[ScalePoint, ...]) -> np.ndarray:
    """Return each answer's position on the scale, or -1 when unanswered or off the scale."""
    lookup = {point.name: position for position, point in enumerate(scale)}
    if pd.api.types.is_numeric_dtype(column):  # ratings read back as numbers: 5.0 -> "5"
        lookup.update({float(name): position for name, position in list(lookup.items())
                       if name.lstrip("-").isdigit()})  # fmt: skip
    codes = column.map(lookup)
    return codes.fillna(-1).to_numpy(dtype=np.int64)


def count_answers(value_codes, group_codes, n_values, n_groups, weights=None) -> np.ndarray:
    """Return the (group x value) table of answer counts, optionally weighted, by bincount."""
    answered = value_codes >= 0
    index = group_codes[answered] * n_values + value_codes[answered]
    weight = None if weights is None else np.asarray(weights, dtype=np.float64)[answered]
    flat = np.bincount(index, weights=weight, minlength=n_groups * n_values)
    return flat.reshape(n_groups, n_values)


def _tables(frame, block, groups, weights, group_order):
    """Yield, per item, the unweighted and weighted count tables with the All row first."""
    group_codes, labels = encode_groups(groups, group_order)
    n_values, n_groups = len(block.scale), len(labels)
    for column, item, item_label in block.items:
        values = encode_values(frame[column], block.scale)
        raw = count_answers(values, group_codes, n_values, n_groups)
        weighted = (
            raw
            if weights is None
            else count_answers(values, group_codes, n_values, n_groups, weights)
        )
        yield (
            column, item, item_label,
            np.vstack([raw.sum(axis=0), raw]),
            np.vstack([weighted.sum(axis=0), weighted]),
            [ALL, *labels],
        )  # fmt: skip


def distribution(
    frame: pd.DataFrame,
    block: Block,
    groups: pd.Series,
    survey: str = "",
    weights=None,
    min_cell: int = MIN_CELL,
    group_order: list[str] | None = None,
) -> pd.DataFrame:
    """Return counts and percentages of each scale point per item and group, tidy.

    Percentages are of the substantive answers ("Do not know" is counted but has no
    percentage); each item and group also gets a row ``value=BASE_VALUE`` holding the base
    (the unweighted number of substantive answers) and ``value=AGREE_VALUE`` holding the
    count and percentage of the upper half of the scale (Agree + Somewhat agree). A group
    with fewer than ``min_cell`` answers to an item is suppressed
    (``coding.confidentiality.suppressed``): its counts, percentages and base are empty and
    the column ``suppressed`` is True. With weights, percentages are weighted and
    ``weighted_count`` holds the weighted counts; ``count`` and the base stay numbers of
    respondents. The columns are ``coding.tidy.DISTRIBUTION_COLUMNS`` and
    ``DISTRIBUTION_EXTRA_COLUMNS``.
    """
    substantive = np.array([not point.missing for point in block.scale])
    positive = np.array([point.name in block.positive for point in block.scale])
    agree_label = " + ".join(p.label for p in block.scale if p.name in block.positive)
    rows = []
    for _column, item, item_label, raw, weighted, labels in _tables(
        frame, block, groups, weights, group_order
    ):
        for g, group in enumerate(labels):
            base = int(raw[g][substantive].sum())
            total = weighted[g][substantive].sum()
            common = {
                "survey": survey, "question": block.question, "item": item,
                "item_label": item_label, "group": group, "base": base,
                "suppressed": suppressed(raw[g].sum(), min_cell),
            }  # fmt: skip
            for position, point in enumerate(block.scale):
                count = weighted[g][position]
                percent = 100 * count / total if total and not point.missing else np.nan
                rows.append({
                    **common, "value": point.name, "value_label": point.label,
                    "count": raw[g][position], "weighted_count": count, "percent": percent,
                    "missing": point.missing, "order": position,
                })  # fmt: skip
            agree = weighted[g][positive].sum()
            rows.append({
                **common, "value": AGREE_VALUE, "value_label": agree_label,
                "count": raw[g][positive].sum(), "weighted_count": agree,
                "percent": 100 * agree / total if total else np.nan,
                "missing": False, "order": len(block.scale),
            })  # fmt: skip
            rows.append({
                **common, "value": BASE_VALUE, "value_label": "Base: substantive answers",
                "count": base, "weighted_count": base, "percent": np.nan,
                "missing": False, "order": len(block.scale) + 1,
            })  # fmt: skip
    table = pd.DataFrame(rows, columns=[*DISTRIBUTION_COLUMNS, *DISTRIBUTION_EXTRA_COLUMNS])
    numbers = ["count", "weighted_count", "percent", "base"]
    table[numbers] = table[numbers].astype(float)
    table.loc[table["suppressed"].astype(bool), numbers] = np.nan
    whole = ["count", "base"]  # respondents: whole numbers, empty where suppressed
    table[whole] = table[whole].round().astype("Int64")
    return table


def means(
    frame: pd.DataFrame,
    block: Block,
    groups: pd.Series,
    survey: str = "",
    weights=None,
    min_cell: int = MIN_CELL,
    group_order: list[str] | None = None,
) -> pd.DataFrame:
    """Return the mean rating (the index) per item and group with its n, tidy.

    Non-substantive answers are left out; a group with fewer than ``min_cell`` ratings is
    suppressed (``coding.confidentiality.suppressed``: n and mean empty, ``suppressed``
    True). With weights the mean is weighted; n stays the number of respondents.
    """
    scores = rating_scores(block)
    usable = ~np.isnan(scores)
    if not usable.any():
        raise ValueError(f"question '{block.question}' has no numeric scale values to average")
    rows = []
    for _column, item, item_label, raw, weighted, labels in _tables(
        frame, block, groups, weights, group_order
    ):
        for g, group in enumerate(labels):
            n = int(raw[g][usable].sum())
            total = weighted[g][usable].sum()
            mean = (weighted[g][usable] * scores[usable]).sum() / total if total else np.nan
            hidden = suppressed(n, min_cell)
            rows.append({
                "survey": survey, "question": block.question, "item": item,
                "item_label": item_label, "group": group,
                "n": np.nan if hidden else n,
                "mean": np.nan if hidden else mean,
                "suppressed": hidden,
            })  # fmt: skip
    table = pd.DataFrame(rows, columns=[*MEAN_COLUMNS, *MEAN_EXTRA_COLUMNS])
    table["n"] = table["n"].astype(float).astype("Int64")  # empty where suppressed
    return table


def rating_scores(block: Block) -> np.ndarray:
    """Return each scale point's numeric value, NaN for a non-substantive or unvalued one."""
    return np.array(
        [np.nan if p.missing or p.value is None else p.value for p in block.scale], dtype=float
    )


def sort_by_overall(tidy_means: pd.DataFrame) -> pd.DataFrame:
    """Return the means with items ordered by their overall (All) index, highest first.

    A table without an All group (a banner, whose first block is often a survey as a
    whole) is ordered by its first column: the group of its first row.
    """
    first = tidy_means[tidy_means.group == ALL]
    if first.empty and len(tidy_means):
        keys = [c for c in (BLOCK, "group") if c in tidy_means.columns]
        head = tidy_means.iloc[0][keys]
        first = tidy_means[(tidy_means[keys] == head).all(axis=1)]
    overall = first.drop_duplicates("item").set_index("item")["mean"]
    rank = overall.rank(ascending=False, method="first")
    keyed = tidy_means.assign(_rank=tidy_means.item.map(rank))
    return keyed.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)


def poststratify(groups: pd.Series, population_shares: dict[str, float]) -> pd.Series:
    """Return weights that make the sample's group shares match the population's.

    Each respondent in group g gets population_share[g] / sample_share[g]; the weights
    average 1. Every group present must have a population share, and shares must sum to 1.
    """
    if not population_shares:
        raise ValueError("give the population share of each group")
    total = sum(population_shares.values())
    if any(share < 0 for share in population_shares.values()) or not 0.99 <= total <= 1.01:
        raise ValueError(f"population shares must be positive and sum to 1, not {total:g}")
    labels = groups.astype("object")
    missing = sorted({str(g) for g in labels.dropna().unique()} - set(population_shares))
    if missing or labels.isna().any():
        what = ", ".join(missing) or NO_ANSWER
        raise ValueError(f"no population share for group {what}")
    sample = labels.value_counts(normalize=True)
    weights = labels.map(lambda g: population_shares[g] / sample[g])
    return weights.astype(float)


def __getattr__(name: str):
    """Return the tests of difference (now in ``coding.difference``) from their old place."""
    if name in ("significance", "rating_difference"):
        from coding import difference

        return getattr(difference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Tests of difference between groups: answers by chi-square or exact tests, ratings by ranks.

Each test leaves out the groups that its table suppresses (``coding.confidentiality``) and
names them in ``left_out``; each gives an effect size beside its p-value (Cramér's V for a
table of counts, the rank-biserial r for Mann-Whitney U, epsilon-squared for
Kruskal-Wallis H), since on a few dozen respondents a p-value says little about how large
a difference is. Tests count respondents: weights never enter them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from coding.confidentiality import MIN_CELL, left_out, left_out_note, shown_groups
from coding.crosstab import Block, count_answers, encode_groups, encode_values, rating_scores

TEST_COLUMNS = [
    "question", "item", "item_label", "comparison", "groups", "n", "test", "statistic",
    "p_value", "effect", "effect_size", "left_out", "warning",
]  # fmt: skip
FULL_SCALE = "full scale"
RATINGS = "ratings"
MONTE_CARLO_TABLES = 9999
CRAMERS_V, RANK_BISERIAL, EPSILON_SQUARED = "Cramér's V", "rank-biserial r", "epsilon-squared"


def cramers_v(table) -> float:
    """Return Cramér's V of a table of counts: sqrt(chi-square / (n (min(rows, columns) - 1)))."""
    table = np.asarray(table, dtype=float)
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    return math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))


def contingency_test(table, min_expected: float = 5.0, random_state: int = 0) -> dict:
    """Test a groups x answers table of counts for a difference between the groups.

    Chi-square when the expected counts allow it; Fisher's exact test for a 2x2 table with
    an expected count below ``min_expected``; for a larger table with more than a fifth of
    its expected counts below it, the chi-square's p-value is found by Monte Carlo from
    ``MONTE_CARLO_TABLES`` random tables with the same margins (seeded: the same p again),
    which holds however small the counts. Empty rows and columns are dropped first.
    """
    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return {"warning": "fewer than two groups or answers: no test"}
    expected = stats.contingency.expected_freq(table)
    small = float((expected < min_expected).mean())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    result = {"n": int(table.sum()), "effect": CRAMERS_V, "effect_size": cramers_v(table)}
    if table.shape == (2, 2) and small > 0:
        odds_ratio, p_value = stats.fisher_exact(table)
        return dict(
            result,
            test="Fisher's exact (odds ratio)",
            statistic=odds_ratio,
            p_value=p_value,
            warning=f"expected counts below {min_expected:g}: exact test",
        )
    if small > 0.2:
        method = stats.MonteCarloMethod(
            n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(random_state)
        )
        test = stats.chi2_contingency(table, correction=False, method=method)
        return dict(
            result,
            test=f"chi-square ({dof} df), Monte Carlo p",
            statistic=test.statistic,
            p_value=test.pvalue,
            warning=f"{small:.0%} of expected counts below {min_expected:g}: p from"
            f" {MONTE_CARLO_TABLES:,} random tables with the same margins",
        )
    test = stats.chi2_contingency(table, correction=False)
    return dict(
        result,
        test=f"chi-square ({dof} df)",
        statistic=test.statistic,
        p_value=test.pvalue,
        warning="",
    )


def _item_counts(frame, block: Block, groups, group_order):
    """Yield, per item, the unweighted (group x scale point) counts and the group labels."""
    group_codes, labels = encode_groups(groups, group_order)
    for column, item, item_label in block.items:
        values = encode_values(frame[column], block.scale)
        yield (
            item,
            item_label,
            count_answers(values, group_codes, len(block.scale), len(labels)),
            labels,
        )


def _row(block: Block, item: str, item_label: str, comparison: str, **values) -> dict:
    """Return one test's row in ``TEST_COLUMNS``, empty where the test gave nothing."""
    row = dict.fromkeys(TEST_COLUMNS)
    row.update(question=block.question, item=item, item_label=item_label)
    row.update(comparison=comparison, statistic=np.nan, p_value=np.nan, effect_size=np.nan)
    row.update(left_out="", warning="")
    row.update(values)
    return row


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def significance(
    frame: pd.DataFrame,
    block: Block,
    groups: pd.Series,
    min_cell: int = MIN_CELL,
    collapse: bool = False,
    min_expected: float = 5.0,
    group_order: list[str] | None = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """Test each item's answers for a difference between the groups its table shows.

    The table is groups x substantive answers ("Do not know" left out), or with
    ``collapse`` groups x two columns: the upper half of the scale (Agree + Somewhat agree,
    the table's agree share) against the other substantive answers. A group with fewer than
    ``min_cell`` answers to the item is suppressed in the table, so it is left out here too
    and named in ``left_out``. See ``contingency_test`` for the test chosen. Returns a row
    per item in ``TEST_COLUMNS``.
    """
    substantive = [p for p in block.scale if not p.missing]
    keep = np.array([not p.missing for p in block.scale])
    upper = np.array([p.name in block.positive for p in substantive])
    comparison = FULL_SCALE
    if collapse:
        comparison = " vs ".join(
            " + ".join(p.label for p, up in zip(substantive, upper, strict=True) if up == side)
            for side in (True, False)
        )
    rows = []
    for item, item_label, counts, labels in _item_counts(frame, block, groups, group_order):
        sizes = dict(zip(labels, counts.sum(axis=1), strict=True))
        shown = shown_groups(sizes, min_cell)
        table = counts[[labels.index(g) for g in shown]][:, keep]
        if collapse:
            table = np.column_stack([table[:, upper].sum(axis=1), table[:, ~upper].sum(axis=1)])
        empty = [group for group, row in zip(shown, table, strict=True) if row.sum() == 0]
        found = contingency_test(table, min_expected, random_state)
        if empty:
            found["warning"] = _joined(
                f"{', '.join(empty)}: no substantive answers", found.get("warning", "")
            )
        rows.append(
            _row(
                block,
                item,
                item_label,
                comparison,
                **found,
                groups=len(shown) - len(empty),
                left_out=left_out_note(left_out(sizes, min_cell), min_cell),
            )
        )
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def _ratings(frame, block: Block, groups, group_order):
    """Yield, per item, each group's ratings (numeric values, non-substantive left out)."""
    scores = rating_scores(block)
    group_codes, labels = encode_groups(groups, group_order)
    for column, item, item_label in block.items:
        values = encode_values(frame[column], block.scale)
        rating = np.where(values >= 0, scores[np.maximum(values, 0)], np.nan)
        rated = ~np.isnan(rating)
        yield (
            item,
            item_label,
            {label: rating[rated & (group_codes == g)] for g, label in enumerate(labels)},
        )


def rank_test(samples: list[np.ndarray]) -> dict:
    """Test ratings of two groups by Mann-Whitney U, of more by Kruskal-Wallis H.

    The effect size is, for two groups, the rank-biserial r = 2U / (n1 n2) - 1 (U of the
    first group: positive when the first group rates higher, from -1 to 1); for more,
    epsilon-squared = H / (n - 1) (0 to 1).
    """
    if len(samples) < 2:
        return {"warning": "fewer than two groups to compare: no test"}
    pooled = np.concatenate(samples)
    result = {"n": len(pooled)}
    if np.ptp(pooled) == 0:
        return {**result, "warning": "every rating is the same: nothing to test"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if len(samples) == 2:
            first, second = samples
            test = stats.mannwhitneyu(first, second, alternative="two-sided")
            r = 2 * test.statistic / (len(first) * len(second)) - 1
            return dict(
                result,
                test="Mann-Whitney U",
                statistic=test.statistic,
                p_value=test.pvalue,
                effect=RANK_BISERIAL,
                effect_size=r,
            )
        test = stats.kruskal(*samples)
    return dict(
        result,
        test=f"Kruskal-Wallis H ({len(samples) - 1} df)",
        statistic=test.statistic,
        p_value=test.pvalue,
        effect=EPSILON_SQUARED,
        effect_size=test.statistic / (len(pooled) - 1),
    )


def rating_tests(
    frame: pd.DataFrame,
    block: Block,
    groups: pd.Series,
    min_cell: int = MIN_CELL,
    group_order: list[str] | None = None,
) -> pd.DataFrame:
    """Test each item's ratings for a difference between the groups its mean table shows.

    Mann-Whitney U for two groups, Kruskal-Wallis H for more (``rank_test``), on the
    ratings of the groups with at least ``min_cell`` of them; the others are suppressed in
    the mean table, left out here and named in ``left_out``. Returns a row per item in
    ``TEST_COLUMNS``.
    """
    rows = []
    for item, item_label, ratings in _ratings(frame, block, groups, group_order):
        sizes = {group: len(values) for group, values in ratings.items()}
        shown = shown_groups(sizes, min_cell)
        found = rank_test([ratings[group] for group in shown])
        rows.append(
            _row(
                block,
                item,
                item_label,
                RATINGS,
                **found,
                groups=len(shown),
                left_out=left_out_note(left_out(sizes, min_cell), min_cell),
            )
        )
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def rating_difference(
    frame: pd.DataFrame,
    block: Block,
    groups: pd.Series,
    first: str,
    second: str,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Test each item's ratings for a difference between two named groups (Mann-Whitney U).

    Columns: the item, ``n_first``, ``n_second``, ``statistic`` (U of the first group),
    ``p_value``, ``effect_size`` (rank-biserial r, positive when the first rates higher),
    ``left_out`` (a group below ``min_cell`` ratings: then no test) and ``warning``.
    """
    rows = []
    chosen = groups.where(groups.isin([first, second]))
    for item, item_label, ratings in _ratings(frame, block, chosen, [first, second]):
        a, b = ratings.get(first, np.array([])), ratings.get(second, np.array([]))
        sizes = {first: len(a), second: len(b)}
        result = {"question": block.question, "item": item, "item_label": item_label,
                  "n_first": len(a), "n_second": len(b), "statistic": np.nan,
                  "p_value": np.nan, "effect_size": np.nan,
                  "left_out": left_out_note(left_out(sizes, min_cell), min_cell),
                  "warning": ""}  # fmt: skip
        if not len(a) or not len(b):
            result["warning"] = "a group has no ratings: no test"
        elif not result["left_out"]:
            found = rank_test([a, b])
            result.update(
                statistic=found.get("statistic", np.nan),
                p_value=found.get("p_value", np.nan),
                effect_size=found.get("effect_size", np.nan),
                warning=found.get("warning", ""),
            )
            if min(len(a), len(b)) < 5 and not result["warning"]:
                result["warning"] = "fewer than 5 ratings in a group: the test has little power"
        rows.append(result)
    return pd.DataFrame(rows)

"""Tests of difference between groups, checked against hand computations and scipy itself."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from coding.confidentiality import left_out_note, shown_groups, suppressed
from coding.crosstab import Block, ScalePoint
from coding.difference import (
    MONTE_CARLO_TABLES,
    TEST_COLUMNS,
    contingency_test,
    cramers_v,
    rank_test,
    rating_difference,
    rating_tests,
    significance,
)

AGREEMENT = (
    ScalePoint("agree", "Agree", 4),
    ScalePoint("somewhat_agree", "Somewhat agree", 3),
    ScalePoint("somewhat_disagree", "Somewhat disagree", 2),
    ScalePoint("disagree", "Disagree", 1),
    ScalePoint("dont_know", "Do not know", None, True),
)
STATEMENT = Block("impact", "Impact", (("impact.support", "support", "More support"),), AGREEMENT)
PRIORITY = tuple(
    ScalePoint(str(v), label, v)
    for v, label in zip(
        range(5, 0, -1),
        ["Top priority", "High priority", "Moderate priority", "Low priority", "Not a priority"],
        strict=True,
    )
)
AREAS = Block("areas", "Areas", (("areas.health", "health", "Health"),), PRIORITY)


def grouped(**answers: list) -> tuple[pd.DataFrame, pd.Series]:
    """Return one statement's answers and each answer's group, from group=answers."""
    values = [value for group in answers.values() for value in group]
    labels = [name for name, group in answers.items() for _ in group]
    return pd.DataFrame({"impact.support": values}), pd.Series(labels)


def rated(**ratings: list[int]) -> tuple[pd.DataFrame, pd.Series]:
    """Return one priority item's ratings and each rating's group."""
    values = [str(r) for group in ratings.values() for r in group]
    labels = [name for name, group in ratings.items() for _ in group]
    return pd.DataFrame({"areas.health": values}), pd.Series(labels)


def test_the_minimum_cell_rule():
    assert suppressed(4, 5) and not suppressed(5, 5) and suppressed(0, 1)
    sizes = {"Africa": 3, "Arab States": 9, "Europe": 4}
    assert shown_groups(sizes, 5) == ["Arab States"]
    assert left_out_note(["Africa"], 5) == "Africa (n < 5) left out"
    assert left_out_note(["Africa", "Europe"], 5) == "Africa, Europe (each n < 5) left out"
    assert left_out_note([], 5) == ""


def test_chi_square_and_cramers_v_match_a_hand_computation():
    # Staff 20 agree, 5 disagree; constituents 5 agree, 15 disagree: the empty answers drop,
    # leaving [[20, 5], [5, 15]], n = 45, every expected count 8.9 or more, so chi-square:
    # chi2 = n (ad - bc)^2 / (r1 r2 c1 c2) = 45 x 275^2 / (25 x 20 x 25 x 20) = 13.6125,
    # V = sqrt(13.6125 / 45) = 0.55.
    frame, groups = grouped(Staff=["agree"] * 20 + ["disagree"] * 5,
                            Constituents=["agree"] * 5 + ["disagree"] * 15)  # fmt: skip
    [row] = significance(frame, STATEMENT, groups).to_dict("records")
    assert row["test"] == "chi-square (1 df)"
    assert row["statistic"] == pytest.approx(13.6125)
    assert row["p_value"] == pytest.approx(stats.chi2.sf(13.6125, 1))
    assert row["effect"] == "Cramér's V" and row["effect_size"] == pytest.approx(0.55)
    assert row["n"] == 45 and row["groups"] == 2 and row["warning"] == row["left_out"] == ""


@pytest.mark.parametrize(
    "table", [[[20, 5], [5, 15]], [[3, 1, 1], [0, 2, 4]], [[4, 2, 1], [1, 1, 5], [2, 6, 0]]]
)
def test_cramers_v_is_scipys(table):
    assert cramers_v(table) == pytest.approx(
        stats.contingency.association(np.array(table), method="cramer")
    )


def test_fisher_exact_for_a_small_two_by_two_table():
    # [[4, 1], [1, 4]]: expected counts 2.5, so Fisher's exact test: odds ratio 16,
    # p = 0.2063 (scipy.stats.fisher_exact); phi = (4 x 4 - 1 x 1) / sqrt(5^4) = 0.6.
    frame, groups = grouped(A=["agree"] * 4 + ["disagree"], B=["agree"] + ["disagree"] * 4)
    [row] = significance(frame, STATEMENT, groups).to_dict("records")
    assert row["test"] == "Fisher's exact (odds ratio)"
    assert row["statistic"] == pytest.approx(16)
    assert row["p_value"] == pytest.approx(stats.fisher_exact([[4, 1], [1, 4]]).pvalue)
    assert row["p_value"] == pytest.approx(0.2063, abs=1e-4)
    assert row["effect_size"] == pytest.approx(0.6)


def exact_p(table: np.ndarray) -> float:
    """Return the exact p of the chi-square of a 2 x 3 table: every table with its margins."""
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    observed = stats.chi2_contingency(table, correction=False).statistic

    def probability(t):  # multivariate hypergeometric, margins fixed
        top = np.prod([math.factorial(int(m)) for m in [*rows, *columns]])
        bottom = math.factorial(int(table.sum())) * np.prod(
            [math.factorial(int(x)) for x in t.flat]
        )
        return top / bottom

    p = 0.0
    for a, b in itertools.product(range(rows[0] + 1), repeat=2):
        c = rows[0] - a - b
        t = np.array([[a, b, c], columns - [a, b, c]])
        if c < 0 or (t < 0).any():
            continue
        if stats.chi2_contingency(t, correction=False).statistic >= observed - 1e-9:
            p += probability(t)
    return p


def test_small_expected_counts_get_a_monte_carlo_p_close_to_the_exact_one():
    # A: agree 3, somewhat agree 1, disagree 1; B: somewhat agree 2, disagree 4 -> the table
    # [[3, 1, 1], [0, 2, 4]] has every expected count below 5: the p-value comes from
    # random tables with the same margins, and matches the exact p within Monte Carlo error.
    frame, groups = grouped(A=["agree"] * 3 + ["somewhat_agree", "disagree"],
                            B=["somewhat_agree"] * 2 + ["disagree"] * 4)  # fmt: skip
    [row] = significance(frame, STATEMENT, groups).to_dict("records")
    table = np.array([[3, 1, 1], [0, 2, 4]])
    assert row["test"] == "chi-square (2 df), Monte Carlo p"
    assert row["statistic"] == pytest.approx(stats.chi2_contingency(table, correction=False)[0])
    assert row["p_value"] == pytest.approx(exact_p(table), abs=0.02)
    method = stats.MonteCarloMethod(n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(0))
    again = stats.chi2_contingency(table, correction=False, method=method)
    assert row["p_value"] == again.pvalue  # seeded: the same p every time
    assert "random tables with the same margins" in row["warning"]
    assert "unreliable" not in row["warning"]


def test_the_collapsed_table_is_the_agree_share_against_the_rest():
    # Per group, Agree + Somewhat agree against Somewhat disagree + Disagree ("Do not know"
    # left out): A 7 vs 1, B 2 vs 6, C 4 vs 4 -> a 3 x 2 table whose expected counts (8 x 13 / 24
    # = 4.3, 8 x 11 / 24 = 3.7) are all below 5, so the p-value is Monte Carlo.
    frame, groups = grouped(
        A=["agree"] * 4 + ["somewhat_agree"] * 3 + ["disagree", "dont_know"],
        B=["agree", "somewhat_agree"] + ["somewhat_disagree"] * 3 + ["disagree"] * 3,
        C=["agree"] * 4 + ["disagree"] * 4,
    )
    [row] = significance(frame, STATEMENT, groups, collapse=True).to_dict("records")
    table = np.array([[7, 1], [2, 6], [4, 4]])
    assert row["comparison"] == "Agree + Somewhat agree vs Somewhat disagree + Disagree"
    assert row["statistic"] == pytest.approx(stats.chi2_contingency(table, correction=False)[0])
    assert row["effect_size"] == pytest.approx(cramers_v(table))
    assert row["n"] == 24 and row["groups"] == 3
    assert row["test"] == "chi-square (2 df), Monte Carlo p"
    pair, pair_groups = grouped(A=["agree"] * 5, B=["disagree"] * 5)
    [two] = significance(pair, STATEMENT, pair_groups, collapse=True).to_dict("records")
    assert two["test"] == "Fisher's exact (odds ratio)"
    assert two["p_value"] == pytest.approx(stats.fisher_exact([[5, 0], [0, 5]]).pvalue)


def test_a_group_the_table_suppresses_is_left_out_of_the_test_and_named():
    staff = ["agree"] * 6 + ["disagree"] * 2
    constituents = ["somewhat_agree"] * 3 + ["disagree"] * 5
    frame, groups = grouped(Staff=staff, Constituents=constituents,
                            Africa=["agree", "agree", "dont_know", "disagree"])  # fmt: skip
    without, without_groups = grouped(Staff=staff, Constituents=constituents)
    for collapse in (False, True):
        [row] = significance(frame, STATEMENT, groups, collapse=collapse).to_dict("records")
        [alone] = significance(without, STATEMENT, without_groups, collapse=collapse).to_dict(
            "records"
        )
        assert row["left_out"] == "Africa (n < 5) left out"
        assert row["groups"] == 2 and row["n"] == 16
        assert row["statistic"] == alone["statistic"] and row["p_value"] == alone["p_value"]
    [lower] = significance(frame, STATEMENT, groups, min_cell=4).to_dict("records")
    assert lower["groups"] == 3 and lower["left_out"] == ""


def test_fewer_than_two_groups_shown_means_no_test():
    frame, groups = grouped(Staff=["agree"] * 6, Constituents=["disagree"] * 3)
    [row] = significance(frame, STATEMENT, groups).to_dict("records")
    assert row["test"] is None and math.isnan(row["p_value"])
    assert "no test" in row["warning"]
    assert row["left_out"] == "Constituents (n < 5) left out"


def test_mann_whitney_with_the_rank_biserial_r_by_hand():
    # Staff 5, 5, 4, 3, 2 against constituents 1, 1, 2, 3, 3: U of staff counts the pairs
    # staff rates higher, ties a half: 5 + 5 + 5 + (3 + 2 x 0.5) + (2 + 0.5) = 21.5;
    # r = 2 U / (5 x 5) - 1 = 0.72 (staff rate higher).
    staff, constituents = [5, 5, 4, 3, 2], [1, 1, 2, 3, 3]
    frame, groups = rated(Staff=staff, Constituents=constituents)
    [row] = rating_tests(frame, AREAS, groups).to_dict("records")
    assert row["test"] == "Mann-Whitney U"
    assert row["statistic"] == pytest.approx(21.5)
    assert row["effect"] == "rank-biserial r" and row["effect_size"] == pytest.approx(0.72)
    expected = stats.mannwhitneyu(staff, constituents, alternative="two-sided")
    assert row["p_value"] == pytest.approx(expected.pvalue)
    assert list(row) == TEST_COLUMNS and row["comparison"] == "ratings"
    [named] = rating_difference(frame, AREAS, groups, "Staff", "Constituents").to_dict("records")
    assert named["statistic"] == pytest.approx(21.5)
    assert named["effect_size"] == pytest.approx(0.72)
    [turned] = rating_difference(frame, AREAS, groups, "Constituents", "Staff").to_dict("records")
    assert turned["effect_size"] == pytest.approx(-0.72)


def test_kruskal_wallis_with_epsilon_squared_for_more_groups():
    ratings = {"A": [5, 5, 4, 4, 5], "B": [3, 2, 3, 4, 2, 3], "C": [1, 2, 1, 1, 2], "D": [5, 1]}
    frame, groups = rated(**ratings)
    [row] = rating_tests(frame, AREAS, groups).to_dict("records")
    h = stats.kruskal(ratings["A"], ratings["B"], ratings["C"]).statistic
    assert row["test"] == "Kruskal-Wallis H (2 df)"
    assert row["statistic"] == pytest.approx(h)
    assert row["effect"] == "epsilon-squared"
    assert row["effect_size"] == pytest.approx(h / (16 - 1))  # n = 16 ratings tested
    assert row["left_out"] == "D (n < 5) left out"
    assert row["n"] == 16 and row["groups"] == 3


def test_ratings_below_the_minimum_are_never_tested():
    frame, groups = rated(Staff=[5] * 8, Constituents=[1] * 4)
    [row] = rating_tests(frame, AREAS, groups).to_dict("records")
    assert row["test"] is None and "no test" in row["warning"]
    [named] = rating_difference(frame, AREAS, groups, "Staff", "Constituents").to_dict("records")
    assert math.isnan(named["p_value"])
    assert named["left_out"] == "Constituents (n < 5) left out"
    [small] = rating_difference(frame, AREAS, groups, "Staff", "Constituents", min_cell=3).to_dict(
        "records"
    )
    assert small["p_value"] < 0.05 and "little power" in small["warning"]


@pytest.mark.parametrize(
    "samples, warning",
    [([np.array([3.0])], "fewer than two groups"), ([np.ones(5), np.ones(6)], "the same")],
)
def test_rank_tests_say_why_there_is_no_test(samples, warning):
    assert warning in rank_test(samples)["warning"]


def test_a_table_without_two_answers_has_no_test():
    assert "no test" in contingency_test([[5, 0], [6, 0]])["warning"]

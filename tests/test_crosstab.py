"""Cross-tabulations checked against tables computed by hand, and Table 6 reproduced."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coding.crosstab import (
    Block,
    ScalePoint,
    count_answers,
    distribution,
    means,
    poststratify,
    sort_by_overall,
)
from coding.tidy import (
    AGREE_VALUE,
    BASE_VALUE,
    DISTRIBUTION_COLUMNS,
    DISTRIBUTION_EXTRA_COLUMNS,
    MEAN_COLUMNS,
    MEAN_EXTRA_COLUMNS,
)
from surveyapp.analysis.survey_tables import CrosstabError, make_crosstab

AGREEMENT = (
    ScalePoint("agree", "Agree", 4),
    ScalePoint("somewhat_agree", "Somewhat agree", 3),
    ScalePoint("somewhat_disagree", "Somewhat disagree", 2),
    ScalePoint("disagree", "Disagree", 1),
    ScalePoint("dont_know", "Do not know", None, True),
)
STATEMENT = Block("impact", "Impact", (("impact.support", "support", "More support"),), AGREEMENT)


def answers(
    staff: list[str | None], constituents: list[str | None]
) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.DataFrame({"impact.support": staff + constituents})
    groups = pd.Series(["Staff"] * len(staff) + ["Constituents"] * len(constituents))
    return frame, groups


def cell(table, group, value, column="percent"):
    row = table[(table.group == group) & (table.value == value)]
    assert len(row) == 1, (group, value)
    return row.iloc[0][column]


def test_distribution_matches_a_hand_computed_table():
    # Staff: 3 agree, 1 somewhat agree, 1 disagree, 2 do not know, 1 unanswered.
    # Substantive base 5: agree 60%, somewhat agree 20%, disagree 20%; agree share 80%.
    # Constituents: 2 agree, 2 somewhat disagree, 1 disagree: base 5, 40/0/40/20.
    # All: base 10, agree 5 = 50%, somewhat agree 10%, somewhat disagree 20%, disagree 20%.
    staff = ["agree"] * 3 + ["somewhat_agree", "disagree", "dont_know", "dont_know", None]
    constituents = ["agree", "agree", "somewhat_disagree", "somewhat_disagree", "disagree"]
    frame, groups = answers(staff, constituents)
    table = distribution(
        frame, STATEMENT, groups, "staff,constituents", group_order=["Staff", "Constituents"]
    )
    assert list(dict.fromkeys(table.group)) == ["All", "Staff", "Constituents"]
    assert cell(table, "Staff", "agree") == pytest.approx(60)
    assert cell(table, "Staff", "somewhat_agree") == pytest.approx(20)
    assert cell(table, "Staff", "disagree") == pytest.approx(20)
    assert cell(table, "Staff", "dont_know", "count") == 2
    assert math.isnan(cell(table, "Staff", "dont_know"))  # counted, not in the percentages
    assert cell(table, "Staff", BASE_VALUE, "count") == 5
    assert cell(table, "Staff", "agree", "count") == 3
    assert cell(table, "Staff", AGREE_VALUE) == pytest.approx(80)
    assert cell(table, "Staff", AGREE_VALUE, "value_label") == "Agree + Somewhat agree"
    assert cell(table, "Constituents", "somewhat_disagree") == pytest.approx(40)
    assert cell(table, "All", "agree") == pytest.approx(50)
    assert cell(table, "All", BASE_VALUE, "count") == 10
    assert cell(table, "All", "dont_know", "count") == 2


def test_tables_have_the_columns_coding_tidy_names():
    frame, groups = answers(["agree"] * 5, ["disagree"] * 5)
    table = distribution(frame, STATEMENT, groups)
    assert list(table.columns) == [*DISTRIBUTION_COLUMNS, *DISTRIBUTION_EXTRA_COLUMNS]
    summary = table[table.value.isin([AGREE_VALUE, BASE_VALUE])]
    assert summary.order.min() > table[~table.index.isin(summary.index)].order.max()
    block = Block("areas", "Areas", (("impact.support", "support", "More support"),), PRIORITY)
    rated = means(pd.DataFrame({"impact.support": ["5"] * 10}), block, groups)
    assert list(rated.columns) == [*MEAN_COLUMNS, *MEAN_EXTRA_COLUMNS]


def test_a_block_without_items_gives_empty_tables_with_the_columns():
    frame, groups = answers(["agree"] * 5, [])
    empty = Block("impact", "Impact", (), AGREEMENT)
    assert list(distribution(frame, empty, groups).columns) == [
        *DISTRIBUTION_COLUMNS,
        *DISTRIBUTION_EXTRA_COLUMNS,
    ]
    assert distribution(frame, empty, groups).empty
    assert list(means(frame, empty, groups).columns) == [*MEAN_COLUMNS, *MEAN_EXTRA_COLUMNS]


def test_small_groups_are_suppressed_in_the_table():
    # Constituents gave 4 answers: below the minimum cell of 5, every number is withheld.
    frame, groups = answers(["agree"] * 6, ["agree", "disagree", "agree", "dont_know"])
    table = distribution(frame, STATEMENT, groups, min_cell=5)
    constituents = table[table.group == "Constituents"]
    assert constituents.suppressed.all()
    assert constituents["count"].isna().all() and constituents["percent"].isna().all()
    assert not table[table.group == "Staff"].suppressed.any()
    lower = distribution(frame, STATEMENT, groups, min_cell=3)
    assert not lower[lower.group == "Constituents"].suppressed.any()


def test_empty_group_has_no_numbers_and_no_division_by_zero():
    frame, groups = answers(["agree"] * 5, [None, None])
    table = distribution(frame, STATEMENT, groups, min_cell=1)
    constituents = table[table.group == "Constituents"]
    assert constituents.suppressed.all()  # no answer at all is below any minimum cell
    only_dk, dk_groups = answers(["dont_know"] * 6, [])
    all_dk = distribution(only_dk, STATEMENT, dk_groups)
    assert cell(all_dk, "Staff", "dont_know", "count") == 6
    assert math.isnan(cell(all_dk, "Staff", "agree"))
    assert cell(all_dk, "Staff", BASE_VALUE, "count") == 0


def test_weights_change_percentages_and_weighted_counts_but_not_counts_or_base():
    # Staff 5 x agree (weight 0.5 each), constituents 5 x disagree (weight 1.5 each):
    # weighted All: agree 2.5, disagree 7.5 -> 25% / 75%; counts and base stay respondents.
    frame, groups = answers(["agree"] * 5, ["disagree"] * 5)
    weights = np.array([0.5] * 5 + [1.5] * 5)
    table = distribution(frame, STATEMENT, groups, weights=weights)
    assert cell(table, "All", "agree") == pytest.approx(25)
    assert cell(table, "All", "disagree") == pytest.approx(75)
    assert cell(table, "All", "agree", "weighted_count") == pytest.approx(2.5)
    assert cell(table, "All", "agree", "count") == 5
    assert cell(table, "All", AGREE_VALUE, "count") == 5
    assert cell(table, "All", BASE_VALUE, "count") == 10
    plain = distribution(frame, STATEMENT, groups)
    assert (plain["count"].fillna(-1) == plain["weighted_count"].fillna(-1)).all()


def test_poststratification_matches_population_shares():
    groups = pd.Series(["staff"] * 64 + ["constituents"] * 9)
    weights = poststratify(groups, {"staff": 0.5, "constituents": 0.5})
    assert weights[groups == "staff"].sum() == pytest.approx(
        weights[groups == "constituents"].sum()
    )
    assert weights.mean() == pytest.approx(1)
    assert weights.iloc[0] == pytest.approx(0.5 / (64 / 73))


@pytest.mark.parametrize(
    "shares, message",
    [
        ({}, "give the population share"),
        ({"staff": 0.5, "constituents": 0.2}, "sum to 1"),
        ({"staff": 1.0}, "no population share for group constituents"),
        ({"staff": 1.5, "constituents": -0.5}, "positive"),
    ],
)
def test_bad_population_shares_are_refused(shares, message):
    with pytest.raises(ValueError, match=message):
        poststratify(pd.Series(["staff", "constituents"]), shares)


PRIORITY = tuple(
    ScalePoint(str(v), label, v)
    for v, label in zip(
        range(5, 0, -1),
        ["Top priority", "High priority", "Moderate priority", "Low priority", "Not a priority"],
        strict=True,
    )
)


def test_means_match_hand_computed_indices():
    # Ratings 5, 5, 4, 2, 1 -> mean 17 / 5 = 3.4; group B 3, 3, 3, 3, 4 -> 3.2; All 33/10.
    block = Block("areas", "Areas", (("areas.health", "health", "Health"),), PRIORITY)
    frame = pd.DataFrame({"areas.health": ["5", "5", "4", "2", "1", "3", "3", "3", "3", "4"]})
    groups = pd.Series(["A"] * 5 + ["B"] * 5)
    table = means(frame, block, groups)
    result = dict(zip(table.group, table["mean"], strict=True))
    assert result == pytest.approx({"All": 3.3, "A": 3.4, "B": 3.2})
    assert list(table.n) == [10, 5, 5]


def test_count_answers_is_a_bincount_of_group_and_value():
    values = np.array([0, 1, 1, -1, 2])
    group_codes = np.array([0, 0, 1, 1, 1])
    assert count_answers(values, group_codes, 3, 2).tolist() == [[1, 1, 0], [0, 1, 1]]


# Table 6 of the report: mean priority (5 = top priority) for staff overall, by the staff
# respondent's region, and for constituents and partners.
TABLE_6 = {
    "informal_economy": [4.71, 4.83, 5.00, 4.59, 4.64, 5.00, 4.43],
    "financing": [4.59, 4.75, 4.33, 4.41, 4.73, 4.60, 5.00],
    "climate_change": [3.31, 3.30, 3.67, 3.38, 2.80, 4.00, 3.57],
}
REGIONS = [
    "africa",
    "arab_states",
    "asia_pacific",
    "europe_central_asia",
    "latin_america_caribbean",
]


def spread(total: int, n: int, rng) -> list[int]:
    """Return n ratings of 1-5 that add up to total, in random order."""
    ratings = [total // n] * n
    for i in range(total - sum(ratings)):
        ratings[i] += 1
    rng.shuffle(ratings)
    return ratings


def ratings_for(mean: float, rng, before=(0, 0)) -> list[int]:
    """Return ratings that, added to `before` (sum, count), give a mean rounding to `mean`."""
    known_sum, known_n = before
    for n in range(0 if known_n else 3, 60):
        for total in range(n, 5 * n + 1):
            if known_n + n and round((known_sum + total) / (known_n + n), 2) == mean:
                return spread(total, n, rng) if n else []
    raise AssertionError(f"no ratings give {mean}")


def table_6_responses(rng):
    """Build staff and constituents responses whose ratings give Table 6's means."""
    staff, constituents = [], []
    for item, row in TABLE_6.items():
        overall, *regional, partners = row
        rows = []
        for region, mean in zip(REGIONS, regional, strict=True):
            rows += [(region, r) for r in ratings_for(mean, rng)]
        # staff at headquarters bring the overall mean to Table 6's
        ratings = [r for _region, r in rows]
        rows += [("global", r) for r in ratings_for(overall, rng, (sum(ratings), len(ratings)))]
        column = f"priority_areas.{item}"
        staff += [{"region": region, column: str(r)} for region, r in rows]
        constituents += [{"region": "africa", column: str(r)} for r in ratings_for(partners, rng)]
    return staff, constituents


def test_table_6_is_reproduced_to_two_decimals(app, db):
    staff, constituents = table_6_responses(np.random.default_rng(6))
    db["responses_staff"].insert_all(staff, alter=False)
    db["responses_constituents"].insert_all(constituents, alter=False)
    questionnaires = app.extensions["questionnaires"]
    by_region = make_crosstab(db, questionnaires, ["staff"], "region", "mean", min_cell=1,
                              questions=["priority_areas"])  # fmt: skip
    [(_block, table)] = by_region.tables
    labels = ["All", "Africa", "Arab States", "Asia and the Pacific", "Europe and Central Asia",
              "Latin America and the Caribbean"]  # fmt: skip
    for item, row in TABLE_6.items():
        got = table[table.item == item].set_index("group")["mean"]
        assert [round(got[label], 2) for label in labels] == row[:6], item
    by_survey = make_crosstab(db, questionnaires, ["staff", "constituents"], "survey", "mean",
                              min_cell=1, questions=["priority_areas"])  # fmt: skip
    [(_block, both)] = by_survey.tables
    for item, row in TABLE_6.items():
        got = both[both.item == item].set_index("group")["mean"]
        assert round(got["Survey of ILO staff"], 2) == row[0]
        assert round(got["Survey of constituents and partners"], 2) == row[6]
    ordered = sort_by_overall(table)
    assert list(dict.fromkeys(ordered.item))[:2] == ["informal_economy", "financing"]
    tidy = by_region.tidy()
    assert list(tidy.columns) == ["survey", "question", "item", "item_label", "group", "n", "mean"]
    assert set(tidy.item_label) >= {
        "Informal Economy",
        "Financing of social protection",
        "Climate Change",
    }


def test_crosstab_refuses_what_it_cannot_do(app, db):
    questionnaires = app.extensions["questionnaires"]
    with pytest.raises(
        CrosstabError, match="not a single-choice question of survey 'constituents'"
    ):
        make_crosstab(db, questionnaires, ["staff", "constituents"], "office")
    with pytest.raises(CrosstabError, match="no survey nosuch"):
        make_crosstab(db, questionnaires, ["nosuch"])
    with pytest.raises(CrosstabError, match="not a grid shared"):
        make_crosstab(db, questionnaires, ["staff"], questions=["region"])
    with pytest.raises(CrosstabError, match="not a numeric column"):
        make_crosstab(db, questionnaires, ["staff"], weight="region")

"""Agreement between coders, checked against figures computed by hand."""

from __future__ import annotations

import math
import warnings
from itertools import permutations

import numpy as np
import pandas as pd
import pytest

from coding.agreement import agreement, alpha


def codings_from(table: dict[str, dict]) -> pd.DataFrame:
    """Build codings from {coder: {answer: codes}}; an empty list means reviewed, no code."""
    rows = []
    for coder, answers in table.items():
        for answer, codes in answers.items():
            rows += [(answer, coder, code) for code in codes] or [(answer, coder, None)]
    return pd.DataFrame(rows, columns=["answer", "coder", "code"])


def per_code_row(report, code: str) -> dict:
    """Return the per-code table's row for one code as a dict."""
    return report.per_code.set_index("code").loc[code].to_dict()


# Coder A: answers 1-5 "funding", 6-10 "staffing"; coder B the same except 5 and 6 swapped.
TEN_A = {f"staff:{n}": ["funding" if n <= 5 else "staffing"] for n in range(1, 11)}
TEN_B = {**TEN_A, "staff:5": ["staffing"], "staff:6": ["funding"]}
TEN = codings_from({"A": TEN_A, "B": TEN_B})

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example:
# 4 coders x 12 units, None where a coder gave no value.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}

# Sets differ on q1 only, by the extra code "staffing"; q5 and q6 were reviewed by one coder.
MULTI = codings_from(
    {
        "A": {"q1": ["funding", "staffing"], "q2": ["funding"], "q3": ["staffing"], "q4": []},
        "B": {"q1": ["funding"], "q2": ["funding"], "q3": ["staffing"], "q4": [], "q6": []},
    }
)
MULTI = pd.concat(
    [MULTI, pd.DataFrame([{"answer": "q5", "coder": "A", "code": "training"}])],
    ignore_index=True,
)


def nominal_alpha_by_hand(values_by_coder: dict[str, list]) -> float:
    """Nominal alpha by the coincidence-matrix formula, independent of the module."""
    coincidences: dict[tuple, float] = {}
    for unit in zip(*values_by_coder.values(), strict=True):
        values = [value for value in unit if value is not None]
        for first, second in permutations(values, 2):
            pair = (first, second)
            coincidences[pair] = coincidences.get(pair, 0) + 1 / (len(values) - 1)
    totals: dict = {}
    for (first, _), count in coincidences.items():
        totals[first] = totals.get(first, 0) + count
    n = sum(totals.values())
    observed = sum(count for (first, second), count in coincidences.items() if first != second)
    expected_pairs = n**2 - sum(total**2 for total in totals.values())
    return 1 - (n - 1) * observed / expected_pairs


def test_single_code_kappa_matches_hand_computation():
    report = agreement(TEN, "A", "B")
    # Categories: agree on 8 of 10 -> p_o = 0.8; both coders 5 funding / 5 staffing
    # -> p_e = 0.5*0.5 + 0.5*0.5 = 0.5; kappa = (0.8 - 0.5) / (1 - 0.5) = 0.6.
    assert report.answers == 10
    assert report.excluded == 0
    assert report.overall_kappa == pytest.approx(0.6)
    # "funding" yes/no: both on 1-4, A only on 5, B only on 6, neither on 7-10.
    # p_o = (4 + 4) / 10 = 0.8; P(A yes) = P(B yes) = 5/10 -> p_e = 0.5*0.5 + 0.5*0.5 = 0.5;
    # kappa = (0.8 - 0.5) / 0.5 = 0.6.
    funding = per_code_row(report, "funding")
    assert funding == pytest.approx(
        {"kappa": 0.6, "agreement": 0.8, "both": 4, "only_a": 1, "only_b": 1, "neither": 4}
    )
    # Pooled over 10 answers x 2 codes = 20 decisions: 16 alike -> p_o = 0.8; each coder says
    # yes 10 times of 20 -> p_e = 0.5; kappa = 0.6.
    assert report.pooled_kappa == pytest.approx(0.6)


def test_two_coder_alpha_matches_hand_computation():
    # 20 pairable values; coincidences: funding-funding 8 (answers 1-4, 2 ordered pairs each),
    # staffing-staffing 8, funding-staffing 2 + staffing-funding 2 (answers 5, 6).
    # n_funding = n_staffing = 10; alpha = 1 - (n - 1) * D_o / sum_{c!=k} n_c n_k
    # = 1 - 19 * 4 / (2 * 10 * 10) = 1 - 76/200 = 0.62.
    assert agreement(TEN, "A", "B").alpha == pytest.approx(0.62)
    assert alpha(TEN) == pytest.approx(0.62)


def test_hand_alpha_of_krippendorff_2011_example_is_0_743():
    # Coincidences (unit contributions are ordered pairs / (m_u - 1)):
    # o11 = 3 (u1) + 2 (u8) + 2 (u11) = 7; o22 = 2 (u2) + 4 (u5) + 4 (u9) = 10;
    # o33 = 4 + 4 (u3, u4) = 8; o44 = 4 (u7); o55 = 3 (u10); u12 has one value, unpairable.
    # Off-diagonal: o12 = o21 = 1 (u8) + 1/3 (u6); o23 = o32 = 1 (u2) + 1/3 (u6);
    # o13 = o14 = o24 = o34 (and mirrors) = 1/3 (u6).
    # n1 = 9, n2 = 13, n3 = 10, n4 = 5, n5 = 3, n = 40; D_o sum = 40 - 32 = 8;
    # sum_{c!=k} n_c n_k = 40^2 - (81 + 169 + 100 + 25 + 9) = 1600 - 384 = 1216;
    # alpha = 1 - 39 * 8 / 1216 = 1 - 312/1216 = 0.743421...
    assert nominal_alpha_by_hand(KRIPPENDORFF_2011) == pytest.approx(1 - 312 / 1216)
    assert round(nominal_alpha_by_hand(KRIPPENDORFF_2011), 3) == 0.743


def test_alpha_reproduces_krippendorff_2011_example_with_missing_values():
    rows = [
        {"answer": f"unit:{unit}", "coder": coder, "code": str(value)}
        for coder, values in KRIPPENDORFF_2011.items()
        for unit, value in enumerate(values, start=1)
        if value is not None
    ]
    codings = pd.DataFrame(rows)
    assert alpha(codings) == pytest.approx(nominal_alpha_by_hand(KRIPPENDORFF_2011))
    assert round(alpha(codings, ["A", "B", "C", "D"]), 3) == 0.743


def test_perfect_agreement_gives_kappa_and_alpha_of_one():
    codings = codings_from({"A": TEN_A, "B": TEN_A})
    report = agreement(codings, "A", "B")
    assert report.overall_kappa == pytest.approx(1.0)
    assert report.pooled_kappa == pytest.approx(1.0)
    assert report.alpha == pytest.approx(1.0)
    assert report.per_code["kappa"].tolist() == pytest.approx([1.0, 1.0])
    assert report.disagreements.empty


def test_extra_code_on_one_answer_is_a_disagreement_counted_per_code():
    report = agreement(MULTI, "A", "B")
    assert report.disagreements.to_dict("records") == [
        {"answer": "q1", "codes_a": "funding; staffing", "codes_b": "funding"}
    ]
    assert per_code_row(report, "funding") == pytest.approx(
        {"kappa": 1.0, "agreement": 1.0, "both": 2, "only_a": 0, "only_b": 0, "neither": 2}
    )
    # "staffing": A on q1, q3; B on q3 -> p_o = 3/4; P(A yes) = 2/4, P(B yes) = 1/4;
    # p_e = 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75 - 0.5) / 0.5 = 0.5.
    assert per_code_row(report, "staffing") == pytest.approx(
        {"kappa": 0.5, "agreement": 0.75, "both": 1, "only_a": 1, "only_b": 0, "neither": 2}
    )


def test_code_sets_are_nominal_categories_for_overall_kappa_and_alpha():
    report = agreement(MULTI, "A", "B")
    # Categories on q1-q4: A = {F,S}, F, S, none; B = F, F, S, none -> p_o = 3/4.
    # p_e = F: 1/4*2/4 + S: 1/4*1/4 + none: 1/4*1/4 + {F,S}: 1/4*0 = 0.25;
    # kappa = (0.75 - 0.25) / 0.75 = 2/3.
    assert report.overall_kappa == pytest.approx(2 / 3)
    # Pooled over funding and staffing (training unused on q1-q4): 8 decisions, 7 alike;
    # A yes 4/8, B yes 3/8 -> p_e = 0.5*0.375 + 0.5*0.625 = 0.5; kappa = (0.875-0.5)/0.5 = 0.75.
    assert report.pooled_kappa == pytest.approx(0.75)
    # Alpha: n = 8; coincidences {F,S}-F 1, F-{F,S} 1, F-F 2, S-S 2, none-none 2;
    # n_{F,S} = 1, n_F = 3, n_S = 2, n_none = 2; sum_{c!=k} n_c n_k = 64 - (1+9+4+4) = 46;
    # alpha = 1 - 7 * 2 / 46 = 32/46.
    assert report.alpha == pytest.approx(32 / 46)


def test_answers_reviewed_by_one_coder_only_are_excluded_and_counted():
    report = agreement(MULTI, "A", "B")
    assert report.answers == 4  # q1-q4
    assert report.excluded == 2  # q5 (A only), q6 (B only, reviewed without a code)
    assert "q5" not in report.disagreements["answer"].tolist()


def test_codes_of_other_coders_stay_out_of_the_comparison():
    third = pd.DataFrame([{"answer": "staff:1", "coder": "C", "code": "premises"}])
    report = agreement(pd.concat([TEN, third], ignore_index=True), "A", "B")
    assert report.per_code["code"].tolist() == ["funding", "staffing"]
    assert report.excluded == 0
    assert report.pooled_kappa == pytest.approx(0.6)


def test_reviewed_without_code_counts_as_the_none_category():
    codings = codings_from({"A": {"x": [], "y": ["funding"]}, "B": {"x": ["funding"], "y": []}})
    report = agreement(codings, "A", "B")
    assert report.disagreements["codes_a"].tolist() == ["(none)", "funding"]
    assert report.disagreements["codes_b"].tolist() == ["funding", "(none)"]


def test_constant_code_gives_nan_kappa_without_a_warning():
    # "general" on every answer by both coders; "training" used by A only on excluded q5.
    general = pd.DataFrame(
        [(answer, coder, "general") for coder in "AB" for answer in ("q1", "q2", "q3", "q4")],
        columns=["answer", "coder", "code"],
    )
    codings = pd.concat([MULTI, general], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = agreement(codings, "A", "B")
    assert caught == []
    assert math.isnan(per_code_row(report, "general")["kappa"])
    assert per_code_row(report, "general")["both"] == 4
    assert math.isnan(per_code_row(report, "training")["kappa"])
    assert per_code_row(report, "training")["neither"] == 4


def test_one_category_throughout_gives_nan_overall_kappa_and_alpha_without_a_warning():
    same = {answer: ["funding"] for answer in ("a", "b", "c")}
    codings = codings_from({"A": same, "B": same})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = agreement(codings, "A", "B")
        multi_alpha = alpha(codings)
    assert caught == []
    assert math.isnan(report.overall_kappa)
    assert math.isnan(report.pooled_kappa)
    assert math.isnan(report.alpha)
    assert math.isnan(multi_alpha)


@pytest.mark.parametrize(
    ("codings", "coder_a", "coder_b", "message"),
    [
        (TEN.drop(columns="code"), "A", "B", "missing: code"),
        (TEN.rename(columns={"coder": "evaluator"}), "A", "B", "missing: coder"),
        (TEN, "A", "C", "coder 'C' has no codings"),
        (TEN, "Z", "B", "coder 'Z' has no codings"),
        (TEN, "A", "A", "only once"),
        (
            codings_from({"A": {"x": ["f"], "y": ["f"]}, "B": {"x": ["f"], "z": ["f"]}}),
            "A",
            "B",
            "share 1 reviewed answer",
        ),
        (TEN.assign(answer=None), "A", "B", "every coding needs an answer"),
    ],
)
def test_agreement_rejects_bad_input_in_plain_words(codings, coder_a, coder_b, message):
    with pytest.raises(ValueError, match=message):
        agreement(codings, coder_a, coder_b)


@pytest.mark.parametrize(
    ("codings", "coders", "message"),
    [
        (TEN.drop(columns="answer"), None, "missing: answer"),
        (TEN[TEN["coder"] == "A"], None, "at least two coders"),
        (TEN, ["A"], "at least two coders"),
        (TEN, ["A", "Q"], "coder 'Q' has no codings"),
        (
            codings_from({"A": {"x": ["f"], "y": ["f"]}, "B": {"x": ["f"], "z": ["f"]}}),
            None,
            "fewer than 2 answers",
        ),
    ],
)
def test_alpha_rejects_bad_input_in_plain_words(codings, coders, message):
    with pytest.raises(ValueError, match=message):
        alpha(codings, coders)


def test_agreement_rejects_codings_that_are_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        agreement([("x", "A", "f")], "A", "B")


def test_percent_agreement_is_the_share_of_answers_with_the_same_code_set():
    assert agreement(TEN, "A", "B").percent_agreement == pytest.approx(0.8)  # 8 of 10
    # q1-q4 shared; only q1 differs ({funding, staffing} against {funding}): 3 of 4
    report = agreement(MULTI, "A", "B")
    assert report.percent_agreement == pytest.approx(0.75)
    assert (report.only_a, report.only_b) == (1, 1)  # q5 by A, q6 by B
    assert report.excluded == report.only_a + report.only_b


def test_kappa_is_scikit_learns_cohen_kappa_to_the_last_digit():
    from sklearn.metrics import cohen_kappa_score

    from coding.agreement import _kappa

    rng = np.random.default_rng(0)
    for size, labels in [(10, 2), (57, 2), (200, 3), (1000, 7), (33, 12)]:
        a = rng.integers(0, labels, size)
        b = np.where(rng.random(size) < 0.7, a, rng.integers(0, labels, size))
        assert _kappa(a, b) == cohen_kappa_score(a, b)
        assert _kappa(a.astype(bool), b.astype(bool)) == cohen_kappa_score(
            a.astype(bool), b.astype(bool)
        )

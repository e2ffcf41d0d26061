"""SPSS .sav files: names, variable labels and value labels, read back with pyreadstat."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from exports.sav import spss_names, write_sav

AGREEMENT = {
    "agree": "Agree",
    "somewhat_agree": "Somewhat agree",
    "somewhat_disagree": "Somewhat disagree",
    "disagree": "Disagree",
    "do_not_know": "Do not know",
}
PRIORITY = {
    "5": "Top priority",
    "4": "High priority",
    "3": "Moderate priority",
    "2": "Low priority",
    "1": "Not a priority",
}
GENDER = "relevance.gender_lnob"
STATEMENT = (
    "The design of the Flagship Programme & Projects takes into account gender, "
    "non-discrimination and inclusion of people with disabilities"
)
RESPONSES = pd.DataFrame(
    {
        "response_id": [1, 2, 3, 4],
        GENDER: ["agree", "somewhat_disagree", None, "do_not_know"],
        "priority_areas.informal_economy": ["5", "1", "3", None],
        "support.media": [1, 0, 0, 1],
        "constraints": ['=HYPERLINK("http://x","y")', "Très bien, 中文", None, ""],
        "2nd choice": [3, 4, 5, 6],
    }
)
VARIABLE_LABELS = {
    GENDER: STATEMENT,
    "priority_areas.informal_economy": "Informal Economy",
    "support.media": "Media",
    "constraints": "Key factors that constrained achieving the results",
    "2nd choice": "Second choice",
}
VALUE_LABELS = {
    GENDER: AGREEMENT,
    "priority_areas.informal_economy": PRIORITY,
    "support.media": {0: "not chosen", 1: "chosen"},
}


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "staff.sav"
    codes = write_sav(path, RESPONSES, VARIABLE_LABELS, VALUE_LABELS)
    data, meta = pyreadstat.read_sav(str(path))
    return codes, data, meta


def values(column: pd.Series) -> list:
    """Return the column's values with missing numbers as None."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in column]


def test_legal_names_are_kept_and_others_renamed(written):
    _codes, _data, meta = written
    assert meta.column_names == [
        "response_id",
        GENDER,
        "priority_areas.informal_economy",
        "support.media",
        "constraints",
        "v2nd_choice",
    ]


def test_variable_labels_name_the_original_column_when_renamed(written):
    _codes, _data, meta = written
    assert meta.column_names_to_labels == {
        "response_id": None,
        GENDER: STATEMENT,
        "priority_areas.informal_economy": "Informal Economy",
        "support.media": "Media",
        "constraints": "Key factors that constrained achieving the results",
        "v2nd_choice": "2nd choice: Second choice",
    }


def test_choice_names_are_coded_in_choice_order(written):
    codes, data, meta = written
    assert meta.variable_value_labels[GENDER] == {
        1.0: "Agree",
        2.0: "Somewhat agree",
        3.0: "Somewhat disagree",
        4.0: "Disagree",
        5.0: "Do not know",
    }
    assert values(data[GENDER]) == [1.0, 3.0, None, 5.0]
    assert codes[GENDER] == {
        1: "agree",
        2: "somewhat_agree",
        3: "somewhat_disagree",
        4: "disagree",
        5: "do_not_know",
    }


def test_numeric_choice_names_are_their_own_codes(written):
    codes, data, meta = written
    column = "priority_areas.informal_economy"
    assert meta.variable_value_labels[column] == {
        5.0: "Top priority",
        4.0: "High priority",
        3.0: "Moderate priority",
        2.0: "Low priority",
        1.0: "Not a priority",
    }
    assert values(data[column]) == [5.0, 1.0, 3.0, None]
    assert codes[column] == {5: "5", 4: "4", 3: "3", 2: "2", 1: "1"}


def test_multiple_choice_columns_keep_zero_and_one(written):
    codes, data, meta = written
    assert meta.variable_value_labels["support.media"] == {0.0: "not chosen", 1.0: "chosen"}
    assert values(data["support.media"]) == [1.0, 0.0, 0.0, 1.0]
    assert codes["support.media"] == {0: "0", 1: "1"}


def test_text_stays_text_as_written_and_numbers_stay_numbers(written):
    _codes, data, meta = written
    assert data["constraints"].tolist() == [
        '=HYPERLINK("http://x","y")',
        "Très bien, 中文",
        "",
        "",
    ]
    assert meta.readstat_variable_types["constraints"] == "string"
    assert data["response_id"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert data["v2nd_choice"].tolist() == [3.0, 4.0, 5.0, 6.0]
    assert meta.readstat_variable_types["response_id"] == "double"


def test_only_the_coded_columns_are_returned(written):
    codes, _data, _meta = written
    assert set(codes) == set(VALUE_LABELS)


def test_numbers_read_from_a_csv_match_their_choice_names(tmp_path):
    frame = pd.DataFrame({"rating": [5.0, np.nan, 2.0], "opinion": ["agree", "", "disagree"]})
    codes = write_sav(tmp_path / "x.sav", frame, {}, {"rating": PRIORITY, "opinion": AGREEMENT})
    data, _meta = pyreadstat.read_sav(str(tmp_path / "x.sav"))
    assert values(data["rating"]) == [5.0, None, 2.0]
    assert values(data["opinion"]) == [1.0, None, 4.0]
    assert codes["opinion"][4] == "disagree"


def test_a_value_without_a_label_is_refused(tmp_path):
    frame = pd.DataFrame({GENDER: ["agree", "strongly_agree"]})
    with pytest.raises(ValueError, match=r"relevance.gender_lnob.*'strongly_agree'"):
        write_sav(tmp_path / "x.sav", frame, {}, {GENDER: AGREEMENT})
    assert list(tmp_path.iterdir()) == []


def test_long_labels_are_cut_without_breaking_a_character(tmp_path):
    frame = pd.DataFrame({"q": [1]})
    write_sav(tmp_path / "x.sav", frame, {"q": "中" * 200}, {"q": {1: "é" * 100}})
    _data, meta = pyreadstat.read_sav(str(tmp_path / "x.sav"))
    assert meta.column_names_to_labels["q"] == "中" * 85  # 255 of 256 bytes
    assert meta.variable_value_labels["q"] == {1.0: "é" * 60}  # 120 bytes


def test_the_file_is_replaced_whole_and_nothing_is_left_behind(tmp_path):
    path = tmp_path / "staff.sav"
    path.write_bytes(b"old")
    write_sav(path, RESPONSES, VARIABLE_LABELS, VALUE_LABELS)
    assert pyreadstat.read_sav(str(path))[0].shape == (4, 6)
    assert [p.name for p in tmp_path.iterdir()] == ["staff.sav"]


@pytest.mark.parametrize(
    "column, name",
    [
        ("relevance.gender_lnob", "relevance.gender_lnob"),
        ("region", "region"),
        ("a b-c", "a_b_c"),
        ("café", "caf_"),
        ("2nd", "v2nd"),
        ("_private", "v_private"),
        (".hidden", "v.hidden"),
        ("ends.", "ends_"),
        ("ALL", "ALL_"),
        ("with", "with_"),
        ("x" * 70, "x" * 64),
        (7, "v7"),
    ],
)
def test_spss_names_are_legal(column, name):
    assert spss_names([column]) == {column: name}


@pytest.mark.parametrize(
    "columns, names",
    [
        (["a b", "a_b", "A_B"], ["a_b", "a_b_2", "A_B_3"]),
        (["x" * 70, "x" * 65], ["x" * 64, "x" * 62 + "_2"]),
        (["q.", "q_"], ["q_", "q__2"]),
    ],
)
def test_spss_names_are_unique_whatever_the_case(columns, names):
    assert list(spss_names(columns).values()) == names


# Codes given by the caller: the analysis values (Agree = 4), "Do not know" declared missing.
AGREEMENT_CODES = {"agree": 4, "somewhat_agree": 3, "somewhat_disagree": 2, "disagree": 1}
AGREEMENT_CODES["do_not_know"] = 5


@pytest.fixture
def coded(tmp_path):
    frame = pd.DataFrame(
        {
            "response_id": [1, 2, 3, 4],
            GENDER: ["agree", "disagree", None, "do_not_know"],
            "region": ["africa", "global", "africa", None],
            "years": pd.array([3, 12, None, 40], dtype="Int64"),
            "share": [12.5, 100.0, None, 0.25],
            "started": [dt.date(2026, 11, 2), None, dt.date(2020, 1, 31), None],
            "constraints": ["Funds", None, "Très bien", ""],
        }
    )
    path = tmp_path / "coded.sav"
    used = write_sav(
        path,
        frame,
        {},
        {GENDER: AGREEMENT, "region": {"africa": "Africa", "global": "Global"}},
        codes={GENDER: AGREEMENT_CODES},
        missing={GENDER: ["do_not_know"]},
        measures={GENDER: "ordinal", "response_id": "nominal"},
    )
    data, meta = pyreadstat.read_sav(str(path), user_missing=True)
    return used, data, meta, path


def test_given_codes_are_written_and_labelled(coded):
    used, data, meta, _path = coded
    assert values(data[GENDER]) == [4.0, 1.0, None, 5.0]
    assert meta.variable_value_labels[GENDER] == {
        4.0: "Agree",
        3.0: "Somewhat agree",
        2.0: "Somewhat disagree",
        1.0: "Disagree",
        5.0: "Do not know",
    }
    assert used[GENDER] == {4: "agree", 3: "somewhat_agree", 2: "somewhat_disagree",
                            1: "disagree", 5: "do_not_know"}  # fmt: skip


def test_missing_choices_are_declared_user_missing(coded):
    _used, _data, meta, path = coded
    assert meta.missing_ranges == {GENDER: [{"lo": 5.0, "hi": 5.0}]}
    data, _meta = pyreadstat.read_sav(str(path))  # as SPSS counts: missing is missing
    assert values(data[GENDER]) == [4.0, 1.0, None, None]
    assert data[GENDER].mean() == 2.5


def test_measure_levels_given_or_by_kind_of_column(coded):
    _used, _data, meta, _path = coded
    assert meta.variable_measure == {
        "response_id": "nominal",
        GENDER: "ordinal",
        "region": "nominal",
        "years": "scale",
        "share": "scale",
        "started": "scale",
        "constraints": "nominal",
    }


def test_formats_fit_codes_numbers_dates_and_text(coded):
    _used, data, meta, _path = coded
    assert meta.original_variable_types == {
        "response_id": "F1.0",
        GENDER: "F1.0",
        "region": "F1.0",
        "years": "F2.0",
        "share": "F8.2",
        "started": "DATE11",
        "constraints": "A10",  # "Très bien" is 10 bytes in UTF-8
    }
    assert data["started"].tolist()[0] == dt.date(2026, 11, 2)


def test_more_than_three_missing_codes_are_declared_as_a_range(tmp_path):
    labels = {"yes": "Yes", "no": "No", "dk": "Do not know", "na": "Not applicable",
              "refused": "Refused", "skipped": "Skipped"}  # fmt: skip
    codes = {"yes": 1, "no": 2, "dk": 7, "na": 8, "refused": 9, "skipped": 10}
    frame = pd.DataFrame({"q": ["yes", "dk", "skipped"]})
    write_sav(tmp_path / "x.sav", frame, {}, {"q": labels}, {"q": codes},
              {"q": ["dk", "na", "refused", "skipped"]})  # fmt: skip
    _data, meta = pyreadstat.read_sav(str(tmp_path / "x.sav"), user_missing=True)
    assert meta.missing_ranges == {"q": [{"lo": 7.0, "hi": 10.0}]}


def test_choices_sharing_a_code_are_refused(tmp_path):
    frame = pd.DataFrame({"q": ["agree"]})
    codes = dict(AGREEMENT_CODES, somewhat_agree=4)
    with pytest.raises(ValueError, match=r"agree, somewhat_agree \(code 4\)"):
        write_sav(tmp_path / "x.sav", frame, {}, {"q": AGREEMENT}, {"q": codes})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("pspp") is None, reason="PSPP absent (apt-get install pspp)")
def test_pspp_leaves_the_declared_missing_out_of_the_mean(coded, tmp_path):
    _used, _data, _meta, path = coded
    syntax = tmp_path / "mean.sps"
    syntax.write_text(
        f"GET FILE='{path}'.\n"
        "DISPLAY DICTIONARY.\n"
        f"DESCRIPTIVES VARIABLES={GENDER} /STATISTICS=MEAN.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    subprocess.run(["pspp", "-O", "format=csv", "-o", str(out), str(syntax)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert f"{GENDER},2,2.50" in text  # n = 2, Do not know left out
    assert "5[a],Do not know" in text and "User-missing value" in text

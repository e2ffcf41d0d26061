"""Agreement charts and heat tables written as PNG and SVG, the SVG text read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib
import pandas as pd
import pytest

from coding.crosstab import Block, ScalePoint, distribution, means
from coding.tidy import AGREE_VALUE, BASE_VALUE, SUMMARY_VALUES
from exports.charts import agreement_chart, heat_table

AGREEMENT = (
    ScalePoint("agree", "Agree", 4),
    ScalePoint("somewhat_agree", "Somewhat agree", 3),
    ScalePoint("somewhat_disagree", "Somewhat disagree", 2),
    ScalePoint("disagree", "Disagree", 1),
    ScalePoint("do_not_know", "Do not know", None, True),
)
SUBSTANTIVE = ["Agree", "Somewhat agree", "Somewhat disagree", "Disagree"]
IMPACT = "The Flagship Programme & Projects have increased national support"
SUSTAINABILITY = (
    "The Flagship Programme has facilitated or strengthened the sustainability of "
    "individual projects."
)
STATEMENTS = Block(
    "flagship",
    "The Flagship Programme",
    (
        ("flagship.impact", "impact", IMPACT),
        ("flagship.sustainability", "sustainability", SUSTAINABILITY),
    ),
    AGREEMENT,
)
STAFF, CONSTITUENTS = "ILO staff", "Constituents and partners"
# Answers per scale point (Agree ... Do not know) of 64 staff and 9 constituents; the
# rest left the statement unanswered. Constituents answered sustainability 3 times:
# suppressed. All: impact 32, 22, 4, 5 of 63; sustainability 11, 23, 13, 6 of 53.
COUNTS = {
    "flagship.impact": {STAFF: [27, 20, 4, 5, 8], CONSTITUENTS: [5, 2, 0, 0, 2]},
    "flagship.sustainability": {STAFF: [10, 22, 12, 6, 14], CONSTITUENTS: [1, 1, 1, 0, 0]},
}
SIZES = {STAFF: 64, CONSTITUENTS: 9}


def agreement_answers() -> tuple[pd.DataFrame, pd.Series]:
    """Return the responses counted in COUNTS, one row each, and each one's group."""
    columns = {}
    for column, groups in COUNTS.items():
        answers = []
        for group, counts in groups.items():
            given = [
                p.name for p, count in zip(AGREEMENT, counts, strict=True) for _ in range(count)
            ]
            answers += given + [None] * (SIZES[group] - len(given))
        columns[column] = answers
    groups = pd.Series([group for group, size in SIZES.items() for _ in range(size)])
    return pd.DataFrame(columns), groups


def agreement() -> pd.DataFrame:
    """Return the statements' distribution as coding.crosstab.distribution gives it."""
    frame, groups = agreement_answers()
    return distribution(frame, STATEMENTS, groups, "staff,constituents", group_order=list(SIZES))


PRIORITY = tuple(
    ScalePoint(str(v), label, v)
    for v, label in zip(
        range(5, 0, -1),
        ["Top priority", "High priority", "Moderate priority", "Low priority", "Not a priority"],
        strict=True,
    )
)
AREAS = ["Informal Economy", "Financing of social protection", "Climate Change"]
PRIORITY_AREAS = Block(
    "priority",
    "Priority areas",
    tuple((f"priority.{i}", f"area{i}", a) for i, a in enumerate(AREAS)),
    PRIORITY,
)
# Ratings per area and region; Arab States rated 3 times: suppressed.
#   Informal Economy:  Africa 29/6 = 4.83, Europe 23/5 = 4.60, All 66/14 = 4.71
#   Financing:         Africa 28/6 = 4.67, Europe 25/5 = 5.00, All 66/14 = 4.71
#   Climate Change:    Africa 20/6 = 3.33, Europe 14/5 = 2.80, All 45/14 = 3.21
RATINGS = {
    "Africa": [[5, 5, 5, 5, 5, 4], [5, 5, 5, 4, 5, 4], [3, 3, 4, 3, 3, 4]],
    "Arab States": [[5, 5, 5], [4, 5, 4], [4, 3, 4]],
    "Europe and Central Asia": [[5, 5, 4, 4, 5], [5, 5, 5, 5, 5], [2, 3, 3, 3, 3]],
}


def priorities() -> pd.DataFrame:
    """Return the areas' mean ratings by region as coding.crosstab.means gives them."""
    frame = pd.DataFrame(
        {
            column: [str(r) for ratings in RATINGS.values() for r in ratings[i]]
            for i, (column, _item, _label) in enumerate(PRIORITY_AREAS.items)
        }
    )
    groups = pd.Series([region for region, ratings in RATINGS.items() for _ in ratings[0]])
    return means(frame, PRIORITY_AREAS, groups, "staff", group_order=list(RATINGS))


def svg_texts(path) -> list[str]:
    """Return the text of every <text> element of an SVG file, in document order."""
    root = ET.parse(path).getroot()
    return ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".PNG"])
@pytest.mark.parametrize("draw, data", [(agreement_chart, agreement), (heat_table, priorities)])
def test_charts_are_written_as_png_or_svg(tmp_path, draw, data, suffix):
    path = tmp_path / f"chart{suffix}"
    assert draw(data(), path, title="Survey results") == path
    content = path.read_bytes()
    if suffix.lower() == ".png":
        assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 10_000
    else:
        assert content.startswith(b"<?xml") and ET.fromstring(content).tag.endswith("svg")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("name", ["chart.pdf", "chart.jpg", "chart", "chart.svg.txt"])
@pytest.mark.parametrize("draw, data", [(agreement_chart, agreement), (heat_table, priorities)])
def test_other_suffixes_are_refused(tmp_path, draw, data, name):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        draw(data(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_agreement_svg_names_statements_bases_and_suppressed_groups(tmp_path):
    texts = svg_texts(agreement_chart(agreement(), tmp_path / "a.svg", title="Figure 14"))
    assert "Figure 14" in texts
    assert IMPACT.replace(" national", "\nnational").split("\n")[0] in texts  # wrapped at 50
    assert "individual projects." in " ".join(texts)
    assert {"All", STAFF, CONSTITUENTS} <= set(texts)
    assert texts.count("suppressed (n<5)") == 1
    assert {"n=56", "n=7", "n=50", "n=63", "n=53"} <= set(texts)
    assert "Percent of substantive answers (Do not know excluded)." in texts


def test_a_raw_distribution_is_charted_without_its_summary_rows(tmp_path):
    # The agree share and the base are rows of the distribution, not points of the scale:
    # charted as segments they would add "Agree + Somewhat agree" and "Base: ..." to the
    # legend and shrink every segment.
    tidy = agreement()
    assert {AGREE_VALUE, BASE_VALUE} <= set(tidy["value"])
    texts = svg_texts(agreement_chart(tidy, tmp_path / "a.svg"))
    assert [t for t in texts if t.startswith(("Base", "Agree +"))] == []
    assert [t for t in texts if t in SUBSTANTIVE + ["Do not know"]] == SUBSTANTIVE  # legend
    assert {"48%", "36%", "9%"} <= set(texts)  # ILO staff on impact: shares of 56


@pytest.mark.parametrize("percent_scale", [100.0, 1.0])
@pytest.mark.parametrize("summary_rows", [True, False])
def test_segments_show_shares_of_substantive_answers(tmp_path, percent_scale, summary_rows):
    tidy = agreement()
    tidy = tidy.assign(percent=tidy["percent"] * percent_scale / 100)
    if not summary_rows:
        tidy = tidy[~tidy["value"].isin(SUMMARY_VALUES)]
    texts = svg_texts(agreement_chart(tidy, tmp_path / "a.svg"))
    # ILO staff on impact: 27, 20, 4, 5 of 56 -> 48%, 36%, 7% (too narrow to label), 9%.
    # All on impact: 32, 22, 4, 5 of 63 -> 51%, 35%, 6%, 8% (7.9: too narrow).
    assert {"48%", "36%", "9%", "51%", "35%"} <= set(texts)
    assert not {"7%", "6%", "8%"} & set(texts)


def test_missing_columns_are_named(tmp_path):
    with pytest.raises(ValueError, match="base, suppressed"):
        agreement_chart(agreement().drop(columns=["base", "suppressed"]), tmp_path / "a.png")


def test_heat_table_shows_means_to_two_decimals_and_ns(tmp_path):
    texts = svg_texts(heat_table(priorities(), tmp_path / "t.svg", title="Table 6"))
    assert {"4.83", "4.60", "4.71", "4.67", "5.00", "3.33", "2.80", "3.21"} <= set(texts)
    assert set(AREAS) <= set(texts)
    assert {"All", "Africa", "n=14", "n=6", "n=5"} <= set(texts)  # one text per header line
    assert "n=–" in texts  # Arab States: every cell suppressed
    assert texts.count("–") == len(AREAS)
    assert any("suppressed (fewer than 5 ratings)" in t for t in texts)


def test_heat_table_keeps_the_order_given(tmp_path):
    order = ["Climate Change", "Informal Economy", "Financing of social protection"]
    tidy = priorities().set_index("item_label").loc[order].reset_index()
    texts = svg_texts(heat_table(tidy, tmp_path / "t.svg"))
    positions = [texts.index(item) for item in order]
    assert positions == sorted(positions)


def test_drawing_leaves_matplotlib_settings_alone(tmp_path):
    before = dict(matplotlib.rcParams)
    agreement_chart(agreement(), tmp_path / "a.svg")
    heat_table(priorities(), tmp_path / "t.png")
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("draw, data", [(agreement_chart, agreement), (heat_table, priorities)])
def test_an_empty_table_is_refused(tmp_path, draw, data):
    with pytest.raises(ValueError, match="no rows"):
        draw(data().iloc[0:0], tmp_path / "empty.png")
    assert list(tmp_path.iterdir()) == []

"""Agreement charts and heat tables written as PNG and SVG, the SVG text read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pandas as pd
import pytest

from exports.charts import agreement_chart, heat_table

SCALE = [
    ("agree", "Agree", False),
    ("somewhat_agree", "Somewhat agree", False),
    ("somewhat_disagree", "Somewhat disagree", False),
    ("disagree", "Disagree", False),
    ("do_not_know", "Do not know", True),
]
IMPACT = "The Flagship Programme & Projects have increased national support"
SUSTAINABILITY = (
    "The Flagship Programme has facilitated or strengthened the sustainability of "
    "individual projects."
)
# Counts per scale point (Agree ... Do not know); constituents answered 3: suppressed.
COUNTS = {
    IMPACT: {"ILO staff": [27, 20, 4, 5, 8], "Constituents and partners": [5, 2, 0, 0, 2]},
    SUSTAINABILITY: {
        "ILO staff": [10, 22, 12, 6, 14],
        "Constituents and partners": [1, 1, 1, 0, 0],
    },
}


def distribution(percent_scale: float = 100.0, summary_rows: bool = True) -> pd.DataFrame:
    """Return tidy rows as coding.crosstab.distribution gives them, summary rows included."""
    rows = []
    for item, groups in COUNTS.items():
        for group, counts in groups.items():
            base, suppressed = sum(counts[:4]), sum(counts) < 5
            common = {"item_label": item, "group": group, "base": base, "suppressed": suppressed}
            for order, ((value, label, missing), count) in enumerate(
                zip(SCALE, counts, strict=True)
            ):
                share = np.nan if suppressed or missing else percent_scale * count / base
                rows.append(
                    {
                        **common,
                        "value": value,
                        "value_label": label,
                        "order": order,
                        "count": np.nan if suppressed else count,
                        "percent": share,
                        "missing": missing,
                    }
                )
            if summary_rows:
                agree = counts[0] + counts[1]
                rows.append(
                    {
                        **common,
                        "value": "agree",
                        "value_label": "Agree + Somewhat agree",
                        "order": 5,
                        "count": agree,
                        "percent": 100 * agree / base,
                        "missing": False,
                    }
                )
                rows.append(
                    {
                        **common,
                        "value": "n",
                        "value_label": "Base: substantive answers",
                        "order": 6,
                        "count": base,
                        "percent": np.nan,
                        "missing": False,
                    }
                )
    return pd.DataFrame(rows)


GROUPS = ["ILO staff", "Africa", "Arab States", "Asia and the Pacific",
          "Europe and Central Asia", "Latin America and the Caribbean",
          "Constituents and partners"]  # fmt: skip
N = [64, 12, 3, 17, 11, 5, 7]
TABLE_6 = {
    "Informal Economy": [4.71, 4.83, 5.00, 4.59, 4.64, 5.00, 4.43],
    "Financing of social protection": [4.59, 4.75, 4.33, 4.41, 4.73, 4.60, 5.00],
    "Climate Change": [3.31, 3.30, 3.67, 3.38, 2.80, 4.00, 3.57],
}


def means() -> pd.DataFrame:
    """Return Table 6 rows as coding.crosstab.means gives them; Arab States is suppressed."""
    rows = [
        {"item_label": item, "group": group, "n": n, "mean": mean, "suppressed": n < 5}
        for item, values in TABLE_6.items()
        for group, n, mean in zip(GROUPS, N, values, strict=True)
    ]
    frame = pd.DataFrame(rows)
    frame.loc[frame["suppressed"], ["n", "mean"]] = np.nan
    return frame


def svg_texts(path) -> list[str]:
    """Return the text of every <text> element of an SVG file, in document order."""
    root = ET.parse(path).getroot()
    return ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".PNG"])
@pytest.mark.parametrize("draw, data", [(agreement_chart, distribution), (heat_table, means)])
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
@pytest.mark.parametrize("draw, data", [(agreement_chart, distribution), (heat_table, means)])
def test_other_suffixes_are_refused(tmp_path, draw, data, name):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        draw(data(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_agreement_svg_names_statements_bases_and_suppressed_groups(tmp_path):
    texts = svg_texts(agreement_chart(distribution(), tmp_path / "a.svg", title="Figure 14"))
    assert "Figure 14" in texts
    assert IMPACT.replace(" national", "\nnational").split("\n")[0] in texts  # wrapped at 50
    assert "individual projects." in " ".join(texts)
    assert {"ILO staff", "Constituents and partners"} <= set(texts)
    assert texts.count("suppressed (n<5)") == 1
    assert {"n=56", "n=7", "n=50"} <= set(texts)  # staff impact, constituents, staff sust.
    assert "Percent of substantive answers (Do not know excluded)." in texts


def test_legend_lists_the_substantive_scale_in_order_without_summaries(tmp_path):
    texts = svg_texts(agreement_chart(distribution(), tmp_path / "a.svg"))
    legend = [t for t in texts if t in {label for _value, label, _missing in SCALE}]
    assert legend == ["Agree", "Somewhat agree", "Somewhat disagree", "Disagree"]
    assert not {"Agree + Somewhat agree", "Base: substantive answers"} & set(texts)


@pytest.mark.parametrize("percent_scale", [100.0, 1.0])
@pytest.mark.parametrize("summary_rows", [True, False])
def test_segments_show_shares_of_substantive_answers(tmp_path, percent_scale, summary_rows):
    tidy = distribution(percent_scale, summary_rows)
    texts = svg_texts(agreement_chart(tidy, tmp_path / "a.svg"))
    # ILO staff on impact: 27, 20, 4, 5 of 56 -> 48%, 36%, 7% (too narrow to label), 9%.
    assert {"48%", "36%", "9%"} <= set(texts)
    assert "7%" not in texts


def test_missing_columns_are_named(tmp_path):
    with pytest.raises(ValueError, match="base, suppressed"):
        agreement_chart(distribution().drop(columns=["base", "suppressed"]), tmp_path / "a.png")


def test_heat_table_shows_means_to_two_decimals_and_ns(tmp_path):
    texts = svg_texts(heat_table(means(), tmp_path / "t.svg", title="Table 6"))
    assert {"4.71", "4.83", "5.00", "2.80", "3.57"} <= set(texts)
    assert "Informal Economy" in texts and "Climate Change" in texts
    assert {"ILO staff", "n=64", "n=5"} <= set(texts)  # one text per header line
    assert "n=–" in texts  # Arab States: every cell suppressed
    assert texts.count("–") == len(TABLE_6)
    assert any("suppressed (fewer than 5 ratings)" in t for t in texts)


def test_heat_table_keeps_the_order_given(tmp_path):
    order = ["Climate Change", "Informal Economy", "Financing of social protection"]
    tidy = means().set_index("item_label").loc[order].reset_index()
    texts = svg_texts(heat_table(tidy, tmp_path / "t.svg"))
    positions = [texts.index(item) for item in order]
    assert positions == sorted(positions)


def test_drawing_leaves_matplotlib_settings_alone(tmp_path):
    before = dict(matplotlib.rcParams)
    agreement_chart(distribution(), tmp_path / "a.svg")
    heat_table(means(), tmp_path / "t.png")
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("draw, data", [(agreement_chart, distribution), (heat_table, means)])
def test_an_empty_table_is_refused(tmp_path, draw, data):
    with pytest.raises(ValueError, match="no rows"):
        draw(data().iloc[0:0], tmp_path / "empty.png")
    assert list(tmp_path.iterdir()) == []

"""Charts of survey results: diverging agreement bars and a heat table of mean ratings.

Figures are drawn on ``matplotlib.figure.Figure`` with the Agg canvas, never through
pyplot, and every setting is local (``matplotlib.rc_context``): the caller's matplotlib
state is left alone. SVG text stays text, so the statements can be searched and edited.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

from coding.tidy import BLOCK, DISTRIBUTION_EXTRA_COLUMNS, SUMMARY_VALUES
from exports._files import replaced

FORMATS = {".png": "png", ".svg": "svg"}
DPI = 150
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "surveyapp",
    "font.size": 9,
    "hatch.linewidth": 0.8,
}
# Dark to light: the strongest answer darkest on each side; disagreement also hatched.
AGREE_SHADES = ["#08306b", "#2171b5", "#6baed6", "#c6dbef"]
DISAGREE_SHADES = ["#7f2704", "#d94801", "#fd8d3c", "#fdd0a2"]
NEUTRAL_SHADE = "#d9d9d9"
DISAGREE_HATCH = "///"
HEADING_LINE = 0.155  # inches per line of a statement (9 pt, line spacing 1.25)
PITCH, BAR, GAP = 0.3, 0.22, 0.16  # inches: between bars, a bar's height, before a statement
CHART_WIDTH, CELL_WIDTH = 8.5, 0.95  # inches: agreement chart, heat table cell
# The columns of a distribution (coding.tidy) that an agreement chart reads.
TIDY_COLUMNS = [
    "item_label", "group", "value", "value_label", "percent", "count",
    *DISTRIBUTION_EXTRA_COLUMNS,
]  # fmt: skip
# The words a chart writes besides its labels; a caller passes them in another language.
CHART_WORDS = {
    "suppressed": "suppressed (n<{min_cell})",
    "percent": "Percent of substantive answers.",
    "percent_excluding": "Percent of substantive answers ({excluded} excluded).",
    "mean_darker": "Mean rating ({low} to {high}); darker is higher.",
    "mean_lighter": "Mean rating ({low} to {high}); lighter is higher.",
    "mean_suppressed": " – suppressed (fewer than {min_cell} ratings).",
}


def _format_of(path: str | Path) -> str:
    """Return "png" or "svg" from the path's suffix; anything else raises ValueError."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"a chart is written as .png or .svg; '{Path(path).name}' ends in "
            f"'{suffix or '(no suffix)'}'"
        )
    return FORMATS[suffix]


def _save(figure: Figure, path: str | Path, fmt: str) -> Path:
    """Save the figure through ``exports._files.replaced`` and return its path."""
    path = Path(path)
    FigureCanvasAgg(figure)
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with replaced(path, binary=fmt == "png") as partial:
        figure.savefig(
            partial, format=fmt, dpi=DPI, bbox_inches="tight", pad_inches=0.15, metadata=metadata
        )
    return path


def _shades(palette: list[str], n: int) -> list[str]:
    """Return n colours spread over the palette, darkest first."""
    if n <= 1:
        return palette[1:2] if n else []
    positions = np.linspace(0, len(palette) - 1, n).round().astype(int)
    return [palette[p] for p in positions]


def _luminance(colour) -> float:
    """Return the colour's relative lightness, 0 (black) to 1 (white)."""
    red, green, blue = to_rgb(colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _hatch_colour(colour) -> str:
    """Return the hatching's colour: light on dark shades, dark on light ones."""
    return "#f2f2f2" if _luminance(colour) < 0.5 else "#3a3a3a"


def _text_colour(colour) -> str:
    """Return white on dark colours and near-black on light ones."""
    return "white" if _luminance(colour) < 0.5 else "#1a1a1a"


def _unique(values) -> list:
    """Return the values in order of first appearance."""
    return list(dict.fromkeys(values))


def _columns(tidy: pd.DataFrame) -> list[tuple]:
    """Return the (block, group) pairs in order of appearance; the block is "" without one.

    A banner's tidy table (``coding.tidy.BLOCK``) puts groups in blocks of columns.
    """
    blocks = tidy[BLOCK].astype(str) if BLOCK in tidy.columns else [""] * len(tidy)
    return _unique(zip(blocks, tidy["group"], strict=True))


def _within(group, block: str) -> bool:
    """Whether a group's label already says its block's (a survey as a whole)."""
    return str(group).startswith(block)


def _block_runs(columns: list[tuple]) -> list[tuple[str, int, bool]]:
    """Return each block's label, its number of columns, and whether it is headed.

    A block is headed unless it is no block ("") or a single group whose label starts with
    the block's (a survey as a whole, labelled with its title).
    """
    runs: list[list] = []
    for block, group in columns:
        if runs and runs[-1][0] == block:
            runs[-1][1].append(group)
        else:
            runs.append([block, [group]])
    return [
        (block, len(groups), bool(block) and not (len(groups) == 1 and _within(groups[0], block)))
        for block, groups in runs
    ]


def _scale_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of scale points, leaving out a distribution's summary rows.

    ``coding.crosstab.distribution`` ends each item and group with the rows valued
    ``coding.tidy.SUMMARY_VALUES`` (the agree share and the base), which are no segments.
    """
    absent = [column for column in TIDY_COLUMNS if column not in tidy.columns]
    if absent:
        raise ValueError(f"the distribution lacks the columns {', '.join(absent)}")
    return tidy[~tidy["value"].astype(str).isin(SUMMARY_VALUES)]


def _scale(rows: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """Return the scale as (value, label, missing) in scale order."""
    points = rows.sort_values("order", kind="stable").drop_duplicates("order")
    return [
        (str(p.value), str(p.value_label), bool(p.missing)) for p in points.itertuples(index=False)
    ]


def _segments(substantive: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """Return (value, label, colour, hatch) per substantive point, in scale order.

    The first half of the scale (most positive first) goes right of zero, the second half
    left; a middle point of an odd scale is centred on zero.
    """
    n, half = len(substantive), len(substantive) // 2
    agree, disagree = _shades(AGREE_SHADES, half), _shades(DISAGREE_SHADES, half)[::-1]
    result = []
    for position, (value, label) in enumerate(substantive):
        if position < half:
            result.append((value, label, agree[position], ""))
        elif position >= n - half:
            result.append((value, label, disagree[position - (n - half)], DISAGREE_HATCH))
        else:
            result.append((value, label, NEUTRAL_SHADE, ""))
    return result


def _shares(cell: pd.DataFrame, values: list[str]) -> np.ndarray:
    """Return each substantive point's share of the bar in percent (summing to 100)."""
    by_value = cell.assign(value=cell["value"].astype(str)).set_index("value")
    for measure in ("percent", "count"):
        raw = pd.to_numeric(by_value[measure], errors="coerce").groupby(level=0).first()
        shares = raw.reindex(values).fillna(0).to_numpy(dtype=float)
        if shares.sum() > 0:
            return 100 * shares / shares.sum()
    return np.zeros(len(values))


def _bar(ax, y: float, shares: np.ndarray, segments, height: float) -> float:
    """Draw one diverging bar at y and return where its right end lies."""
    n, half = len(segments), len(segments) // 2
    neutral = shares[half] if n % 2 else 0.0
    starts = np.zeros(n)
    right = neutral / 2
    for position in range(half - 1, -1, -1):  # from zero outwards: Somewhat agree, Agree
        starts[position], right = right, right + shares[position]
    left = -neutral / 2
    for position in range(n - half, n):  # from zero outwards: Somewhat disagree, Disagree
        left -= shares[position]
        starts[position] = left
    if n % 2:
        starts[half] = -neutral / 2
    for position, (_value, _label, colour, hatch) in enumerate(segments):
        width = shares[position]
        if width <= 0:
            continue
        ax.barh(
            y,
            width,
            left=starts[position],
            height=height,
            color=colour,
            hatch=hatch,
            edgecolor=_hatch_colour(colour),
            linewidth=0,
        )
        if width >= 8:
            ax.text(
                starts[position] + width / 2,
                y,
                f"{width:.0f}%",
                ha="center",
                va="center",
                fontsize=7,
                color=_text_colour(colour),
                bbox={"boxstyle": "round,pad=0.1", "fc": colour, "lw": 0} if hatch else None,
            )
    return right


def _title_chars(width: float) -> int:
    """Return how many characters of an 11 pt bold title fit on a line of a figure."""
    return max(30, int((width - 0.3) / 0.105))


def _layout(figure: Figure, width: float, top: float, body: float, bottom: float, left, right):
    """Set the figure's size in inches and return an axes whose y unit is one inch."""
    height = top + body + bottom
    figure.set_size_inches(width, height)
    ax = figure.add_axes(
        (left / width, bottom / height, (width - left - right) / width, body / height)
    )
    ax.set_ylim(body, 0)
    return ax


def _caption(figure: Figure, title_lines: list[str], note: str, title_inset, note_inset):
    """Write a chart's title at the top and its note at the bottom (insets in inches)."""
    height = figure.get_figheight()
    figure.text(0.02, note_inset / height, note, fontsize=7.5, color="#333333")
    if title_lines:
        figure.text(
            0.02,
            1 - title_inset / height,
            "\n".join(title_lines),
            va="top",
            fontsize=11,
            fontweight="bold",
        )


def _item_height(heading_lines: int, groups: int) -> float:
    """Return the height in inches of one statement: gap, heading and one bar per group."""
    return GAP + heading_lines * HEADING_LINE + 0.05 + groups * PITCH


def _group_bar(ax, centre: float, cell: pd.DataFrame, values, segments, suppressed: str):
    """Draw one group's bar with its n, or an empty bar marked with the `suppressed` text."""
    if cell["suppressed"].fillna(False).astype(bool).any():
        box = Rectangle(
            (-50, centre - BAR / 2),
            100,
            BAR,
            fill=False,
            edgecolor="#9e9e9e",
            linestyle="--",
            linewidth=0.8,
        )
        ax.add_patch(box)
        ax.text(
            0,
            centre,
            suppressed,
            ha="center",
            va="center",
            fontsize=8,
            style="italic",
            color="#4d4d4d",
        )
        return
    end = _bar(ax, centre, _shares(cell, values), segments, BAR)
    base = pd.to_numeric(cell["base"], errors="coerce").dropna()
    if len(base):
        ax.text(
            end + 1.5, centre, f"n={int(base.iloc[0])}", va="center", fontsize=8, color="#333333"
        )


def agreement_chart(
    tidy: pd.DataFrame,
    path: str | Path,
    title: str = "",
    min_cell: int = 5,
    words: dict[str, str] | None = None,
) -> Path:
    """Draw agreement as diverging stacked bars, one per item and group; return the path.

    ``tidy`` has a row per item, group and scale point with the columns ``item_label,
    group, value, value_label, percent, count, base, suppressed, missing, order``
    (``coding.crosstab.distribution`` gives them; its summary rows, valued
    ``coding.tidy.SUMMARY_VALUES``, are left out). Agree goes right of zero, disagree
    left; non-substantive points (``missing``) are left out and named in a note. Items
    and groups keep their order of appearance. A banner's table (a column
    ``coding.tidy.BLOCK``) has each item's bars grouped under their blocks' labels.
    ``words`` gives the chart's own words (``CHART_WORDS``' keys) in another language.
    """
    words = {**CHART_WORDS, **(words or {})}
    fmt = _format_of(path)
    rows = _scale_rows(tidy)
    if rows.empty:
        raise ValueError("the distribution has no rows to draw")
    scale = _scale(rows)
    substantive = [(value, label) for value, label, missing in scale if not missing]
    segments = _segments(substantive)
    values = [value for value, _label, _colour, _hatch in segments]
    items, columns = _unique(rows["item_label"]), _columns(rows)
    runs = _block_runs(columns)
    headed = sum(1 for _block, _n, shown in runs if shown)
    label_width = max([len(str(g)) for _b, g in columns] + [6]) * 0.075 + 0.3
    headings = {item: textwrap.wrap(str(item), 50) or [""] for item in items}
    body = sum(_item_height(len(headings[i]), len(columns)) for i in items) - GAP
    body += len(items) * headed * HEADING_LINE
    blocks = rows[BLOCK].astype(str) if BLOCK in rows.columns else ""
    title_lines = textwrap.wrap(title, _title_chars(CHART_WIDTH))
    with matplotlib.rc_context(RC):
        figure = Figure()
        ax = _layout(
            figure, CHART_WIDTH, 0.3 + 0.22 * len(title_lines), body, 1.0, label_width + 0.2, 0.8
        )
        heading = blended_transform_factory(figure.transFigure, ax.transData)
        y, ticks, tick_labels = -GAP, [], []
        for item in items:
            y += GAP
            ax.text(
                0.02,
                y,
                "\n".join(headings[item]),
                transform=heading,
                va="top",
                fontweight="bold",
                linespacing=1.25,
            )
            y += len(headings[item]) * HEADING_LINE + 0.05
            starts = {sum(n for _b, n, _s in runs[:i]): run for i, run in enumerate(runs)}
            for position, (block, group) in enumerate(columns):
                if position in starts and starts[position][2]:
                    ax.text(0.02, y + 0.02, block, transform=heading, va="top",
                            style="italic", color="#333333")  # fmt: skip
                    y += HEADING_LINE
                mine = (rows["item_label"] == item) & (blocks == block) & (rows["group"] == group)
                cell = rows[mine]
                centre, y = y + PITCH / 2, y + PITCH
                if not cell.empty:
                    marked = words["suppressed"].format(min_cell=min_cell)
                    _group_bar(ax, centre, cell, values, segments, marked)
                    ticks.append(centre)
                    tick_labels.append(str(group))
        ax.set_xlim(-100, 100)
        ax.set_xticks([-100, -50, 0, 50, 100], labels=["100%", "50%", "0", "50%", "100%"])
        ax.set_yticks(ticks, labels=tick_labels)
        ax.tick_params(axis="y", length=0)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        handles = [
            Patch(
                facecolor=colour,
                hatch=hatch,
                edgecolor=_hatch_colour(colour) if hatch else colour,
                linewidth=0,
                label=label,
            )
            for _value, label, colour, hatch in segments
        ]
        figure.legend(
            handles=handles,
            loc="lower center",
            ncol=max(1, len(handles)),
            frameon=False,
            bbox_to_anchor=(0.5, 0.3 / figure.get_figheight()),
            handlelength=1.6,
            columnspacing=1.4,
        )
        excluded = [label for _value, label, missing in scale if missing]
        note = (
            words["percent_excluding"].format(excluded=", ".join(excluded))
            if excluded
            else words["percent"]
        )
        _caption(figure, title_lines, note, title_inset=0.12, note_inset=0.1)
        return _save(figure, path, fmt)


def _block_header(ax, runs, block_lines: dict, above: float) -> None:
    """Write each headed block's label over its groups' headers, with a rule under it, and
    a line between blocks down the table (``above``: the groups' headers' height in rows)."""
    start = 0
    for block, span, shown in runs:
        if shown:
            ax.text(start + span / 2, -above - 0.05, "\n".join(block_lines[block]),
                    ha="center", va="bottom", fontweight="bold", linespacing=1.15)  # fmt: skip
            ax.plot([start + 0.05, start + span - 0.05], [-above, -above], color="#333333",
                    linewidth=0.8, clip_on=False)  # fmt: skip
        if start:
            ax.axvline(start, color="#333333", linewidth=1.2)
        start += span


def heat_table(
    tidy_means: pd.DataFrame,
    path: str | Path,
    title: str = "",
    vmin: float = 1,
    vmax: float = 5,
    min_cell: int = 5,
    cmap: str = "Blues",
    words: dict[str, str] | None = None,
) -> Path:
    """Draw mean ratings as a shaded table, items by groups, and return the path.

    ``tidy_means`` has the columns ``item_label, group, mean`` and optionally
    ``suppressed`` and ``n`` (``coding.crosstab.means`` gives them). Rows and columns keep
    their order of appearance; each cell shows the mean to two decimals, shaded on
    vmin-vmax; suppressed cells show "–" on white; with ``n``, each header shows the
    group's largest n. A banner's table (a column ``coding.tidy.BLOCK``) has a header row
    of blocks over its groups, a line between blocks. ``words`` gives the chart's own words
    (``CHART_WORDS``' keys) in another language.
    """
    words = {**CHART_WORDS, **(words or {})}
    fmt = _format_of(path)
    absent = [c for c in ("item_label", "group", "mean") if c not in tidy_means.columns]
    if absent:
        raise ValueError(f"the means lack the columns {', '.join(absent)}")
    if tidy_means.empty:
        raise ValueError("the means have no rows to draw")
    tidy_means = tidy_means.assign(
        _block=tidy_means[BLOCK].astype(str) if BLOCK in tidy_means.columns else ""
    )
    items, groups = _unique(tidy_means["item_label"]), _columns(tidy_means)
    keys = ["item_label", "_block", "group"]
    index = tidy_means.drop_duplicates(keys).set_index(keys)
    suppressed = (
        index["suppressed"].fillna(False).astype(bool)
        if "suppressed" in index
        else pd.Series(False, index=index.index)
    )
    headers = []
    for block, group in groups:
        header = textwrap.wrap(str(group), 14) or [""]
        if "n" in tidy_means.columns:
            mine = (tidy_means["_block"] == block) & (tidy_means["group"] == group)
            n = pd.to_numeric(tidy_means.loc[mine, "n"], errors="coerce")
            header.append(f"n={int(n.max())}" if n.notna().any() else "n=–")
        headers.append("\n".join(header))
    runs = _block_runs(groups)
    block_lines = {
        block: textwrap.wrap(block, max(10, int(span * CELL_WIDTH / 0.068))) or [""]
        for block, span, shown in runs
        if shown
    }
    block_height = 0.16 * max((len(v) for v in block_lines.values()), default=0)
    block_height += 0.12 if block_lines else 0
    row_labels = {item: textwrap.wrap(str(item), 42) or [""] for item in items}
    row_height = max(0.3, 0.16 * max(len(lines) for lines in row_labels.values()) + 0.12)
    header_height = 0.16 * max(h.count("\n") + 1 for h in headers) + 0.15 + block_height
    label_width = min(3.6, max(len(line) for v in row_labels.values() for line in v) * 0.07)
    width = label_width + 0.3 + CELL_WIDTH * len(groups) + 0.2
    title_lines = textwrap.wrap(title, _title_chars(width))
    norm, colours = Normalize(vmin=vmin, vmax=vmax), matplotlib.colormaps[cmap]
    with matplotlib.rc_context(RC):
        figure = Figure()
        top = header_height + 0.1 + 0.22 * len(title_lines)
        ax = _layout(
            figure,
            width,
            top,
            row_height * len(items),
            0.45,
            label_width + 0.3,
            0.2,
        )
        ax.set_xlim(0, len(groups))
        ax.set_ylim(len(items), 0)
        ax.set_axis_off()
        for i, item in enumerate(items):
            ax.text(-0.08, i + 0.5, "\n".join(row_labels[item]), ha="right", va="center")
            for j, (block, group) in enumerate(groups):
                key = (item, block, group)
                mean = pd.to_numeric(index["mean"].get(key, np.nan), errors="coerce")
                hidden = bool(suppressed.get(key, False))
                if pd.isna(mean) or hidden:
                    ax.add_patch(
                        Rectangle(
                            (j, i), 1, 1, facecolor="white", edgecolor="#d0d0d0", linewidth=0.6
                        )
                    )
                    ax.text(
                        j + 0.5,
                        i + 0.5,
                        "–" if hidden else "",
                        ha="center",
                        va="center",
                        color="#4d4d4d",
                    )
                    continue
                colour = colours(norm(float(mean)))
                ax.add_patch(
                    Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white", linewidth=1.2)
                )
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    f"{float(mean):.2f}",
                    ha="center",
                    va="center",
                    color=_text_colour(colour),
                )
        for j, header in enumerate(headers):
            ax.text(
                j + 0.5,
                -0.12,
                header,
                ha="center",
                va="bottom",
                fontweight="bold",
                linespacing=1.15,
            )
        lines = max(h.count("\n") + 1 for h in headers)  # the groups' headers: 9 pt lines
        _block_header(ax, runs, block_lines, 0.12 + (lines * 0.145 + 0.05) / row_height)
        darker = _luminance(colours(1.0)) < _luminance(colours(0.0))
        note = words["mean_darker" if darker else "mean_lighter"].format(
            low=f"{vmin:g}", high=f"{vmax:g}"
        )
        if suppressed.any():
            note += words["mean_suppressed"].format(min_cell=min_cell)
        _caption(figure, title_lines, note, title_inset=0.1, note_inset=0.12)
        return _save(figure, path, fmt)

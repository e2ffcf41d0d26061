"""The annex's figures as PNG files at print resolution: the cross-tab charts, code bars.

The agreement bars and the heat table are `exports.charts`' own, drawn at `PRINT_DPI`
instead of the screen's 150 dpi; the code frequency bars (the report's figure 16) are drawn
here on a `matplotlib.figure.Figure`, never through pyplot.
"""

from __future__ import annotations

import contextlib
import textwrap
import threading
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from exports import charts

PRINT_DPI = 300  # dots per inch of every figure in the annex
BAR_COLOURS = ["#08306b", "#6baed6", "#fd8d3c", "#7f2704", "#9e9e9e"]
_RESOLUTION = threading.Lock()


@contextlib.contextmanager
def print_resolution():
    """Make `exports.charts` draw at `PRINT_DPI` while inside (one drawing at a time)."""
    with _RESOLUTION:
        screen = charts.DPI
        charts.DPI = PRINT_DPI
        try:
            yield
        finally:
            charts.DPI = screen


def code_bars(
    frequency: pd.DataFrame, path: Path, groups: list[str], axis_label: str, note: str = ""
) -> Path:
    """Draw the share of respondents who mention each code as horizontal bars, a bar per group.

    ``frequency`` is a tidy code frequency (`coding.frequency.code_frequency`), codes in
    their order of frequency (drawn top down); suppressed groups have no share and no bar.
    """
    codes = list(dict.fromkeys(frequency["code"]))
    labels = {code: textwrap.wrap(str(code), 40) or [""] for code in codes}
    line = 0.17
    rows = [max(0.32, 0.14 * len(groups) + 0.1, line * len(labels[c]) + 0.08) for c in codes]
    width, left = 6.3, 2.9
    height = sum(rows) + 1.0
    with matplotlib.rc_context(charts.RC):
        figure = Figure(figsize=(width, height))
        FigureCanvasAgg(figure)
        ax = figure.add_axes((left / width, 0.75 / height, 1 - (left + 0.4) / width,
                              sum(rows) / height))  # fmt: skip
        ax.set_ylim(sum(rows), 0)
        top, ticks = 0.0, []
        bar = min(0.8 * (min(rows) - 0.06) / max(len(groups), 1), 0.22)
        for code, row in zip(codes, rows, strict=True):
            centre = top + row / 2
            ticks.append(centre)
            cells = frequency[frequency["code"] == code].set_index("group")
            for position, group in enumerate(groups):
                share = cells["share"].get(group, np.nan) if group in cells.index else np.nan
                y = centre + (position - (len(groups) - 1) / 2) * bar
                if pd.isna(share):
                    continue
                colour = BAR_COLOURS[position % len(BAR_COLOURS)]
                ax.barh(y, 100 * share, height=bar * 0.9, color=colour, label=group)
                ax.text(100 * share + 1, y, f"{100 * share:.0f}%", va="center", fontsize=7)
            top += row
        ax.set_yticks(ticks, labels=["\n".join(labels[c]) for c in codes])
        ax.tick_params(axis="y", length=0)
        most = pd.to_numeric(frequency["share"], errors="coerce").max()
        ax.set_xlim(0, max(10, 100 * (most if most == most else 0) + 12))
        ax.set_xlabel(axis_label)
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        handles, names = ax.get_legend_handles_labels()
        shown = dict(zip(names, handles, strict=True))
        if len(shown) > 1:
            figure.legend(shown.values(), shown.keys(), loc="lower center", ncol=len(shown),
                          frameon=False, bbox_to_anchor=(0.5, 0.0))  # fmt: skip
        if note:
            figure.text(0.01, 1 - 0.15 / height, note, fontsize=7.5, color="#333333", va="top")
        figure.savefig(path, format="png", dpi=PRINT_DPI, bbox_inches="tight", pad_inches=0.1,
                       metadata={"Software": None})  # fmt: skip
    return path

"""The minimum cell: the one rule that decides whether a group of respondents is shown.

The report analysed answers "at the aggregate level to preserve confidentiality". A group
with fewer than ``min_cell`` answers (``MIN_CELL`` unless the evaluator sets another) is
suppressed in every output alike: its numbers in tables, charts and files are withheld, it
is left out of tests of difference (and named under the test), and none of its answers is
quoted. Every output asks ``suppressed``; none compares a group's size with the minimum
itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MIN_CELL = 5


def check_min_cell(min_cell: int) -> int:
    """Return the minimum cell as a whole number, or raise ValueError below 1."""
    if int(min_cell) != min_cell or min_cell < 1:
        raise ValueError("the minimum cell size must be at least 1")
    return int(min_cell)


def suppressed(n: float, min_cell: int = MIN_CELL) -> bool:
    """Return True when a group of n answers is too small to show (n below the minimum)."""
    return bool(n < min_cell)


def shown_groups(sizes: Mapping[str, float], min_cell: int = MIN_CELL) -> list[str]:
    """Return the groups large enough to show, in the order given."""
    return [group for group, n in sizes.items() if not suppressed(n, min_cell)]


def left_out(sizes: Mapping[str, float], min_cell: int = MIN_CELL) -> list[str]:
    """Return the groups too small to show, in the order given."""
    return [group for group, n in sizes.items() if suppressed(n, min_cell)]


def left_out_note(groups: Iterable[str], min_cell: int = MIN_CELL) -> str:
    """Return the sentence written under a test, e.g. "Africa (n < 5) left out", or ""."""
    groups = list(groups)
    if not groups:
        return ""
    each = "each " if len(groups) > 1 else ""
    return f"{', '.join(map(str, groups))} ({each}n < {min_cell}) left out"

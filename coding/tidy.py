"""The tidy tables that coding/ makes and exports/ reads: their columns and special values.

Every name here is a contract between the two packages (and with anyone reading an
exported CSV in a notebook): change one and both sides change with it.

Distribution (``coding.crosstab.distribution``): one row per item, group and point of the
scale, then two summary rows per item and group, in the columns ``DISTRIBUTION_COLUMNS``
(those of the tidy CSV) followed by ``DISTRIBUTION_EXTRA_COLUMNS``:

- ``survey``, ``question``, ``item``, ``item_label``: what was asked (the item is empty
  for a single-choice question);
- ``group``: the group's label; ``ALL`` for everyone, ``NO_ANSWER`` for those who did
  not answer the grouping question;
- ``value``, ``value_label``: the scale point's name and label, in scale order;
- ``count``, ``percent``: the number of answers (respondents, never weighted) and their
  percentage (0-100) of the substantive answers, weighted if weights are given; empty for
  a non-substantive point's percentage;
- ``weighted_count``: the answers weighted (equal to ``count`` without weights); the CSV
  has it, after ``count``, only when the table is weighted (``WEIGHTED_DISTRIBUTION_COLUMNS``);
- ``base``: the unweighted number of substantive answers of the item and group;
- ``suppressed``: True when the group gave too few answers (``coding.confidentiality``
  decides); its numbers, the base included, are then empty;
- ``missing``: True for a non-substantive point ("Do not know");
- ``order``: the point's position on the scale, the summary rows after it.

The summary rows are ``value=AGREE_VALUE`` (the count and percentage of the upper half
of the scale, labelled e.g. "Agree + Somewhat agree") and ``value=BASE_VALUE`` (its count
is the base). ``SUMMARY_VALUES`` names both; a chart of the scale leaves them out. Choice
names never start with "_", so neither can clash with a scale point.

Means (``coding.crosstab.means``): one row per item and group in ``MEAN_COLUMNS`` (``n``
ratings, ``mean`` rating) followed by ``MEAN_EXTRA_COLUMNS`` (``suppressed``, as above).

Banner tables (several blocks of columns side by side, as the report's Table 6): each
block is tabulated on its own and its rows get a column ``BLOCK`` (the block's label)
right before ``group``; a banner table has no ``ALL`` rows, since a block that is a survey
as a whole is that survey's overall figure. ``BANNER_DISTRIBUTION_COLUMNS``,
``WEIGHTED_BANNER_DISTRIBUTION_COLUMNS`` and ``BANNER_MEAN_COLUMNS`` are the CSV's columns.

Code frequency (``coding.frequency.code_frequency``): one row per code and group in
``FREQUENCY_COLUMNS``: the respondents who mention the code, the base (respondents in
the group who answered) and the share (0-1), followed by ``FREQUENCY_EXTRA_COLUMNS``
(``suppressed``: the group's base is below the minimum cell, and its numbers are empty).
``code=UNCODED`` counts the answers given no code; ``group=ALL`` is everyone.
"""

from __future__ import annotations

ALL = "All"
NO_ANSWER = "(no answer)"

DISTRIBUTION_COLUMNS = [
    "survey", "question", "item", "item_label", "group",
    "value", "value_label", "count", "percent",
]  # fmt: skip
DISTRIBUTION_EXTRA_COLUMNS = ["weighted_count", "base", "suppressed", "missing", "order"]
WEIGHTED_DISTRIBUTION_COLUMNS = [
    "survey", "question", "item", "item_label", "group",
    "value", "value_label", "count", "weighted_count", "percent",
]  # fmt: skip
BASE_VALUE, AGREE_VALUE = "_base", "_agree"
SUMMARY_VALUES = (AGREE_VALUE, BASE_VALUE)

MEAN_COLUMNS = ["survey", "question", "item", "item_label", "group", "n", "mean"]
MEAN_EXTRA_COLUMNS = ["suppressed"]

BLOCK = "block"


def with_block(columns: list[str]) -> list[str]:
    """Return tidy columns with ``BLOCK`` inserted right before ``group``."""
    at = columns.index("group")
    return [*columns[:at], BLOCK, *columns[at:]]


BANNER_DISTRIBUTION_COLUMNS = with_block(DISTRIBUTION_COLUMNS)
WEIGHTED_BANNER_DISTRIBUTION_COLUMNS = with_block(WEIGHTED_DISTRIBUTION_COLUMNS)
BANNER_MEAN_COLUMNS = with_block(MEAN_COLUMNS)

FREQUENCY_COLUMNS = ["code", "group", "respondents", "base", "share"]
FREQUENCY_EXTRA_COLUMNS = ["suppressed"]
UNCODED = "(uncoded)"

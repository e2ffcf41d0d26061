"""Code frequency (the report's figure 16): respondents per code, by survey or profile group."""

from __future__ import annotations

import pandas as pd

from coding.confidentiality import MIN_CELL, suppressed
from coding.tidy import ALL, FREQUENCY_COLUMNS, FREQUENCY_EXTRA_COLUMNS, UNCODED


def code_frequency(
    coding: pd.DataFrame, answers: pd.DataFrame, codes: list[str], min_cell: int = MIN_CELL
) -> pd.DataFrame:
    """Count the respondents who mention each code, overall and per group.

    ``coding`` has one row per (survey, response_id, code) of one coder; ``answers`` one row
    per non-empty answer with its ``group``. The base of a share is the number of
    respondents in the group who answered the question; an answer may carry several codes,
    so shares can add up to more than 100%. A group whose base is below ``min_cell`` is
    suppressed (``coding.confidentiality.suppressed``): its respondents, base and share are
    empty. Returns the tidy table in ``coding.tidy.FREQUENCY_COLUMNS`` and
    ``FREQUENCY_EXTRA_COLUMNS``, codes in order of overall frequency (over every group).
    """
    keys = ["survey", "response_id"]
    groups = answers[keys + ["group"]].drop_duplicates(keys)
    merged = coding[keys + ["code"]].drop_duplicates().merge(groups, on=keys, how="inner")
    coded = merged[keys].drop_duplicates()
    uncoded = groups.merge(coded, on=keys, how="left", indicator=True)
    uncoded = uncoded[uncoded["_merge"] == "left_only"].assign(code=UNCODED)[
        keys + ["code", "group"]
    ]
    mentions = pd.concat([merged, uncoded], ignore_index=True)
    group_order = [ALL, *sorted(groups["group"].dropna().unique(), key=str)]
    bases = {ALL: len(groups), **groups.groupby("group").size().to_dict()}
    rows = []
    totals = mentions.groupby("code").size()
    ordered = sorted(codes, key=lambda c: (-int(totals.get(c, 0)), codes.index(c)))
    for code in [*ordered, UNCODED]:
        selected = mentions[mentions.code == code]
        for group in group_order:
            part = selected if group == ALL else selected[selected.group == group]
            base = int(bases.get(group, 0))
            count = int(len(part.drop_duplicates(keys)))
            hidden = suppressed(base, min_cell)
            rows.append(
                {
                    "code": code,
                    "group": group,
                    "respondents": None if hidden else count,
                    "base": None if hidden else base,
                    "share": count / base if base and not hidden else None,
                    "suppressed": hidden,
                }
            )
    table = pd.DataFrame(rows, columns=[*FREQUENCY_COLUMNS, *FREQUENCY_EXTRA_COLUMNS])
    whole = ["respondents", "base"]
    table[whole] = table[whole].astype("Int64")  # whole numbers, empty where suppressed
    table["share"] = table["share"].astype(float)
    return table


def frequency_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """Return the tidy frequency as a wide table: a row per code, n and % per group.

    A suppressed group's cells are empty (``coding.tidy`` FREQUENCY_EXTRA_COLUMNS says
    which groups are suppressed).
    """
    wide = tidy.pivot(index="code", columns="group", values=["respondents", "share"])
    order = list(dict.fromkeys(tidy["code"]))
    groups = list(dict.fromkeys(tidy["group"]))
    columns = [(measure, group) for group in groups for measure in ("respondents", "share")]
    return wide.reindex(index=order)[columns]

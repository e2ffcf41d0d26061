"""Banner tables: several blocks of columns side by side in one table, as the report's Table 6.

A banner is written ``"staff, staff by region, constituents"``: blocks separated by commas,
each ``SURVEY`` (that survey as a whole, one group labelled with its title) or ``SURVEY by
QUESTION`` (its responses grouped by a single-choice question, ``language`` or
``code:QUESTION[@CODER]``, each group labelled with its choice's label). The tidy tables of
a banner crosstab carry a ``block`` column (the block's label) right before ``group``, and
no All rows: a whole-survey block is that survey's overall figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coding import crosstab
from coding.tidy import BLOCK
from surveyapp.analysis.groups import BY_LANGUAGE, BY_SURVEY, CODE_PREFIX
from surveyapp.analysis.words import in_language
from surveyapp.questionnaire.model import translate

SPEC = re.compile(
    r"(?P<survey>\S+)(?:\s+by\s+(?P<by>\S+)(?:\s+except\s+(?P<leaving_out>.+))?)?",
    re.IGNORECASE,
)
# The words of a banner, in the languages of `surveyapp.analysis.words`: the heading of a
# distribution's block column, and the label of a block that groups a survey's responses.
BANNER_WORDS = {
    "block": {"en": "Block", "fr": "Bloc", "es": "Bloque"},
    "block_by": {"en": "{survey} by {by}", "fr": "{survey} par {by}", "es": "{survey} por {by}"},
    "left_out_note": {
        "en": "{block}: without {groups}, who count in the survey as a whole.",
        "fr": "{block}\u00a0: sans {groups}, qui comptent dans l’ensemble de l’enquête.",
        "es": "{block}: sin {groups}, que cuentan en el conjunto de la encuesta.",
    },
    "banner_note": {
        "en": "Each block of columns is tabulated on its own: the minimum cell, weights and"
        " tests of difference apply within a block, and tests compare its groups only.",
        "fr": "Chaque bloc de colonnes est calculé à part : l’effectif minimal, les"
        " pondérations et les tests de différence s’appliquent dans le bloc, et les tests"
        " ne comparent que ses groupes.",
        "es": "Cada bloque de columnas se calcula por separado: el mínimo por celda, las"
        " ponderaciones y las pruebas de diferencia se aplican dentro del bloque, y las"
        " pruebas solo comparan sus grupos.",
    },
}


class BannerError(ValueError):
    """A banner that cannot be read, said with the block's place and text."""


@dataclass
class BannerBlock:
    """One block of a banner: as written, its survey, its grouping, its label and groups."""

    spec: str  # as written, e.g. "staff by region"
    survey: str
    by: str  # "survey" for the survey as a whole
    label: str  # the block's heading, in the crosstab's language
    groups: list[str] = field(default_factory=list)  # its groups' labels, filled on tabulating
    leaving_out: list[str] = field(default_factory=list)  # "except" these choices (names)
    left_out_labels: list[str] = field(default_factory=list)  # and their labels


@dataclass
class BlockResponses:
    """The responses a block tabulates: rows (repeated for overlapping code groups), their
    groups, the groups' order, their weights and the note on overlapping groups."""

    frame: pd.DataFrame
    groups: pd.Series
    order: list[str]
    weights: np.ndarray | None = None
    overlap_note: str = ""


def banner_words(language: str | None) -> dict[str, str]:
    """Return a banner's words in a language (English when not known)."""
    return in_language(BANNER_WORDS, language)


def block_label(title: str, by: str, language: str | None) -> str:
    """Return a block's heading: the survey's title, or "<title> by <question>"."""
    if by == BY_SURVEY:
        return title
    return banner_words(language)["block_by"].format(survey=title, by=by)


def _grouping_problem(questionnaire, by: str) -> str:
    """Return what is wrong with grouping one survey by ``by``, or "" when it works."""
    if by in (BY_SURVEY, BY_LANGUAGE) or by.startswith(CODE_PREFIX):
        return ""
    question = questionnaire.question(by)
    if question is None:
        return f"no question '{by}' in {questionnaire.id}"
    if not question.kind.single_choice:
        return (
            f"'{by}' is not a single-choice question of {questionnaire.id}"
            " (group by language, code:QUESTION or such a question)"
        )
    return ""


def _left_out(questionnaire, by: str, names: list[str], language) -> tuple[list[str], str]:
    """Return the labels of the choices a block leaves out, or a problem with them."""
    if by == BY_LANGUAGE:
        known = {code: code for code in questionnaire.languages}
    elif by == BY_SURVEY or by.startswith(CODE_PREFIX):
        return [], "except works with a single-choice question or language"
    else:
        question = questionnaire.question(by)
        known = {c.name: translate(c.label, language) for c in question.choices}
    unknown = [name for name in names if name not in known]
    if unknown:
        return [], f"no choice '{unknown[0]}' in {by} ({', '.join(known)})"
    return [known[name] for name in names], ""


def parse_banner(
    text: str, questionnaires: dict, surveys: list[str], language: str | None = None
) -> list[BannerBlock]:
    """Read a banner into its blocks, or raise BannerError naming the block at fault.

    Each block's survey must be one of ``surveys`` (those tabulated); a block may not
    repeat another. ``SURVEY by QUESTION except CHOICE [CHOICE...]`` leaves out the
    respondents who chose those (choice names), e.g. ``staff by region except global``:
    they still count in the survey as a whole.
    """
    parts = [part.strip() for part in (text or "").split(",")]
    if not any(parts):
        raise BannerError("the banner is empty: give blocks such as 'staff, staff by region'")
    blocks: list[BannerBlock] = []
    for number, part in enumerate(parts, start=1):
        where = f"block {number} '{part}'"
        if not part:
            raise BannerError(
                f"block {number} is empty: write SURVEY or SURVEY by QUESTION between commas"
            )
        match = SPEC.fullmatch(" ".join(part.split()))
        if match is None:
            raise BannerError(f"{where}: write SURVEY or SURVEY by QUESTION, e.g. staff by region")
        survey, by = match["survey"], match["by"] or BY_SURVEY
        if survey not in questionnaires:
            known = ", ".join(sorted(questionnaires))
            raise BannerError(f"{where}: no survey '{survey}' (surveys: {known})")
        if survey not in surveys:
            raise BannerError(
                f"{where}: survey '{survey}' is not among those tabulated ({', '.join(surveys)})"
            )
        problem = _grouping_problem(questionnaires[survey], by)
        if problem:
            raise BannerError(f"{where}: {problem}")
        leaving_out = (match["leaving_out"] or "").replace(",", " ").split()
        labels, problem = _left_out(questionnaires[survey], by, leaving_out, language)
        if leaving_out and problem:
            raise BannerError(f"{where}: {problem}")
        for earlier, block in enumerate(blocks, start=1):
            if (block.survey, block.by) == (survey, by):
                raise BannerError(f"{where}: the same as block {earlier} '{block.spec}'")
        title = translate(questionnaires[survey].title, language)
        label = block_label(title, by, language)
        blocks.append(
            BannerBlock(" ".join(part.split()), survey, by, label, [], leaving_out, labels)
        )
    return blocks


def banner_table(tables: list[tuple[BannerBlock, pd.DataFrame]]) -> pd.DataFrame:
    """Return one question's per-block tidy tables as one: no All rows, ``block`` before
    ``group``, the survey column naming each block's survey."""
    frames = []
    for block, table in tables:
        table = table[table["group"] != crosstab.ALL].copy()
        table["survey"] = block.survey
        table.insert(table.columns.get_loc("group"), BLOCK, block.label)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


@dataclass
class BannerMeans:
    """A banner's mean ratings laid out as Table 6: items by (block, group) columns.

    ``items`` are the rows in order (highest index of the first column first); ``columns``
    the (block label, group label) pairs in order; ``spans`` each block label with the
    number of columns it spans (the header row over the groups); ``mean``, ``n`` and
    ``suppressed`` are DataFrames indexed by item with a MultiIndex of ``columns``: means
    (NaN where suppressed), numbers of ratings (NA where suppressed) and booleans.
    """

    items: list[str]
    columns: list[tuple[str, str]]
    spans: list[tuple[str, int]]
    mean: pd.DataFrame
    n: pd.DataFrame
    suppressed: pd.DataFrame


def banner_means(table: pd.DataFrame, words: dict[str, str] | None = None) -> BannerMeans:
    """Return a banner's tidy mean table (``block`` column) as the Table 6 layout.

    ``words`` (`surveyapp.analysis.words.words_in`) put the no-answer group in the
    crosstab's language; block and group labels are otherwise as tabulated.
    """
    if BLOCK not in table.columns:
        raise ValueError("not a banner table: it has no block column")
    ordered = crosstab.sort_by_overall(table)
    if words:
        ordered = ordered.assign(
            group=ordered["group"].replace({crosstab.NO_ANSWER: words["no_answer"]})
        )
    items = list(dict.fromkeys(ordered["item_label"]))
    columns = list(dict.fromkeys(zip(ordered[BLOCK], ordered["group"], strict=True)))
    spans: list[tuple[str, int]] = []
    for block, _group in columns:
        if spans and spans[-1][0] == block:
            spans[-1] = (block, spans[-1][1] + 1)
        else:
            spans.append((block, 1))
    cells = ordered.drop_duplicates(["item_label", BLOCK, "group"]).set_index(
        ["item_label", BLOCK, "group"]
    )
    index = pd.MultiIndex.from_tuples(columns, names=[BLOCK, "group"])

    def grid(column: str) -> pd.DataFrame:
        values = {
            key: [cells[column].get((item, *key), pd.NA) for item in items] for key in columns
        }
        return pd.DataFrame(values, index=pd.Index(items, name="item_label"), columns=index)

    hidden = grid("suppressed").fillna(True).astype(bool)
    mean = grid("mean").apply(pd.to_numeric, errors="coerce").astype(float).mask(hidden)
    n = grid("n").apply(pd.to_numeric, errors="coerce").astype("Int64").mask(hidden)
    return BannerMeans(items, columns, spans, mean, n, hidden)


def wide_banner_means(
    table: pd.DataFrame, suppressed: object = np.nan, words: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Return a banner's means wide with a two-level header: (block, group heading).

    The first column, headed (Item, Item), holds the item labels; a group's heading is
    "Africa (n = 12)" where its n is the same for every item, otherwise "Africa" followed
    by a column "Africa n". Suppressed cells hold ``suppressed``. Returns the table and
    its mean columns, as `surveyapp.analysis.survey_tables.wide_means` does.
    """
    from surveyapp.analysis.words import words_in

    words = words or words_in(None)
    layout = banner_means(table, words)
    item = (words["item"], words["item"])
    data: dict[tuple[str, str], list] = {item: layout.items}
    mean_columns = []
    for key in layout.columns:
        block, group = key
        hidden = layout.suppressed[key].to_numpy()
        n = layout.n[key].to_numpy(dtype=float, na_value=np.nan)
        same_n = not hidden.any() and len(set(n)) == 1
        name = (block, f"{group} (n = {int(n[0])})" if same_n else str(group))
        means = layout.mean[key].to_numpy(dtype=float)
        data[name] = [suppressed if h else m for h, m in zip(hidden, means, strict=True)]
        mean_columns.append(name)
        if not same_n and not hidden.all():
            data[(block, f"{group} n")] = [
                suppressed if h else int(v) for h, v in zip(hidden, n, strict=True)
            ]
    wide = pd.DataFrame(data)
    wide.columns = pd.MultiIndex.from_tuples(list(data))
    return wide, mean_columns

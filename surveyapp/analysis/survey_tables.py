"""Cross-tabulations of the surveys' closed questions, built from the questionnaires."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlite_utils

from coding import crosstab
from coding.confidentiality import check_min_cell
from coding.crosstab import Block, ScalePoint
from coding.difference import TEST_COLUMNS, rating_tests, significance
from coding.tidy import (
    BANNER_DISTRIBUTION_COLUMNS,
    BANNER_MEAN_COLUMNS,
    BLOCK,
    WEIGHTED_BANNER_DISTRIBUTION_COLUMNS,
    WEIGHTED_DISTRIBUTION_COLUMNS,
)
from surveyapp.analysis.banner import (
    BANNER_WORDS,
    BannerBlock,
    BannerError,
    BlockResponses,
    banner_table,
    banner_words,
    parse_banner,
    wide_banner_means,
)
from surveyapp.analysis.groups import (
    CODE_PREFIX,
    GroupingError,
    code_grouping,
    code_words,
    group_labels,
    group_of,
    grouping_values,
)
from surveyapp.analysis.words import LanguageError, label_language, words_in
from surveyapp.questionnaire.model import Question, Questionnaire, translate
from surveyapp.store.responses import completed_responses

STATS = ("distribution", "mean")


class CrosstabError(ValueError):
    """A cross-tabulation that cannot be made as asked, said in plain words."""


@dataclass
class Crosstab:
    """The tables of one request: which surveys, grouped how, with which statistic."""

    surveys: list[str]
    by: str
    stat: str
    tables: list[tuple[Block, pd.DataFrame]]  # one tidy table per question block
    min_cell: int
    weighted: str = ""
    frame: pd.DataFrame | None = None  # the responses tabulated
    groups: pd.Series | None = None  # each response's group label
    group_order: list[str] | None = None  # the groups in questionnaire order
    language: str = "en"  # the language of every label, heading and note
    weight: str = ""  # the weight column, if weighted by one
    poststratify: str = ""  # the question (or survey) post-stratified on, if any
    overlap_note: str = ""  # by codes: the groups overlap, said under every table
    banner: list[BannerBlock] = field(default_factory=list)  # the blocks, if a banner
    block_responses: list[BlockResponses] = field(default_factory=list)  # per block

    @property
    def blocks(self) -> list[str]:
        """Return the banner's block labels in order ([] without a banner)."""
        return [block.label for block in self.banner]

    @property
    def words(self) -> dict[str, str]:
        """Return the fixed words (All, headings, notes) in the crosstab's language."""
        return {**words_in(self.language), **banner_words(self.language)}

    def shown(self, table: pd.DataFrame) -> pd.DataFrame:
        """Return a tidy table as written out: the All, no-answer and base labels in words."""
        return shown_labels(table, self.words)

    @property
    def survey_label(self) -> str:
        """Return the survey ids joined, as written in the tidy tables."""
        return ",".join(self.surveys)

    def tidy(self) -> pd.DataFrame:
        """Return every table stacked in the documented CSV columns.

        A weighted distribution has ``weighted_count`` after ``count`` (the respondents).
        """
        columns = crosstab.MEAN_COLUMNS
        if self.stat == "distribution":
            columns = (
                WEIGHTED_DISTRIBUTION_COLUMNS if self.weighted else crosstab.DISTRIBUTION_COLUMNS
            )
        if self.banner:
            columns = {
                "mean": BANNER_MEAN_COLUMNS,
                "distribution": BANNER_DISTRIBUTION_COLUMNS,
                "weighted": WEIGHTED_BANNER_DISTRIBUTION_COLUMNS,
            }["weighted" if self.weighted and self.stat == "distribution" else self.stat]
        frames = [self.shown(table)[columns] for _block, table in self.tables]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def tests(self, block: Block) -> pd.DataFrame:
        """Return the tests of difference between the groups shown in a block's table.

        Distributions: per item, a chi-square (or exact) test of the full scale, then one of
        the agree share (upper half of the scale against the rest). Means: per item,
        Mann-Whitney U (two groups) or Kruskal-Wallis H (more) on the ratings. Groups the
        table suppresses are left out and named; weights never enter the tests. In a banner
        each block is tested on its own (its groups against each other; a one-group block
        has no test), and the tests have a first column ``block``.
        """
        if self.banner:
            return self._banner_tests(block)
        return self._tests(block, self.frame, self.groups, self.group_order, self.overlap_note)

    def _banner_tests(self, block: Block) -> pd.DataFrame:
        """Return the tests of each banner block with more than one group, block first."""
        frames = []
        for banner_block, part in zip(self.banner, self.block_responses, strict=True):
            if len(banner_block.groups) < 2:
                continue
            tests = self._tests(block, part.frame, part.groups, part.order, part.overlap_note)
            frames.append(tests.assign(**{BLOCK: banner_block.label}))
        columns = [BLOCK, *TEST_COLUMNS]
        if not frames:
            return pd.DataFrame(columns=columns)
        tests = pd.concat(frames, ignore_index=True)[columns]
        table = next(table for shown, table in self.tables if shown == block)
        if self.stat == "mean":
            table = crosstab.sort_by_overall(table)
        order = {item: i for i, item in enumerate(dict.fromkeys(table.item))}
        rank = tests.item.map(order)
        return tests.iloc[rank.argsort(kind="stable")].reset_index(drop=True)

    def _tests(self, block, frame, groups, group_order, overlap_note) -> pd.DataFrame:
        """Return the tests of difference between ``groups`` of ``frame`` (see ``tests``)."""
        if frame is None or groups is None or overlap_note:
            return pd.DataFrame(columns=TEST_COLUMNS)
        common = {"min_cell": self.min_cell, "group_order": group_order}
        if self.stat == "mean":
            tests = rating_tests(frame, block, groups, **common)
            table = next(table for shown, table in self.tables if shown == block)
            order = list(dict.fromkeys(crosstab.sort_by_overall(table).item))
            rank = tests.item.map({item: i for i, item in enumerate(order)})
            return tests.iloc[rank.argsort(kind="stable")].reset_index(drop=True)
        full = significance(frame, block, groups, **common)
        collapsed = significance(frame, block, groups, collapse=True, **common)
        both = pd.concat([full, collapsed], keys=[0, 1], names=["kind", "row"]).reset_index()
        return both.sort_values(["row", "kind"], kind="stable")[TEST_COLUMNS].reset_index(
            drop=True
        )


def block_of(question: Question, language=None) -> Block:
    """Describe a grid or single-choice question as a block to tabulate."""
    items = tuple(
        (column.name, column.item.name, translate(column.item.label, language))
        if column.item
        else (column.name, "", translate(question.label, language))
        for column in question.columns()
    )
    scale = tuple(
        ScalePoint(c.name, translate(c.label, language), c.value, c.missing)
        for c in question.choices
    )
    return Block(question.name, translate(question.label, language), items, scale)


def _shared_questions(questionnaires: list[Questionnaire], stat: str) -> list[Question]:
    """Return the grids asked, with the same items and scale, in every one of the surveys."""
    first, *others = questionnaires
    shared = []
    for question in first.questions:
        if not question.kind.scale_grid:
            continue
        if stat == "mean" and not any(
            c.value is not None and not c.missing for c in question.choices
        ):
            continue
        same = all(
            (other_q := other.question(question.name)) is not None
            and other_q.kind.scale_grid
            and [i.name for i in other_q.items] == [i.name for i in question.items]
            and [c.name for c in other_q.choices] == [c.name for c in question.choices]
            for other in others
        )
        if same:
            shared.append(question)
    return shared


def responses_of(
    db: sqlite_utils.Database, questionnaires: dict, surveys: list[str]
) -> pd.DataFrame:
    """Return the completed responses of several surveys in one frame with a survey column."""
    frames = []
    for survey in surveys:
        frame = completed_responses(db, questionnaires[survey])
        frames.append(frame.assign(survey=survey))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def groups_of(
    frame: pd.DataFrame, questionnaires: dict, surveys: list[str], by: str, language=None
):
    """Return each response's group label, and the groups in questionnaire order."""
    try:
        labels, order = group_labels(questionnaires, surveys, by, language)
    except GroupingError as error:
        raise CrosstabError(str(error)) from None
    return group_of(grouping_values(frame, by), frame.survey, labels), order


def code_groups_of(db, questionnaires, frame, surveys, by, language=None):
    """Return, for a grouping by the codes of an open question, the groups of the responses.

    Each response is in the group of every code its answer carries (`code_memberships`), so
    it may be in several: returns the position in ``frame`` of each tabulated row (a
    response repeated once per group), the rows' groups, the groups in codebook order and
    the note saying how the groups overlap. The coding is the consensus when there is one,
    else the only coder's, else the one named by code:QUESTION@CODER.
    """
    from surveyapp.analysis.code_variables import code_memberships, code_variables
    from surveyapp.analysis.open_answers import CodingError, OpenQuestion

    try:
        question, coder = code_grouping(by)
        open_question = OpenQuestion(db, questionnaires, question, surveys)
        variables = code_variables(open_question, coder)
    except (CodingError, GroupingError) as error:
        raise CrosstabError(str(error)) from None
    words = code_words(language)
    members = code_memberships(variables, words["no_code"], words["not_coded"])
    keys = ["survey", "response_id"]
    rows = frame[keys].reset_index(drop=True).reset_index(names="row")
    rows["response_id"] = rows["response_id"].astype("int64")
    merged = rows.merge(members, on=keys, how="left")
    groups = pd.Series(merged["group"].to_numpy(dtype=object))
    order = [c["name"] for c in variables.codes_] + [words["no_code"], words["not_coded"]]
    coding = (
        words["consensus"]
        if variables.consensus
        else words["coder"].format(coder=variables.coder_)
    )
    note = words["overlap_note"].format(
        question=question, coding=coding, all=words_in(language)["all"]
    )
    return merged["row"].to_numpy(), groups, order, note


def everyone_once(table: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """Return a table of overlapping groups with its All rows taken from ``overall``, the
    same block tabulated with each response once."""
    table = table.copy()
    mine, theirs = table["group"] == crosstab.ALL, overall["group"] == crosstab.ALL
    for column in table.columns:
        table.loc[mine, column] = overall.loc[theirs, column].to_numpy()
    return table


def shown_labels(table: pd.DataFrame, words: dict[str, str]) -> pd.DataFrame:
    """Return a tidy table with coding's English group and base labels put in `words`.

    `coding.crosstab` names the overall row `ALL` and those who did not answer the
    grouping question `NO_ANSWER`, and labels the base rows in English; the tables keep
    those names until they are written out (`coding.crosstab.sort_by_overall` finds ALL).
    """
    table = table.copy()
    table["group"] = table["group"].replace(
        {crosstab.ALL: words["all"], crosstab.NO_ANSWER: words["no_answer"]}
    )
    if "value_label" in table:
        table.loc[table["value"] == crosstab.BASE_VALUE, "value_label"] = words["base"]
    return table


def parse_shares(text: str) -> dict[str, float]:
    """Read population shares written as name=share,name=share."""
    shares = {}
    for part in (text or "").split(","):
        name, sep, value = part.partition("=")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise CrosstabError(f"'{part.strip()}' is not name=share, e.g. staff=0.5") from None
        if not sep or not name.strip():
            raise CrosstabError(f"'{part.strip()}' is not name=share, e.g. staff=0.5")
    return shares


def weights_of(frame, questionnaires, surveys, weight=None, poststratify=None, shares=None):
    """Return per-response weights from a numeric column or by post-stratification, or None."""
    if weight and poststratify:
        raise CrosstabError("use either a weight column or post-stratification, not both")
    if weight:
        if weight not in frame.columns or not pd.api.types.is_numeric_dtype(frame[weight]):
            raise CrosstabError(f"'{weight}' is not a numeric column of the responses")
        values = frame[weight].astype(float)
        if values.isna().any() or (values < 0).any():
            raise CrosstabError(f"every response needs a weight of 0 or more in '{weight}'")
        return values.to_numpy()
    if poststratify:
        if poststratify == "survey":
            groups = frame.survey
        else:
            groups = frame.get(poststratify)
            if groups is None:
                raise CrosstabError(f"'{poststratify}' is not a question of these surveys")
        try:
            return crosstab.poststratify(groups, parse_shares(shares)).to_numpy()
        except ValueError as error:
            raise CrosstabError(str(error)) from None
    return None


def make_crosstab(
    db,
    questionnaires: dict,
    surveys: list[str],
    by: str = "survey",
    stat: str = "distribution",
    min_cell: int = 5,
    questions: list[str] | None = None,
    weight: str | None = None,
    poststratify: str | None = None,
    shares: str | None = None,
    language: str | None = None,
    banner: str | None = None,
) -> Crosstab:
    """Tabulate the shared grids of the surveys by group: distributions or mean indices.

    Every label (questions, items, scale points, groups) and fixed word is in ``language``,
    which every survey must be written in; by default the first survey's first language.
    With a ``banner`` ("staff, staff by region, constituents": see
    `surveyapp.analysis.banner`) the table has those blocks of columns side by side
    instead of ``by``'s groups, which must then be left at "survey" (or None).
    """
    if banner is not None and by not in (None, "survey"):
        raise CrosstabError(f"give either by ('{by}') or a banner, not both")
    by = by or "survey"
    if stat not in STATS:
        raise CrosstabError(f"stat must be one of {', '.join(STATS)}")
    unknown = [s for s in surveys if s not in questionnaires]
    if unknown or not surveys:
        raise CrosstabError(f"no survey {', '.join(unknown) or '(none given)'}")
    try:
        language = label_language([questionnaires[s] for s in surveys], language)
    except LanguageError as error:
        raise CrosstabError(str(error)) from None
    try:
        min_cell = check_min_cell(min_cell)
    except ValueError as error:
        raise CrosstabError(str(error)) from None
    chosen = _shared_questions([questionnaires[s] for s in surveys], stat)
    if questions:
        missing = [q for q in questions if q not in {c.name for c in chosen}]
        if missing:
            raise CrosstabError(f"{', '.join(missing)}: not a grid shared by {', '.join(surveys)}")
        chosen = [q for q in chosen if q.name in questions]
    blocks = []
    if banner is not None:
        try:
            blocks = parse_banner(banner, questionnaires, surveys, language)
        except BannerError as error:
            raise CrosstabError(str(error)) from None
    frame = responses_of(db, questionnaires, surveys)
    weights = weights_of(frame, questionnaires, surveys, weight, poststratify, shares)
    label = (
        f"weighted by {weight}"
        if weight
        else (f"post-stratified on {poststratify}" if poststratify else "")
    )
    if blocks:
        parts = []
        for number, block in enumerate(blocks, start=1):
            try:
                parts.append(block_responses(db, questionnaires, frame, weights, block, language))
            except CrosstabError as error:
                raise CrosstabError(f"block {number} '{block.spec}': {error}") from None
        tables = []
        for question in chosen:
            block = block_of(question, language)
            tables.append((block, _banner_block_table(stat, block, blocks, parts, min_cell)))
        return Crosstab(
            surveys, ", ".join(b.spec for b in blocks), stat, tables, min_cell, label, frame,
            None, None, language, weight or "", poststratify or "", "", blocks, parts,
        )  # fmt: skip
    tabulated, row_weights, overlap_note = frame, weights, ""
    if by.startswith(CODE_PREFIX):
        rows, groups, order, overlap_note = code_groups_of(
            db, questionnaires, frame, surveys, by, language
        )
        tabulated = frame.iloc[rows].reset_index(drop=True)
        row_weights = None if weights is None else weights[rows]
    else:
        groups, order = groups_of(frame, questionnaires, surveys, by, language)
    tabulate = crosstab.distribution if stat == "distribution" else crosstab.means
    tables = []
    for question in chosen:
        block = block_of(question, language)
        common = {"survey": ",".join(surveys), "min_cell": min_cell}
        table = tabulate(
            tabulated, block, groups, weights=row_weights, group_order=order, **common
        )
        if overlap_note:  # All counts each respondent once, whatever their codes
            once = pd.Series(["everyone"] * len(frame), dtype=object)
            overall = tabulate(frame, block, once, weights=weights, **common)
            table = everyone_once(table, overall)
        tables.append((block, table))
    return Crosstab(
        surveys, by, stat, tables, min_cell, label, frame, groups, order, language,
        weight or "", poststratify or "", overlap_note,
    )  # fmt: skip


def block_responses(db, questionnaires, frame, weights, block: BannerBlock, language=None):
    """Return the responses a banner block tabulates, grouped as it says; fill its groups."""
    mine = (frame.survey == block.survey).to_numpy()
    if block.leaving_out:
        mine = mine & ~grouping_values(frame, block.by).isin(block.leaving_out).to_numpy()
    rows = frame[mine].reset_index(drop=True)
    row_weights = None if weights is None else weights[mine]
    note = ""
    if block.by == "survey":
        groups = pd.Series([block.label] * len(rows), dtype=object)
        order = [block.label]
    elif block.by.startswith(CODE_PREFIX):
        positions, groups, order, note = code_groups_of(
            db, questionnaires, rows, [block.survey], block.by, language
        )
        rows = rows.iloc[positions].reset_index(drop=True)
        row_weights = None if row_weights is None else row_weights[positions]
    else:
        groups, order = groups_of(rows, questionnaires, [block.survey], block.by, language)
    present = set(groups.dropna())
    block.groups = [g for g in order if g in present]
    if groups.isna().any():
        block.groups.append(crosstab.NO_ANSWER)
    if not block.groups:  # a survey without responses still has its column
        block.groups = [block.label] if block.by == "survey" else []
    return BlockResponses(rows, groups, order, row_weights, note)


def _banner_block_table(stat, block: Block, blocks, parts, min_cell) -> pd.DataFrame:
    """Return one question's banner table: each block tabulated on its own, side by side."""
    tabulate = crosstab.distribution if stat == "distribution" else crosstab.means
    tables = []
    for banner_block, part in zip(blocks, parts, strict=True):
        common = {"survey": banner_block.survey, "min_cell": min_cell}
        table = tabulate(
            part.frame, block, part.groups, weights=part.weights, group_order=part.order,
            **common,
        )  # fmt: skip
        if banner_block.by == "survey" and not (table["group"] != crosstab.ALL).any():
            table = table.assign(group=banner_block.label)  # no responses: All is the survey
        tables.append((banner_block, table))
    return banner_table(tables)


def wide_distribution(
    table: pd.DataFrame, weighted: bool = False, words: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Return a distribution as a wide table (a row per item and group) and its % columns.

    Substantive answers and the agree share are fractions of the base n; a non-substantive
    answer ("Do not know") is given as a count of respondents, "(count)", and when the table
    is weighted also as a "(weighted count)" beside it. Headings and the All row are in
    ``words`` (`surveyapp.analysis.words.words_in`; English by default).
    """
    words = words or words_in(None)
    table = shown_labels(table, words)
    rows, percent_columns = [], []
    keys = ["item_label", BLOCK, "group"] if BLOCK in table else ["item_label", "group"]
    for key, part in table.groupby(keys, sort=False):
        base = part[part.value == crosstab.BASE_VALUE].iloc[0]
        row = {words["item"]: key[0], words["group"]: key[-1]}
        if BLOCK in table:  # a banner: the block's label before the group's
            block = words.get("block", BANNER_WORDS["block"]["en"])
            row = {words["item"]: key[0], block: key[1], words["group"]: key[-1]}
        row["n"] = np.nan if base.suppressed else int(base.base)
        for answer in part[part.value != crosstab.BASE_VALUE].itertuples():
            if answer.missing:
                row[words["count"].format(label=answer.value_label)] = (
                    float(answer.count) if pd.notna(answer.count) else np.nan
                )
                if weighted:
                    row[words["weighted_count"].format(label=answer.value_label)] = (
                        answer.weighted_count
                    )
            else:
                row[answer.value_label] = answer.percent / 100
                if answer.value_label not in percent_columns:
                    percent_columns.append(answer.value_label)
        row["suppressed"] = bool(base.suppressed)
        rows.append(row)
    return pd.DataFrame(rows), percent_columns


def wide_means(
    table: pd.DataFrame, suppressed: object = np.nan, words: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Return mean indices wide, a row per item and a column per group (as Table 6), with n.

    Items are ordered by their overall index. Where a group's n is the same for every item,
    its header carries it, "Africa (n = 12)"; otherwise a column "Africa n" follows its
    means. Suppressed cells (mean and n) hold ``suppressed``. Returns the table and the
    names of its mean columns. Headings and the All column are in ``words`` (English by
    default). A banner table's columns are two-level, (block, group heading): see
    `surveyapp.analysis.banner.wide_banner_means`.
    """
    if BLOCK in table:
        return wide_banner_means(table, suppressed, words)
    words = words or words_in(None)
    ordered = shown_labels(crosstab.sort_by_overall(table), words)
    items = list(dict.fromkeys(ordered.item_label))
    wide, mean_columns = pd.DataFrame({words["item"]: items}), []
    for group, part in ordered.groupby("group", sort=False):
        cells = part.drop_duplicates("item_label").set_index("item_label").reindex(items)
        hidden = cells["suppressed"].fillna(True).astype(bool).to_numpy()
        n = pd.to_numeric(cells["n"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        mean = pd.to_numeric(cells["mean"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        same_n = not hidden.any() and len(set(n)) == 1
        name = f"{group} (n = {int(n[0])})" if same_n else str(group)
        wide[name] = np.where(hidden, None, mean).astype(object)
        wide.loc[hidden, name] = suppressed
        mean_columns.append(name)
        if not same_n and not hidden.all():
            wide[f"{group} n"] = [
                suppressed if h else int(v) for h, v in zip(hidden, n, strict=True)
            ]
    return wide, mean_columns

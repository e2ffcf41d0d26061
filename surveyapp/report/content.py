"""Build the annex from the database: method, a section per page of grids, priorities, codes.

Every number is the cross-tabs' own (`surveyapp.analysis.survey_tables.make_crosstab`), the
code frequencies the coding's (`OpenQuestion.frequency`); this module only orders them into
a neutral document (`surveyapp.report.document`) with its figures drawn into a folder.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_hex

from coding import crosstab as ct
from coding.tidy import UNCODED
from exports.charts import agreement_chart, heat_table
from surveyapp.analysis.groups import BY_SURVEY, code_words, frequency_in
from surveyapp.analysis.report_files import display_table, draw_chart, notes_of
from surveyapp.analysis.survey_tables import CrosstabError, make_crosstab
from surveyapp.analysis.words import LanguageError, chart_words, label_language, words_in
from surveyapp.questionnaire.model import translate
from surveyapp.report import figures, method
from surveyapp.report.document import Annex, Contents, Figure, Heading, Paragraph, Quote, Table
from surveyapp.report.text import plain
from surveyapp.report.words import annex_words

QUOTES_PER_CODE = 3
SHADES = (0.05, 0.6)  # the part of the Blues map a heat table's cells use: black text reads


def _number(value) -> str:
    """Return a test statistic to two decimals (an infinite odds ratio as ∞)."""
    value = float(value)
    return f"{value:.2f}" if math.isfinite(value) else "∞"


def _has_missing(block) -> bool:
    """Return True for a grid whose scale has a non-substantive point ("Do not know")."""
    return any(point.missing for point in block.scale)


class AnnexError(ValueError):
    """An annex that cannot be made as asked, said in plain words."""


@dataclass
class AnnexRequest:
    """What the annex covers: surveys, grouping or banner, grids, coded questions, weights."""

    surveys: list[str]
    by: str = BY_SURVEY
    banner: str | None = None
    questions: list[str] = field(default_factory=list)
    codes: list[str] | None = None  # open questions; None: every coded one
    min_cell: int = 5
    weight: str | None = None
    poststratify: str | None = None
    shares: str | None = None
    language: str | None = None


class AnnexBuilder:
    """Build one annex: numbers figures and tables as they come, draws figures into a folder."""

    def __init__(self, db, questionnaires: dict, request: AnnexRequest, folder: Path):
        self.db, self.questionnaires, self.request = db, questionnaires, request
        self.folder = Path(folder)
        unknown = [s for s in request.surveys if s not in questionnaires]
        if unknown or not request.surveys:
            raise AnnexError(f"no survey {', '.join(unknown) or '(none given)'}")
        try:
            self.language = label_language(
                [questionnaires[s] for s in request.surveys], request.language
            )
        except LanguageError as error:
            raise AnnexError(str(error)) from None
        self.words = annex_words(self.language)
        self.figure_count = self.table_count = 0

    # numbering
    def figure(self, path: Path, caption: str) -> Figure:
        self.figure_count += 1
        return Figure(path, self.figure_count, plain(caption))

    def table(self, caption: str, header, rows, **extra) -> Table:
        self.table_count += 1
        return Table(self.table_count, plain(caption), header, rows, **extra)

    def figure_path(self) -> Path:
        return self.folder / f"figure-{self.figure_count + 1:02d}.png"

    # the cross-tabs
    def crosstab(self, stat: str, questions: list[str]):
        """Return the cross-tab of some grids with the request's grouping, weights and language.

        The banner, if any, makes the priorities' table of means (the grids stay grouped by
        the request's grouping, by survey unless the workspace asks for another).
        """
        r = self.request
        options = {"banner": r.banner} if r.banner and stat == "mean" else {}
        if options and "banner" not in inspect.signature(make_crosstab).parameters:
            raise AnnexError("--banner needs the banner tables of issue 14 (not in this version)")
        try:
            return make_crosstab(
                self.db, self.questionnaires, r.surveys, BY_SURVEY if options else r.by, stat,
                r.min_cell, questions, r.weight, r.poststratify, r.shares, self.language,
                **options,
            )  # fmt: skip
        except CrosstabError as error:
            raise AnnexError(str(error)) from None

    def build(self) -> Annex:
        """Return the whole annex."""
        titles = ", ".join(
            translate(self.questionnaires[s].title, self.language) for s in self.request.surveys
        )
        annex = Annex(plain(self.words["title"].format(surveys=titles)), self.language, self.words)
        annex.blocks.append(Contents())
        distribution = self.crosstab("distribution", self.request.questions)
        # agreement grids ("Do not know" on their scale) by page; rating grids as priorities
        agreement = [(b, t) for b, t in distribution.tables if _has_missing(b)]
        ratings = [b.question for b, _t in distribution.tables if not _has_missing(b)]
        annex.blocks += self.method_section(distribution)
        annex.blocks += self.grid_sections(distribution, agreement)
        if ratings:
            annex.blocks += self.priorities_section(self.crosstab("mean", ratings))
        annex.blocks += self.open_answers_section()
        return annex

    def method_section(self, result) -> list:
        """Return the Method section: each survey's fielding and rate, then the analysis."""
        blocks = [Heading(self.words["method"], 1)]
        for survey in self.request.surveys:
            questionnaire = self.questionnaires[survey]
            blocks.append(Heading(plain(translate(questionnaire.title, self.language)), 2))
            paragraph = method.survey_paragraph(self.db, questionnaire, self.words, self.language)
            blocks.append(Paragraph(plain(paragraph)))
        missing = list(
            dict.fromkeys(p.label for block, _t in result.tables for p in block.scale if p.missing)
        )
        weighting = {
            "weight": self.request.weight,
            "poststratify": self.request.poststratify,
            "shares": self.request.shares,
        }
        blocks.append(Heading(self.words["analysis"], 2))
        for text in method.analysis_paragraphs(
            self.words, missing, result.min_cell, result.words["suppressed"], weighting
        ):
            blocks.append(Paragraph(plain(text)))
        return blocks

    def grid_sections(self, result, tables) -> list:
        """Return a section per questionnaire page of agreement grids: chart, table, tests."""
        first = self.questionnaires[self.request.surveys[0]]
        blocks = []
        for page in first.pages:
            names = {q.name for q in page.questions}
            shown = [(b, t) for b, t in tables if b.question in names]
            if not shown:
                continue
            blocks.append(Heading(plain(translate(page.title, self.language)), 1))
            for block, table in shown:
                blocks += self.grid(result, block, table)
        return blocks

    def grid(self, result, block, table) -> list:
        """Return one grid: its heading, chart, table, tests and notes."""
        blocks = [Heading(plain(block.label), 2)]
        if (~table["suppressed"].astype(bool)).any():
            path = self.figure_path()
            with figures.print_resolution():
                agreement_chart(result.shown(table), path, title="", min_cell=result.min_cell,
                                words=chart_words(self.language))  # fmt: skip
            blocks.append(self.figure(path, block.label))
        blocks.append(self.distribution_table(result, block, table))
        blocks += self.tests(result, block)
        blocks.append(Paragraph(plain(" ".join(notes_of(result, block)))))
        return blocks

    def distribution_table(self, result, block, table) -> Table:
        """Return a grid's distribution as a table: a row per item, then a row per group."""
        words = result.words
        wide, percent_columns, decimal_columns = display_table(result, table)
        columns = [c for c in wide.columns if c not in (words["item"], words["group"])]
        header = [words["group"], *map(str, columns)]
        rows, spans = [], set()
        for item, part in wide.groupby(words["item"], sort=False):
            spans.add(len(rows))
            rows.append([plain(str(item))] + [""] * len(columns))
            for _index, row in part.iterrows():
                cells = [self.cell(row[c], c in percent_columns, c in decimal_columns)
                         for c in columns]  # fmt: skip
                rows.append([plain(str(row[words["group"]])), *cells])
        return self.table(block.label, header, rows, spans=spans)

    def cell(self, value, percent: bool = False, decimals: bool = False) -> str:
        """Return a number as shown in a table: 45%, 12, 3.57; text as it is."""
        if isinstance(value, str):
            return plain(value)
        if value is None or pd.isna(value):
            return ""
        if percent:
            return method.percent(float(value), self.language)
        if decimals or not float(value).is_integer():
            return f"{float(value):.2f}"
        return str(int(value))

    def tests(self, result, block) -> list:
        """Return the tests of difference under a grid's table, a paragraph per test.

        The statement is named only when the grid has several; the comparison (the whole
        scale, or agree against disagree) always.
        """
        tests = result.tests(block)
        blocks = [Heading(self.words["test_heading"], 3)]
        if tests.empty:
            return [*blocks, Paragraph(self.words["no_tests"])]
        several = len(block.items) > 1
        for test in tests.itertuples():
            notes = [str(n) for n in (test.left_out, test.warning) if isinstance(n, str) and n]
            values = {
                "item": f"{str(test.item_label).rstrip('. ')}: " if several else "",
                "comparison": test.comparison[:1].upper() + test.comparison[1:],
                "note": f" ({'; '.join(notes)})" if notes else "",
            }
            if not isinstance(test.test, str) or not test.test:
                blocks.append(Paragraph(plain(self.words["no_test"].format(**values))))
                continue
            p = float(test.p_value)
            effect = (
                f", {test.effect} = {float(test.effect_size):.2f}"
                if pd.notna(test.effect_size)
                else ""
            )
            line = self.words["test_line"].format(
                test=test.test,
                statistic=_number(test.statistic),
                p="< 0.001" if p < 0.001 else f"{p:.3f}",
                effect=effect,
                **values,
            )
            blocks.append(Paragraph(plain(line)))
        return blocks

    def priorities_section(self, result) -> list:
        """Return the Priorities section: per rating grid, the shaded table and the heat chart.

        With a banner (`--banner "staff, staff by region, constituents"`) the table has a
        header row of blocks over their groups, as the report's Table 6.
        """
        blocks = [Heading(self.words["priorities"], 1)]
        banner = bool(getattr(result, "banner", None))
        for block, table in result.tables:
            values = [p.value for p in block.scale if p.value is not None and not p.missing]
            low, high = min(values, default=1), max(values, default=5)
            blocks.append(Heading(plain(block.label), 2))
            caption = self.words["priorities_caption"].format(label=block.label)
            if banner:
                blocks.append(self.banner_table(result, table, caption, low, high))
            else:
                blocks.append(self.means_table(result, table, caption, low, high))
            notes = [*notes_of(result, block)]
            notes.append(self.words["shading_note"].format(low=f"{low:g}", high=f"{high:g}"))
            blocks.append(Paragraph(plain(" ".join(notes))))
            if (~table["suppressed"].astype(bool)).any():
                path = self.figure_path()
                with figures.print_resolution():
                    if banner:  # the banner's heat table: blocks over their groups
                        draw_chart(result, block, table, path)
                    else:
                        heat_table(result.shown(ct.sort_by_overall(table)), path, title="",
                                   vmin=low, vmax=high, min_cell=result.min_cell,
                                   words=chart_words(self.language))  # fmt: skip
                blocks.append(self.figure(path, caption))
        return blocks

    def shade(self, value, low: float, high: float) -> str | None:
        """Return a mean's cell colour on the heat table's blues (light enough for black text)."""
        if value is None or isinstance(value, str) or pd.isna(value):
            return None
        norm = Normalize(vmin=low, vmax=high)
        share = SHADES[0] + (SHADES[1] - SHADES[0]) * float(norm(float(value)))
        return to_hex(colormaps["Blues"](min(max(share, 0.0), 1.0)))

    def means_table(self, result, table, caption: str, low: float, high: float) -> Table:
        """Return mean ratings as a table (a row per item), each mean's cell shaded."""
        wide, _percent, mean_columns = display_table(result, table)
        rows, shades = [], []
        for _index, row in wide.iterrows():
            rows.append([self.cell(row[c], decimals=c in mean_columns) for c in wide.columns])
            shades.append([self.shade(row[c], low, high) if c in mean_columns else None
                           for c in wide.columns])  # fmt: skip
        return self.table(caption, [str(c) for c in wide.columns], rows, shades=shades)

    def banner_table(self, result, table, caption: str, low: float, high: float) -> Table:
        """Return a banner of mean ratings as Table 6: blocks over groups, shaded means."""
        from surveyapp.analysis.banner import banner_means

        means = banner_means(table, words=result.words)
        suppressed = result.words["suppressed"]
        header = [result.words["item"]]
        for block_label, group in means.columns:
            n = pd.to_numeric(means.n[(block_label, group)], errors="coerce")
            same = n.notna().all() and n.nunique() == 1
            name = "" if group == block_label else f"{group} "  # a survey's block: n alone
            header.append(f"{name}(n = {int(n.iloc[0])})" if same else (name or str(group)))
        rows, shades = [], []
        for item in means.items:
            row, fills = [plain(str(item))], [None]
            for column in means.columns:
                hidden = bool(means.suppressed.loc[item, column])
                value = means.mean.loc[item, column]
                row.append(suppressed if hidden else self.cell(value, decimals=True))
                fills.append(None if hidden else self.shade(value, low, high))
            rows.append(row)
            shades.append(fills)
        return self.table(caption, header, rows, shades=shades,
                          blocks=[("", 1), *[(plain(b), k) for b, k in means.spans]])  # fmt: skip

    def coded_questions(self) -> list[tuple[str, str]]:
        """Return (question, coder) of each open question the annex shows."""
        from surveyapp.analysis.code_variables import counting_coder
        from surveyapp.analysis.open_answers import CodingError, open_questions
        from surveyapp.store.codings import Codebook

        asked = open_questions(self.questionnaires)
        surveys = set(self.request.surveys)
        if self.request.codes is not None:
            wanted = list(self.request.codes)
            for question in wanted:
                if question not in asked or not surveys <= set(asked[question]):
                    raise AnnexError(
                        f"'{question}' is not a free-text question of"
                        f" {', '.join(self.request.surveys)}"
                    )
        else:
            wanted = [q for q, where in asked.items() if surveys <= set(where)]
        found = []
        for question in wanted:
            try:
                found.append((question, counting_coder(Codebook(self.db, question))))
            except CodingError as error:
                if self.request.codes is not None:
                    raise AnnexError(str(error)) from None
        return found

    def open_answers_section(self) -> list:
        """Return the Open answers section: per coded question, frequencies, bars and quotes."""
        coded = self.coded_questions()
        if not coded:
            return []
        blocks = [Heading(self.words["open_answers"], 1)]
        for question, coder in coded:
            blocks += self.open_question(question, coder)
        return blocks

    def open_question(self, question: str, coder: str) -> list:
        """Return one coded question: its frequency table, bar chart, codes and quotes."""
        from surveyapp.analysis.open_answers import OpenQuestion

        r, words = self.request, self.words
        first = self.questionnaires[r.surveys[0]]
        label = plain(translate(first.question(question).label, self.language))
        open_question = OpenQuestion(self.db, self.questionnaires, question, r.surveys)
        tidy = open_question.frequency(coder, BY_SURVEY, r.min_cell)
        tidy = frequency_in(tidy, self.questionnaires, r.surveys, BY_SURVEY, self.language)
        blocks = [Heading(label, 2)]
        caption = words["frequency_caption"].format(question=label)
        blocks.append(self.frequency_table(tidy, caption))
        groups = list(dict.fromkeys(tidy["group"]))
        drawn = groups[1:] if len(groups) > 2 else groups[:1]
        if tidy["share"].notna().any():
            path = self.figure_path()
            figures.code_bars(tidy, path, drawn, words["share_axis"])
            blocks.append(self.figure(path, caption))
        whose = code_words(self.language)
        consensus = coder == open_question.codebook.counting_coder()
        coding = whose["consensus"] if consensus else whose["coder"].format(coder=coder)
        blocks.append(Paragraph(plain(words["frequency_note"].format(coding=coding))))
        blocks += self.code_quotes(open_question, coder, tidy)
        return blocks

    def frequency_table(self, tidy: pd.DataFrame, caption: str) -> Table:
        """Return the code frequency: a row per code, respondents and share per group."""
        analysis_words = words_in(self.language)
        groups = list(dict.fromkeys(tidy["group"]))
        header = [self.words["code"]]
        for group in groups:
            header += [self.words["respondents"].format(group=group),
                       self.words["share"].format(group=group)]  # fmt: skip
        rows = []
        for code, part in tidy.groupby("code", sort=False):
            cells = [plain(str(code))]
            for group in groups:
                cell = part[part["group"] == group].iloc[0]
                if bool(cell["suppressed"]):
                    cells += [analysis_words["suppressed"]] * 2
                    continue
                cells += [self.cell(cell["respondents"]),
                          self.cell(cell["share"], percent=True)]  # fmt: skip
            rows.append(cells)
        return self.table(caption, header, rows)

    def code_quotes(self, open_question, coder: str, tidy: pd.DataFrame) -> list:
        """Return each code with its description and up to three answers quoted, or why not."""
        min_cell = self.request.min_cell
        overall = tidy.drop_duplicates("code", keep="first").set_index("code")
        described = {c["name"]: c.get("description") or "" for c in open_question.codebook.codes()}
        quotes = open_question.quotes(coder, QUOTES_PER_CODE, BY_SURVEY, min_cell)
        uncoded = words_in(self.language)["uncoded"]
        blocks = []
        for code in overall.index:
            if code in (UNCODED, uncoded):
                continue
            blocks.append(Heading(plain(str(code)), 3))
            if described.get(code):
                blocks.append(Paragraph(plain(described[code])))
            mentioned = overall.loc[code, "respondents"]
            if pd.isna(mentioned) or int(mentioned) < min_cell:
                blocks.append(Paragraph(self.words["no_quotes"].format(min_cell=min_cell)))
                continue
            blocks += [Quote(plain(text)) for text in quotes.get(code, [])[:QUOTES_PER_CODE]]
        return blocks


def build_annex(db, questionnaires: dict, request: AnnexRequest, folder: Path) -> Annex:
    """Return the annex the request asks for, its figures drawn into ``folder``."""
    return AnnexBuilder(db, questionnaires, request, folder).build()

"""Report-ready files of a cross-tabulation: CSV, XLSX, Markdown tables and charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coding import crosstab as ct
from exports.csv import write_csv
from surveyapp.analysis.survey_tables import Crosstab, wide_distribution, wide_means
from surveyapp.questionnaire.dictionary import data_dictionary
from surveyapp.questionnaire.model import Questionnaire, translate
from surveyapp.store.responses import completed_responses

SUPPRESSED = "suppressed"


def notes_of(result: Crosstab, block) -> list[str]:
    """Return the lines written under a table: base, suppression rule, weighting."""
    notes = []
    if result.stat == "distribution":
        missing = [p.label for p in block.scale if p.missing]
        dk = f" ({', '.join(missing)} counted apart, not in the percentages)" if missing else ""
        notes.append(f"Percentages of the substantive answers; n = their number{dk}.")
    else:
        notes.append(
            "Mean rating (index) of those who rated the item, to two decimals; n = their"
            " number, in the group's header where it is the same for every item."
        )
    notes.append(
        f"Groups with fewer than {result.min_cell} answers are suppressed to preserve"
        " confidentiality."
    )
    if result.weighted and result.stat == "distribution":
        notes.append(
            f"Percentages and weighted counts {result.weighted}; n and counts are numbers"
            " of respondents."
        )
    elif result.weighted:
        notes.append(f"Means {result.weighted}; n is the number of respondents.")
    notes.append(f"Surveys: {', '.join(result.surveys)}; groups: {result.by}.")
    return notes


def display_table(result: Crosstab, table):
    """Return a block's wide table with suppressed cells spelt out, its % columns, and the
    columns shown to two decimals (means, weighted counts)."""
    if result.stat == "distribution":
        wide, percent_columns = wide_distribution(table, weighted=bool(result.weighted))
        suppressed = wide.pop("suppressed")
        value_columns = [c for c in wide.columns if c not in ("Item", "Group")]
        wide[value_columns] = wide[value_columns].astype(object)
        wide.loc[suppressed, value_columns] = SUPPRESSED
        weighted = [c for c in value_columns if str(c).endswith("(weighted count)")]
        return wide, percent_columns, weighted
    wide, mean_columns = wide_means(table, SUPPRESSED)
    for column in mean_columns:
        wide[column] = wide[column].map(
            lambda v: round(float(v), 2) if isinstance(v, int | float) and v == v else v
        )
    return wide, [], mean_columns


def table_blocks(result: Crosstab):
    """Return the crosstab as export blocks, one per question."""
    from exports.xlsx import TableBlock

    blocks = []
    for block, table in result.tables:
        wide, percent_columns, decimal_columns = display_table(result, table)
        blocks.append(
            TableBlock(
                name=block.question,
                title=block.label,
                table=wide,
                percent_columns=percent_columns,
                decimal_columns=decimal_columns,
                notes=notes_of(result, block),
            )
        )
    return blocks


def write_crosstab(result: Crosstab, fmt: str, target, db=None, questionnaires=None):
    """Write a crosstab as tidy CSV, a formatted workbook or Markdown tables."""
    if fmt == "csv":
        write_csv(result.tidy(), target)
        return
    if fmt == "md":
        from exports.markdown import write_markdown

        write_markdown(table_blocks(result), target)
        return
    from exports.xlsx import write_workbook

    responses = dictionary = None
    if db is not None and len(result.surveys) == 1:
        questionnaire = questionnaires[result.surveys[0]]
        responses = with_labels(completed_responses(db, questionnaire), questionnaire)
        dictionary = data_dictionary(questionnaire)
    write_workbook(
        target,
        table_blocks(result),
        responses=responses,
        dictionary=dictionary,
        title=f"Cross-tabulation of {', '.join(result.surveys)} by {result.by}",
    )


def chart_paths(result: Crosstab, output: str) -> list[Path]:
    """Return one output path per table: the path itself for one, FILE-QUESTION.ext for more."""
    path = Path(output)
    if len(result.tables) == 1:
        return [path]
    return [
        path.with_name(f"{path.stem}-{block.question}{path.suffix}") for block, _ in result.tables
    ]


def draw_chart(result: Crosstab, block, table, path):
    """Draw one block's chart: diverging agreement bars, or a heat table of indices."""
    from exports.charts import agreement_chart, heat_table

    if result.stat == "distribution":
        return agreement_chart(table, path, title=block.label, min_cell=result.min_cell)
    values = [p.value for p in block.scale if p.value is not None and not p.missing]
    ordered = ct.sort_by_overall(table)
    return heat_table(
        ordered,
        path,
        title=block.label,
        vmin=min(values, default=1),
        vmax=max(values, default=5),
        min_cell=result.min_cell,
    )


def draw_charts(result: Crosstab, output: str) -> list[Path]:
    """Draw a chart per table of the crosstab; return the files written."""
    written = []
    for (block, table), path in zip(result.tables, chart_paths(result, output), strict=True):
        if not np.any(~table["suppressed"]):
            continue
        written.append(Path(draw_chart(result, block, table, path)))
    return written


def write_responses_sav(frame, questionnaire, path):
    """Write the raw responses as an SPSS file: labels, analysis codes, missing, levels.

    Each choice is coded by its `value`, the number the workspace's means use (Agree = 4
    ... Disagree = 1), with its label; choices without a value are numbered as
    `value_codes` of the question's type says; "Do not know" (`missing: true`) is declared
    user-missing, so SPSS and PSPP leave it out of means as the workspace does. Scales are
    ordinal, other choices nominal, numbers and dates scale.
    """
    from exports.sav import write_sav

    frame = frame.copy()
    variable_labels = {"response_id": "Response number"}
    value_labels, codes, missing, measures = {}, {}, {}, {"response_id": "nominal"}
    for column in questionnaire.columns():
        question, kind = column.question, column.question.kind
        variable_labels[column.name] = column.label()
        measures[column.name] = kind.measure_of(question)
        frame[column.name] = kind.typed(frame[column.name])
        labels = kind.value_labels(question)
        if labels is not None:
            value_labels[column.name] = labels
            codes[column.name] = kind.value_codes(question)
            missing[column.name] = kind.missing_values(question)
    return write_sav(path, frame, variable_labels, value_labels, codes, missing, measures)


def with_labels(frame: pd.DataFrame, questionnaire: Questionnaire, language=None) -> pd.DataFrame:
    """Return a copy of the responses with stored values replaced by their labels."""
    labelled = frame.copy()
    for column in questionnaire.columns():
        labels = column.question.kind.value_labels(column.question, language)
        if labels is not None:
            values = frame[column.name].astype("object")
            labelled[column.name] = values.map(labels, na_action="ignore")
    return labelled


def write_responses_xlsx(frame, questionnaire, path):
    """Write the raw responses and the data dictionary as a workbook."""
    from exports.xlsx import write_workbook

    write_workbook(
        path, [], responses=frame, dictionary=data_dictionary(questionnaire),
        title=translate(questionnaire.title),
    )  # fmt: skip

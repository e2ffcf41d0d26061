"""Report-ready files of a cross-tabulation: CSV, XLSX, Markdown tables and charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coding import crosstab as ct
from exports.csv import write_csv
from surveyapp.analysis.survey_tables import Crosstab, wide_distribution, wide_means
from surveyapp.analysis.words import (
    chart_words,
    choice_labels,
    label_language,
    language_names,
    words_in,
)
from surveyapp.questionnaire.dictionary import data_dictionary
from surveyapp.questionnaire.model import Questionnaire, translate
from surveyapp.store.responses import completed_responses


def notes_of(result: Crosstab, block) -> list[str]:
    """Return the lines written under a table: base, suppression rule, weighting."""
    words, notes = result.words, []
    if result.stat == "distribution":
        missing = [p.label for p in block.scale if p.missing]
        apart = words["counted_apart"].format(missing=", ".join(missing)) if missing else ""
        notes.append(words["percent_note"].format(apart=apart))
    else:
        notes.append(words["mean_note"])
    notes.append(words["min_cell_note"].format(min_cell=result.min_cell))
    stat = "percent" if result.stat == "distribution" else "mean"
    if result.weight:
        notes.append(words[f"weighted_{stat}_note"].format(column=result.weight))
    elif result.poststratify:
        notes.append(words[f"poststratified_{stat}_note"].format(column=result.poststratify))
    notes.append(words["surveys_note"].format(surveys=", ".join(result.surveys), by=result.by))
    if result.banner:
        notes.append(words["banner_note"])
    notes += [
        words["left_out_note"].format(block=b.label, groups=", ".join(b.left_out_labels))
        for b in result.banner
        if b.left_out_labels
    ]
    notes += [note for note in [result.overlap_note] if note] + [
        f"{b.label}: {part.overlap_note}"
        for b, part in zip(result.banner, result.block_responses, strict=True)
        if part.overlap_note
    ]
    return notes


def display_table(result: Crosstab, table):
    """Return a block's wide table with suppressed cells spelt out, its % columns, and the
    columns shown to two decimals (means, weighted counts), headed in the crosstab's language."""
    words = result.words
    if result.stat == "distribution":
        wide, percent_columns = wide_distribution(table, bool(result.weighted), words)
        suppressed = wide.pop("suppressed")
        labels = (words["item"], words.get("block"), words["group"])
        value_columns = [c for c in wide.columns if c not in labels]
        wide[value_columns] = wide[value_columns].astype(object)
        wide.loc[suppressed, value_columns] = words["suppressed"]
        weighted_heading = words["weighted_count"].format(label="")
        weighted = [c for c in value_columns if str(c).endswith(weighted_heading)]
        return wide, percent_columns, weighted
    wide, mean_columns = wide_means(table, words["suppressed"], words)
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
                header_blocks=bool(result.banner) and result.stat == "mean",
            )
        )
    return blocks


def write_crosstab(result: Crosstab, fmt: str, target, db=None, questionnaires=None):
    """Write a crosstab as tidy CSV, a formatted workbook or Markdown, in its language."""
    if fmt == "csv":
        write_csv(result.tidy(), target)
        return
    if fmt == "md":
        from exports.markdown import write_markdown

        write_markdown(table_blocks(result), target)
        return
    from exports.xlsx import write_workbook

    words, language = result.words, result.language
    responses = dictionary = None
    if db is not None and len(result.surveys) == 1:
        questionnaire = questionnaires[result.surveys[0]]
        responses = with_labels(completed_responses(db, questionnaire), questionnaire, language)
        dictionary = data_dictionary(questionnaire, language)
    write_workbook(
        target,
        table_blocks(result),
        responses=responses,
        dictionary=dictionary,
        title=words["crosstab_title"].format(surveys=", ".join(result.surveys), by=result.by),
        data_sheets=(words["sheet_responses"], words["sheet_dictionary"]),
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

    words = chart_words(result.language)
    if result.stat == "distribution":
        return agreement_chart(
            result.shown(table), path, title=block.label, min_cell=result.min_cell, words=words
        )
    values = [p.value for p in block.scale if p.value is not None and not p.missing]
    ordered = result.shown(ct.sort_by_overall(table))
    return heat_table(
        ordered,
        path,
        title=block.label,
        vmin=min(values, default=1),
        vmax=max(values, default=5),
        min_cell=result.min_cell,
        words=words,
    )


def draw_charts(result: Crosstab, output: str) -> list[Path]:
    """Draw a chart per table of the crosstab; return the files written."""
    written = []
    for (block, table), path in zip(result.tables, chart_paths(result, output), strict=True):
        if not np.any(~table["suppressed"]):
            continue
        written.append(Path(draw_chart(result, block, table, path)))
    return written


RESPONSE_FORMATS = ("csv", "xlsx", "sav")


def write_responses_sav(frame, questionnaire, path, language=None):
    """Write the raw responses as an SPSS file: labels, analysis codes, missing, levels.

    Each choice is coded by its `value`, the number the workspace's means use (Agree = 4
    ... Disagree = 1), with its label; choices without a value are numbered as
    `value_codes` of the question's type says; "Do not know" (`missing: true`) is declared
    user-missing, so SPSS and PSPP leave it out of means as the workspace does. Scales are
    ordinal, other choices nominal, numbers and dates scale. The language answered in is a
    text variable (en, fr, es) labelled with the languages' names, blank (not recorded)
    declared missing. Labels are in ``language`` (by default the questionnaire's first).
    """
    from exports.sav import write_sav

    words = words_in(label_language([questionnaire], language))
    frame = frame.copy()
    variable_labels = {"response_id": words["response_id"], "language": words["language"]}
    value_labels, codes, missing = {}, {}, {}
    measures = {"response_id": "nominal", "language": "nominal"}
    text_labels = {"language": language_names(questionnaire.languages, language)}
    for column in questionnaire.columns():
        question, kind = column.question, column.question.kind
        variable_labels[column.name] = column.label(language)
        measures[column.name] = kind.measure_of(question)
        frame[column.name] = kind.typed(frame[column.name])
        labels = choice_labels(question, language)
        if labels is not None:
            value_labels[column.name] = labels
            codes[column.name] = kind.value_codes(question)
            missing[column.name] = kind.missing_values(question)
    return write_sav(
        path, frame, variable_labels, value_labels, codes, missing, measures, text_labels
    )


def with_labels(frame: pd.DataFrame, questionnaire: Questionnaire, language=None) -> pd.DataFrame:
    """Return a copy of the responses with stored values replaced by their labels.

    Choices, the multiple choices' chosen and not chosen, and the language answered in
    (its name) are written in ``language`` (by default the questionnaire's first).
    """
    labelled = frame.copy()
    if "language" in frame:
        names = language_names(questionnaire.languages, language)
        labelled["language"] = frame["language"].map(lambda code: names.get(code, code))
    for column in questionnaire.columns():
        labels = choice_labels(column.question, language)
        if labels is not None:
            values = frame[column.name].astype("object")
            labelled[column.name] = values.map(labels, na_action="ignore")
    return labelled


def write_responses_xlsx(frame, questionnaire, path, language=None):
    """Write the raw responses and the data dictionary as a workbook, in a language."""
    from exports.xlsx import write_workbook

    words = words_in(label_language([questionnaire], language))
    write_workbook(
        path, [], responses=frame, dictionary=data_dictionary(questionnaire, language),
        title=translate(questionnaire.title, language),
        data_sheets=(words["sheet_responses"], words["sheet_dictionary"]),
    )  # fmt: skip


def write_responses(frame, questionnaire, fmt: str, target, labels=False, language=None):
    """Write the raw responses as CSV, XLSX or SAV, as `surveyapp export` and the workspace do.

    CSV and XLSX hold choice names, or with ``labels`` choice labels (and language names);
    SAV always has codes with value labels. ``language`` must be one of the questionnaire's
    (LanguageError otherwise); SAV raises ValueError for choices that share a code.
    """
    language = label_language([questionnaire], language)
    if fmt == "sav":
        return write_responses_sav(frame, questionnaire, target, language)
    if labels:
        frame = with_labels(frame, questionnaire, language)
    if fmt == "xlsx":
        return write_responses_xlsx(frame, questionnaire, target, language)
    return write_csv(frame, target)

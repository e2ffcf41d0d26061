"""How many respondents mention each code, on the page and as CSV."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
from flask import abort, current_app, flash, render_template, request
from flask_babel import gettext

from coding.confidentiality import MIN_CELL
from coding.frequency import frequency_table
from coding.tidy import FREQUENCY_COLUMNS
from surveyapp.analysis.code_variables import FORMATS as VARIABLE_FORMATS
from surveyapp.analysis.code_variables import code_variables
from surveyapp.analysis.groups import BY_LANGUAGE, BY_SURVEY, groupings
from surveyapp.analysis.open_answers import (
    CodingError,
    OpenQuestion,
)
from surveyapp.store.decisions import PROPOSED
from surveyapp.web.coding.common import (
    back,
    bp,
    question_named,
    signed_in_coder,
)
from surveyapp.web.downloads import attachment

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}


def _frequency(open_question: OpenQuestion):
    """Return the coder, grouping and minimum cell the query asks for, and the frequency."""
    coders = open_question.codebook.coders()
    coder = request.args.get("coder") or open_question.codebook.counting_coder()
    coder = coder or (signed_in_coder() if signed_in_coder() in coders else None)
    coder = coder or (coders[0] if coders else signed_in_coder())
    by = request.args.get("by", "survey")
    min_cell = request.args.get("min_cell", MIN_CELL, type=int)
    return coder, by, min_cell, open_question.frequency(coder, by, min_cell)


def _offered(open_question: OpenQuestion) -> list[tuple[str, str]]:
    """Return the groupings that work for the question's surveys, labelled for the page."""
    own = {BY_SURVEY: gettext("Survey"), BY_LANGUAGE: gettext("Language answered in")}
    found = groupings(current_app.extensions["questionnaires"], open_question.surveys)
    return [(by, own.get(by, label)) for by, label in found]


def _unknown_grouping(question: str, offered: list[tuple[str, str]]):
    """Return a redirect to the page grouped by survey when the URL asks for another
    grouping than those offered, else None."""
    by = request.args.get("by", BY_SURVEY)
    if by in dict(offered):
        return None
    flash(
        gettext(
            "The answers cannot be grouped by “%(by)s” for these surveys: choose one of"
            " the groupings offered.",
            by=by[:60],
        )
    )
    kept = {key: value for key, value in request.args.items() if key != "by"}
    return back(question, "coding.frequency", **kept)


def _rows(table, groups: list[str], bases: dict) -> list[dict]:
    """Return the table's rows for the page: per group, whole respondents and a share."""
    rows = []
    for code, row in table.iterrows():
        cells = []
        for group in groups:
            count, share = row[("respondents", group)], row[("share", group)]
            cells.append(
                {
                    "suppressed": bases[group] is None,
                    "respondents": None if pd.isna(count) else int(count),
                    "share": None if pd.isna(share) else float(share),
                }
            )
        rows.append({"code": code, "cells": cells})
    return rows


@bp.route("/<question>/frequency")
def frequency(question: str):
    """Show how many respondents mention each code, by survey or by a profile question."""
    open_question = question_named(question)
    offered = _offered(open_question)
    refused = _unknown_grouping(question, offered)
    if refused is not None:
        return refused
    try:
        coder, by, min_cell, tidy = _frequency(open_question)
    except CodingError as error:
        flash(str(error))
        return back(question, "coding.frequency")
    groups = list(dict.fromkeys(tidy["group"]))
    # each group's base, None where the group is suppressed
    bases = {
        row.group: None if row.suppressed else int(row.base)
        for row in tidy.drop_duplicates("group").itertuples()
    }
    return render_template(
        "coding/frequency.html",
        q=open_question,
        rows=_rows(frequency_table(tidy), groups, bases),
        groups=groups,
        bases=bases,
        coder=coder,
        coders=open_question.codebook.coders(),
        by=by,
        by_label=dict(offered)[by],
        min_cell=min_cell,
        offered=offered,
        formats=VARIABLE_FORMATS,
        proposed=sum(state == PROPOSED for state in open_question.codebook.states(coder).values()),
        quotes=open_question.quotes(coder, by=by, min_cell=min_cell) if not tidy.empty else {},
    )


@bp.route("/<question>/frequency.csv")
def frequency_csv(question: str):
    """Download the code frequency table as tidy CSV."""
    open_question = question_named(question)
    refused = _unknown_grouping(question, _offered(open_question))
    if refused is not None:
        return refused
    try:
        _coder_name, by, _min_cell, tidy = _frequency(open_question)
    except CodingError:
        abort(404)
    buffer = io.StringIO()
    from exports.csv import write_csv

    write_csv(tidy[FREQUENCY_COLUMNS], buffer)
    filename = f"{question}-codes-by-{by}.csv"
    return attachment(buffer.getvalue(), "text/csv", filename)


@bp.route("/<question>/code-variables.<fmt>")
@bp.route("/<question>/code-variables-dictionary.csv", defaults={"fmt": "dictionary"})
def code_variables_file(question: str, fmt: str):
    """Download the codes as variables (a 0/1 column per code) as CSV, XLSX or SPSS .sav,
    or their data dictionary as CSV."""
    if fmt not in (*VARIABLE_FORMATS, "dictionary"):
        abort(404)
    open_question = question_named(question)
    try:
        variables = code_variables(open_question, request.args.get("coder") or None)
    except CodingError as error:
        flash(str(error))
        return back(question, "coding.frequency")
    if fmt == "dictionary":
        from exports.csv import write_csv

        buffer = io.StringIO()
        write_csv(variables.dictionary(), buffer)
        name = f"{question}-code-variables-{variables.coder_}-dictionary.csv"
        return attachment(buffer.getvalue(), "text/csv", name)
    name = f"{question}-code-variables-{variables.coder_}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        variables.write(fmt, path)
        body = path.read_bytes()
    return attachment(body, MIMETYPES[fmt], name)

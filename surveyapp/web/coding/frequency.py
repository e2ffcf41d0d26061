"""How many respondents mention each code, on the page and as CSV."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, render_template, request

from coding.confidentiality import MIN_CELL
from coding.frequency import frequency_table
from coding.tidy import FREQUENCY_COLUMNS
from surveyapp.analysis.open_answers import (
    CodingError,
    OpenQuestion,
)
from surveyapp.web.coding.common import (
    back,
    bp,
    question_named,
    signed_in_coder,
)
from surveyapp.web.downloads import attachment


def _frequency(open_question: OpenQuestion):
    """Return the coder, grouping and minimum cell the query asks for, and the frequency."""
    coders = open_question.codebook.coders()
    coder = request.args.get("coder") or (
        signed_in_coder() if signed_in_coder() in coders else None
    )
    coder = coder or (coders[0] if coders else signed_in_coder())
    by = request.args.get("by", "survey")
    min_cell = request.args.get("min_cell", MIN_CELL, type=int)
    return coder, by, min_cell, open_question.frequency(coder, by, min_cell)


@bp.route("/<question>/frequency")
def frequency(question: str):
    """Show how many respondents mention each code, by survey or by a profile question."""
    open_question = question_named(question)
    try:
        coder, by, min_cell, tidy = _frequency(open_question)
    except CodingError as error:
        flash(str(error))
        return back(question, "coding.frequency")
    profile = sorted(
        {
            q.name
            for survey in open_question.surveys
            for q in current_app.extensions["questionnaires"][survey].questions
            if q.kind.single_choice
        }
    )
    return render_template(
        "coding/frequency.html",
        q=open_question,
        table=frequency_table(tidy),
        groups=list(dict.fromkeys(tidy["group"])),
        # each group's base, None where the group is suppressed
        bases={
            row.group: None if row.suppressed else int(row.base)
            for row in tidy.drop_duplicates("group").itertuples()
        },
        coder=coder,
        coders=open_question.codebook.coders(),
        by=by,
        min_cell=min_cell,
        profile=profile,
        quotes=open_question.quotes(coder, by=by, min_cell=min_cell) if not tidy.empty else {},
    )


@bp.route("/<question>/frequency.csv")
def frequency_csv(question: str):
    """Download the code frequency table as tidy CSV."""
    open_question = question_named(question)
    try:
        _coder_name, by, _min_cell, tidy = _frequency(open_question)
    except CodingError:
        abort(404)
    buffer = io.StringIO()
    from exports.csv import write_csv

    write_csv(tidy[FREQUENCY_COLUMNS], buffer)
    filename = f"{question}-codes-by-{by}.csv"
    return attachment(buffer.getvalue(), "text/csv", filename)

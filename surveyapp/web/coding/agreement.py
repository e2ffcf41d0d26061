"""Agreement between two coders of the same answers."""

from __future__ import annotations

from flask import render_template, request

from coding.agreement import agreement
from surveyapp.web.coding.common import (
    bp,
    question_named,
)


@bp.route("/<question>/agreement")
def agreement_view(question: str):
    """Compare two evaluators' coding: kappa per code and overall, alpha, disagreements."""
    open_question = question_named(question)
    coders = open_question.codebook.coders()
    first = request.args.get("a") or (coders[0] if coders else None)
    second = request.args.get("b") or (coders[1] if len(coders) > 1 else None)
    report, problem = None, None
    if first and second:
        try:
            report = agreement(open_question.codebook.agreement_input(), first, second)
        except ValueError as error:
            problem = str(error)
    return render_template(
        "coding/agreement.html",
        q=open_question,
        coders=coders,
        a=first,
        b=second,
        report=report,
        problem=problem,
    )

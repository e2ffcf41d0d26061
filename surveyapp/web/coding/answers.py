"""Answers with their codes: coding by hand, and accepting the machine's suggestions."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext

from surveyapp.web.coding.common import (
    answer_named,
    back,
    bp,
    question_named,
    signed_in_coder,
    whole,
)


@bp.route("/<question>/answers", methods=["GET", "POST"])
def answers(question: str):
    """List answers with their codes; tick codes to code, move or leave uncoded."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coder = signed_in_coder()
    if request.method == "POST":
        valid = {c["id"] for c in codebook.codes()}
        saved = 0
        for key in request.form.getlist("answer"):
            if (answer := answer_named(key, open_question)) is None:
                continue
            survey, response_id = answer
            chosen = {whole(v) for v in request.form.getlist(f"codes-{key}")} & valid
            before = codebook.codes_of(survey, response_id, coder)
            if chosen != before or request.form.get(f"reviewed-{key}"):
                codebook.set_codes(survey, response_id, chosen, coder)
                saved += 1
        flash(gettext("%(count)s answers saved.", count=saved))
        return redirect(request.full_path)
    show = request.args.get("show", "all")
    table = open_question.answers()
    coding = codebook.coding(coder)
    by_answer = coding.groupby(["survey", "response_id"]).code_id.apply(set).to_dict()
    reviewed = codebook.reviewed(coder)
    only_code = whole(show) if show not in ("all", "uncoded") else None
    rows = []
    for row in table.itertuples():
        key = (row.survey, row.response_id)
        mine = by_answer.get(key, set())
        if show == "uncoded" and (mine or key in reviewed):
            continue
        if only_code is not None and only_code not in mine:
            continue
        rows.append(
            {
                "survey": row.survey,
                "response_id": row.response_id,
                "text": row.text,
                "codes": mine,
                "reviewed": key in reviewed,
            }
        )
    return render_template(
        "coding/answers.html", q=open_question, rows=rows, codes=codebook.codes(), show=show
    )


@bp.route("/<question>/suggestions", methods=["GET", "POST"])
def suggestions(question: str):
    """Suggest codes for unreviewed answers from the evaluator's own coding; accept in bulk."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coder = signed_in_coder()
    if request.method == "POST":
        valid = {c["id"] for c in codebook.codes()}
        accepted = 0
        for key in request.form.getlist("accept"):
            answer = answer_named(key, open_question)
            code_id = whole(request.form.get(f"code-{key}"))
            confidence = request.form.get(f"confidence-{key}", type=float)
            if confidence is not None and not 0 <= confidence <= 1:  # also refuses nan
                confidence = None
            if answer is not None and code_id in valid:
                survey, response_id = answer
                codebook.accept(survey, response_id, code_id, coder, confidence)
                accepted += 1
        flash(gettext("%(count)s suggestions accepted.", count=accepted))
        return back(question, "coding.suggestions")
    try:
        table, suggester = open_question.suggestions(coder)
    except ValueError as error:
        flash(gettext("No suggestions yet: %(error)s.", error=error))
        return back(question)
    threshold = request.args.get("threshold", 0.5, type=float)
    return render_template(
        "coding/suggestions.html",
        q=open_question,
        rows=table.to_dict("records"),
        codes=codebook.codes(),
        skipped=suggester.skipped_codes_,
        threshold=threshold,
    )

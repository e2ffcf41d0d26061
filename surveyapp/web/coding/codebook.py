"""The list of open questions and a question's codebook: codes added, renamed, merged, split."""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import gettext

from surveyapp.analysis.open_answers import (
    ClusteringError,
    CodingError,
    open_questions,
)
from surveyapp.web.coding.common import (
    back,
    bp,
    question_named,
    signed_in_coder,
    whole,
)


@bp.route("/")
def questions():
    """List the open questions with how many answers each has."""
    rows = []
    for name in open_questions(current_app.extensions["questionnaires"]):
        open_question = question_named(name)
        rows.append((open_question, len(open_question.answers())))
    return render_template("coding/questions.html", rows=rows)


@bp.route("/<question>")
def workspace(question: str):
    """Show a question's codebook, its clusterings, and what can be done with them."""
    open_question = question_named(question)
    coding = open_question.codebook.coding(signed_in_coder())
    counts = coding.groupby("code_id").size().to_dict()
    answers = open_question.answers()
    reviewed = len(open_question.codebook.reviewed(signed_in_coder()))
    return render_template(
        "coding/workspace.html",
        q=open_question,
        languages=sorted(set(answers.language)),
        codes=open_question.codebook.codes(),
        counts=counts,
        answers=len(answers),
        coded=coding[["survey", "response_id"]].drop_duplicates().shape[0],
        reviewed=reviewed,
        clusterings=open_question.codebook.clusterings(),
        coders=open_question.codebook.coders(),
    )


@bp.route("/<question>/codes", methods=["POST"])
def add_code(question: str):
    """Add a code by hand."""
    open_question = question_named(question)
    try:
        open_question.codebook.add_code(
            request.form.get("name", ""),
            signed_in_coder(),
            request.form.get("description", "")[:2000],
        )
    except CodingError as error:
        flash(str(error))
    return back(question)


@bp.route("/<question>/codes/<int:code_id>", methods=["POST"])
def change_code(question: str, code_id: int):
    """Rename, describe, merge or split a code."""
    open_question = question_named(question)
    codebook = open_question.codebook
    action = request.form.get("action")
    try:
        if action == "save":
            codebook.code(code_id)
            name = request.form.get("name", "")
            if name.strip() != codebook.code(code_id)["name"]:
                codebook.rename(code_id, name, signed_in_coder())
            codebook.describe(
                code_id, request.form.get("description", "")[:2000], signed_in_coder()
            )
        elif action == "merge":
            target = whole(request.form.get("into"))
            if target is None:
                raise CodingError(gettext("choose the code to merge into"))
            codebook.merge(code_id, target, signed_in_coder())
        elif action == "split":
            parts = whole(request.form.get("parts"), 2, 20)
            if parts is None:
                raise CodingError(gettext("split into 2 to 20 codes"))
            created = open_question.split(code_id, parts, signed_in_coder())
            flash(
                gettext("Split into %(count)s codes; check and rename them.", count=len(created))
            )
        else:
            raise CodingError(gettext("unknown action"))
    except (CodingError, ClusteringError) as error:
        flash(str(error))
    return back(question)

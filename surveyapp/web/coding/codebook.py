"""The open questions and a question's shared codebook: its codes, changes and history.

Codes are added, renamed, merged (and unmerged), split and deleted here; merging and
deleting ask first, on a page of their own that works without JavaScript.
"""

from __future__ import annotations

import io

import pandas as pd
from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext

from exports.csv import write_csv
from surveyapp.analysis.open_answers import (
    ClusteringError,
    CodingError,
    open_questions,
)
from surveyapp.store.connection import get_db
from surveyapp.store.decisions import CODED, PROPOSED, UNCODED
from surveyapp.store.jobs import active_job
from surveyapp.web.coding.common import (
    back,
    bp,
    question_named,
    signed_in_coder,
    whole,
)
from surveyapp.web.downloads import attachment

HISTORY_PAGE = 50  # codebook events on a page of its history


@bp.route("/")
def questions():
    """List the open questions with how many answers each has."""
    rows = []
    for name in open_questions(current_app.extensions["questionnaires"]):
        open_question = question_named(name)
        rows.append((open_question, len(open_question.answers())))
    return render_template("coding/questions.html", rows=rows)


def review_counts(codebook, keys: set, coder: str) -> dict[str, int]:
    """Return how many of these answers are in each review state for a coder."""
    counts = {PROPOSED: 0, CODED: 0, UNCODED: 0}
    for key, state in codebook.states(coder).items():
        if key in keys and state in counts:
            counts[state] += 1
    counts["todo"] = len(keys) - sum(counts.values())
    return counts


@bp.route("/<question>")
def workspace(question: str):
    """Show a question's codebook, your progress, its clusterings and its recent changes."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coder = signed_in_coder()
    coding = codebook.coding(coder)
    answers = open_question.answers()
    keys = set(zip(answers.survey, answers.response_id.astype(int), strict=True))
    coders = codebook.coders()
    progress = []
    if len(set(coders) | {coder}) > 1:
        for name in coders:
            reviewed = codebook.reviewed(name) & keys
            progress.append((name, len(reviewed)))
    last = codebook.events(limit=1)
    return render_template(
        "coding/workspace.html",
        q=open_question,
        languages=sorted(set(answers.language)),
        codes=codebook.codes(),
        counts=coding.groupby("code_id").size().to_dict(),
        answers=len(answers),
        states=review_counts(codebook, keys, coder),
        non_answers=int(answers.non_answer.sum()) if "non_answer" in answers else None,
        walk_url=url_for("coding.walk", question=question, state=PROPOSED),
        progress=progress,
        clusterings=codebook.clusterings(),
        coders=coders,
        version=codebook.version(),
        last=last[0] if last else None,
        merges=codebook.merges(),
        running=active_job(get_db(), question),
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
    """Rename, describe, merge, split or delete a code (merge and delete once confirmed)."""
    open_question = question_named(question)
    codebook = open_question.codebook
    action = request.form.get("action")
    confirmed = request.form.get("confirm") == "1"
    try:
        if action == "save":
            name = request.form.get("name", "")
            if " ".join(name.split()) != codebook.code(code_id)["name"]:
                codebook.rename(code_id, name, signed_in_coder())
            codebook.describe(
                code_id, request.form.get("description", "")[:2000], signed_in_coder()
            )
        elif action == "merge":
            target = whole(request.form.get("into"))
            if target is None:
                raise CodingError(gettext("choose the code to merge into"))
            if not confirmed:
                return back(question, "coding.confirm_merge", code_id=code_id, into=target)
            source_name = codebook.code(code_id)["name"]
            codebook.merge(code_id, target, signed_in_coder())
            flash(
                gettext(
                    "“%(source)s” merged into “%(target)s”. You can undo this below.",
                    source=source_name,
                    target=codebook.code(target)["name"],
                )
            )
        elif action == "delete":
            if not confirmed:
                return back(question, "coding.confirm_delete", code_id=code_id)
            name = codebook.code(code_id)["name"]
            lost = codebook.delete_code(code_id, signed_in_coder())
            flash(
                gettext(
                    "Code “%(name)s” deleted; %(count)s coded answers lost it.",
                    name=name,
                    count=lost,
                )
            )
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


@bp.route("/<question>/codes/<int:code_id>/merge")
def confirm_merge(question: str, code_id: int):
    """Ask before merging a code into another, saying how many answers each carries."""
    open_question = question_named(question)
    target = whole(request.args.get("into"))
    try:
        if target is None:
            raise CodingError(gettext("choose the code to merge into"))
        preview = open_question.codebook.merge_preview(code_id, target)
    except CodingError as error:
        flash(str(error))
        return back(question)
    return render_template("coding/confirm_merge.html", q=open_question, **preview)


@bp.route("/<question>/codes/<int:code_id>/delete")
def confirm_delete(question: str, code_id: int):
    """Ask before deleting a code, saying how many answers of how many coders lose it."""
    open_question = question_named(question)
    try:
        preview = open_question.codebook.deletion_preview(code_id)
    except CodingError as error:
        flash(str(error))
        return back(question)
    return render_template("coding/confirm_delete.html", q=open_question, **preview)


@bp.route("/<question>/merges/<int:merge_id>/undo", methods=["POST"])
def undo_merge(question: str, merge_id: int):
    """Undo a merge: the merged code is back, with its answers."""
    open_question = question_named(question)
    try:
        restored = open_question.codebook.undo_merge(merge_id, signed_in_coder())
    except CodingError as error:
        flash(str(error))
        return back(question)
    flash(gettext("Merge undone; %(count)s coded answers have their code back.", count=restored))
    return back(question)


@bp.route("/<question>/history")
def history(question: str):
    """List every change to the codebook (who, what, when), newest first, a page at a time."""
    open_question = question_named(question)
    codebook = open_question.codebook
    version = codebook.version()
    pages = max(1, -(-version // HISTORY_PAGE))
    page = whole(request.args.get("page", "1"), 1, pages)
    if page is None:
        abort(404)
    events = codebook.events(limit=HISTORY_PAGE, offset=(page - 1) * HISTORY_PAGE)
    for number, event in enumerate(events):
        event["version"] = version - (page - 1) * HISTORY_PAGE - number
    return render_template(
        "coding/history.html",
        q=open_question,
        events=events,
        version=version,
        page=page,
        pages=pages,
    )


@bp.route("/<question>/codebook.csv")
def codebook_csv(question: str):
    """Download the codebook as it is now: one row per code, with its version."""
    open_question = question_named(question)
    codebook = open_question.codebook
    version = codebook.version()
    columns = ["name", "description", "origin", "created_by", "created_at"]
    table = pd.DataFrame(codebook.codes(), columns=columns).assign(version=version)
    out = io.StringIO()
    write_csv(table, out)
    return attachment(out.getvalue(), "text/csv", f"codebook-{question}-v{version}.csv")


@bp.app_template_filter("when")
def when(at: str | None) -> str:
    """Show a stored time as date and minutes."""
    return (at or "")[:16].replace("T", " ")

"""The workspace's annex: the Word document of the Cross-tabs page's current choices."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, request

from surveyapp.analysis.groups import BY_SURVEY
from surveyapp.report.command import write_annex
from surveyapp.report.content import AnnexError, AnnexRequest
from surveyapp.store.connection import get_db
from surveyapp.web.auth import login_required
from surveyapp.web.downloads import attachment

bp = Blueprint("annex", __name__, url_prefix="/evaluate/crosstabs")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.before_request
@login_required
def _signed_in():
    """The annex needs a signed-in evaluator."""


def _request_annex() -> AnnexRequest:
    """Return the annex the query string asks for, with the Cross-tabs page's arguments:
    survey (repeated), by, min_cell, lang, and banner and question (repeated) if given."""
    questionnaires = current_app.extensions["questionnaires"]
    surveys = [s for s in request.args.getlist("survey") if s in questionnaires]
    return AnnexRequest(
        surveys or list(questionnaires),
        by=request.args.get("by", BY_SURVEY),
        banner=request.args.get("banner") or None,
        questions=request.args.getlist("question"),
        min_cell=request.args.get("min_cell", 5, type=int) or 5,
        language=request.args.get("lang") or None,
    )


@bp.route("/annex.docx")
def download():
    """Download the survey annex (Word) for the surveys, grouping and language chosen."""
    annex = _request_annex()
    name = f"annex-{'-'.join(annex.surveys)}-{annex.language or 'default'}.docx"
    with tempfile.TemporaryDirectory(prefix="annex-") as folder:
        path = Path(folder) / name
        try:
            write_annex(get_db(), current_app.extensions["questionnaires"], annex, path)
        except AnnexError as problem:
            abort(400, str(problem))
        body = path.read_bytes()
    return attachment(body, DOCX, name)

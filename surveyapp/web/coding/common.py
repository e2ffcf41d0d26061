"""What every page of the coding workspace shares: its blueprint, sign-in, and form readers."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, url_for
from flask_babel import gettext

from surveyapp.analysis.open_answers import CodingError, OpenQuestion
from surveyapp.store.connection import get_db
from surveyapp.store.consensus import CONSENSUS
from surveyapp.web.auth import login_required

bp = Blueprint("coding", __name__, url_prefix="/evaluate/coding")
MAX_CLUSTERS = 50


@bp.before_request
@login_required
def _signed_in():
    """Every page of the coding workspace needs a signed-in evaluator who may code.

    An account made before the name 'consensus' was kept for the consensus coding would
    code as the consensus: it is refused here (forbidden) until it is renamed.
    """
    if g.evaluator["name"].strip().casefold() == CONSENSUS:
        abort(
            403,
            description=gettext(
                "This account's name is kept for the consensus coding of two coders: it cannot"
                " code. Make an account under another name (surveyapp add-evaluator)."
            ),
        )


def question_named(name: str) -> OpenQuestion:
    """Return the open question a URL names, or answer 404."""
    try:
        return OpenQuestion(get_db(), current_app.extensions["questionnaires"], name)
    except CodingError:
        abort(404)


def signed_in_coder() -> str:
    """Return the signed-in evaluator's name, under which they code."""
    return g.evaluator["name"]


def whole(value, low=None, high=None) -> int | None:
    """Return a form value as a whole number within bounds, or None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def answer_named(key: str, open_question: OpenQuestion) -> tuple[str, int] | None:
    """Return the (survey, response_id) a form's answer key names, if it is one of ours."""
    survey, _, rid = key.partition(":")
    response_id = whole(rid, 1)
    if survey not in open_question.surveys or response_id is None:
        return None
    return survey, response_id


def back(question: str, endpoint="coding.workspace", **args):
    """Redirect to a page of the question's workspace."""
    return redirect(url_for(endpoint, question=question, **args))

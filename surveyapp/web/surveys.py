"""The evaluator workspace: response dashboards per survey."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from surveyapp.questionnaire.model import Questionnaire, translate
from surveyapp.store.connection import get_db
from surveyapp.store.invitations import attribute_keys
from surveyapp.store.rates import response_rates
from surveyapp.store.responses import answer_counts, response_count
from surveyapp.web.auth import login_required

bp = Blueprint("surveys", __name__, url_prefix="/evaluate")


@bp.before_request
@login_required
def _signed_in():
    """Every page of the workspace needs a signed-in evaluator."""


def surveys() -> dict[str, Questionnaire]:
    """Return the questionnaires served, keyed by survey id."""
    return current_app.extensions["questionnaires"]


def questionnaire_or_404(survey_id: str) -> Questionnaire:
    """Return a survey's questionnaire, or answer 404."""
    questionnaire = surveys().get(survey_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


def profile_counts(questionnaire: Questionnaire) -> list[dict]:
    """Return completed responses per answer of each single-choice question of the first page."""
    db = get_db()
    total = response_count(db, questionnaire.id)
    breakdowns = []
    for question in questionnaire.pages[0].questions:
        if not question.kind.single_choice:
            continue
        counts = answer_counts(db, questionnaire.id, question.name)
        rows = [
            {"label": translate(c.label), "completed": counts.get(c.name, 0)}
            for c in question.choices
        ]
        rows.append({"label": "(no answer)", "completed": counts.get(None, 0)})
        for row in rows:
            row["share"] = row["completed"] / total if total else None
        breakdowns.append({"question": question, "rows": rows})
    return breakdowns


@bp.route("/")
def dashboard():
    """List the surveys with their response counts and rates."""
    db = get_db()
    rows = []
    for survey_id, questionnaire in surveys().items():
        [overall] = response_rates(db, survey_id)
        overall["responses"] = response_count(db, survey_id)
        rows.append((questionnaire, overall))
    return render_template("surveys/dashboard.html", rows=rows)


@bp.route("/surveys/<survey_id>")
def survey(survey_id: str):
    """Show a survey's response rate overall, per invitation attribute and per profile answer."""
    questionnaire = questionnaire_or_404(survey_id)
    db = get_db()
    [overall] = response_rates(db, survey_id)
    by_attribute = {
        key: response_rates(db, survey_id, key) for key in attribute_keys(db, survey_id)
    }
    return render_template(
        "surveys/survey.html",
        questionnaire=questionnaire,
        overall=overall,
        responses=response_count(db, survey_id),
        by_attribute=by_attribute,
        profile=profile_counts(questionnaire),
    )

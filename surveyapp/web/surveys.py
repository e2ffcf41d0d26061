"""The evaluator workspace: response dashboards per survey, and downloads of the responses."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext

from exports.csv import write_csv
from surveyapp.analysis.report_files import RESPONSE_FORMATS, write_responses
from surveyapp.analysis.words import (
    LanguageError,
    label_language,
    language_choices,
    language_name,
)
from surveyapp.questionnaire.dictionary import data_dictionary
from surveyapp.questionnaire.model import Questionnaire, translate
from surveyapp.store.connection import get_db
from surveyapp.store.invitations import attribute_keys
from surveyapp.store.rates import BY_LANGUAGE, language_counts, response_rates
from surveyapp.store.responses import answer_counts, completed_responses, response_count
from surveyapp.web.auth import login_required
from surveyapp.web.downloads import attachment

bp = Blueprint("surveys", __name__, url_prefix="/evaluate")
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}


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


def requested_language(questionnaires: list[Questionnaire]) -> str:
    """Return the language `?lang=` asks to label in (default: the first's first), or 400."""
    try:
        return label_language(questionnaires, request.args.get("lang") or None)
    except LanguageError as error:
        abort(400, str(error))


def _named(rows: list[dict], key: str) -> list[dict]:
    """Return rows whose `key` holds a language code with the code named in English."""
    return [
        {**row, key: row[key] if row[key] in (None, "(none)") else language_name(row[key])}
        for row in rows
    ]


@bp.route("/surveys/<survey_id>")
def survey(survey_id: str):
    """Show a survey's response rate overall, per invitation attribute, per language and per
    profile answer, with the downloads of its responses."""
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
        by_link_language=_named(response_rates(db, survey_id, BY_LANGUAGE), "group"),
        by_language=_named(language_counts(db, survey_id), "language"),
        profile=profile_counts(questionnaire),
        languages=language_choices(questionnaire.languages),
    )


@bp.route("/surveys/<survey_id>/responses.<fmt>")
def responses_file(survey_id: str, fmt: str):
    """Download the completed responses as CSV, Excel or SPSS, labelled in `?lang=`, as
    `surveyapp export` writes them (`?labels=1`: choice labels instead of names)."""
    questionnaire = questionnaire_or_404(survey_id)
    if fmt not in RESPONSE_FORMATS:
        abort(404)
    language = requested_language([questionnaire])
    labels = bool(request.args.get("labels"))
    name = f"{survey_id}-responses-{language}.{fmt}"
    frame = completed_responses(get_db(), questionnaire)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        try:
            write_responses(frame, questionnaire, fmt, path, labels, language)
        except ValueError as error:
            abort(
                400,
                gettext("%(survey)s: no file written: %(error)s", survey=survey_id, error=error),
            )
        return attachment(path.read_bytes(), MIMETYPES[fmt], name)


@bp.route("/surveys/<survey_id>/dictionary.csv")
def dictionary_file(survey_id: str):
    """Download the data dictionary, labelled in `?lang=`, as `surveyapp dictionary` writes it."""
    questionnaire = questionnaire_or_404(survey_id)
    language = requested_language([questionnaire])
    name = f"{survey_id}-dictionary-{language}.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        write_csv(data_dictionary(questionnaire, language), path)
        return attachment(path.read_bytes(), MIMETYPES["csv"], name)


@bp.route("/surveys/<survey_id>/xlsform.xlsx")
def xlsform_file(survey_id: str):
    """Download the questionnaire as an XLSForm, as `surveyapp export-xlsform` writes it."""
    from surveyapp.xlsform.errors import XLSFormError
    from surveyapp.xlsform.exporting import export_xlsform

    questionnaire = questionnaire_or_404(survey_id)
    body = io.BytesIO()
    try:
        export_xlsform(questionnaire, body)
    except XLSFormError as error:  # a condition XLSForm cannot write
        abort(
            400, gettext("%(survey)s: no file written: %(error)s", survey=survey_id, error=error)
        )
    return attachment(body.getvalue(), MIMETYPES["xlsx"], f"{survey_id}-xlsform.xlsx")

"""The workspace's cross-tabulations: tables, charts and downloads per survey and group."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext

from exports.blocks import header_rows
from surveyapp.analysis.groups import BY_LANGUAGE, BY_SURVEY, CODE_PREFIX, groupings
from surveyapp.analysis.report_files import display_table, draw_chart, notes_of, write_crosstab
from surveyapp.analysis.survey_tables import CrosstabError, make_crosstab
from surveyapp.analysis.words import language_choices, shared_languages
from surveyapp.questionnaire.model import translate
from surveyapp.store.connection import get_db
from surveyapp.web.auth import login_required
from surveyapp.web.downloads import attachment

bp = Blueprint("crosstabs", __name__, url_prefix="/evaluate/crosstabs")
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown",
}
CHARTS = {"png": "image/png", "svg": "image/svg+xml"}


@bp.before_request
@login_required
def _signed_in():
    """Every cross-tabulation needs a signed-in evaluator."""


def _request_crosstab(questions=None):
    """Return the crosstab the query string asks for, labelled in `?lang=` (as the CLI's
    --lang; by default the first survey's first language). A `?banner=` puts its blocks
    side by side instead of the groups of `?by=`, which it overrides."""
    questionnaires = current_app.extensions["questionnaires"]
    surveys = [s for s in request.args.getlist("survey") if s in questionnaires]
    surveys = surveys or list(questionnaires)
    banner = request.args.get("banner", "").strip() or None
    by = BY_SURVEY if banner else request.args.get("by", BY_SURVEY)
    stat = request.args.get("stat", "distribution")
    min_cell = request.args.get("min_cell", 5, type=int)
    language = request.args.get("lang") or None
    return make_crosstab(
        get_db(), questionnaires, surveys, by, stat, min_cell if min_cell else 5, questions,
        language=language, banner=banner,
    )  # fmt: skip


def _banner_examples(surveys: list[str], group_choices) -> list[str]:
    """Return banners to offer for these surveys: each whole, then each by a grouping."""
    wholes = ", ".join(surveys)
    examples = [wholes]
    for by, _label in group_choices:
        if by != BY_SURVEY and not by.startswith(CODE_PREFIX):
            examples.append(", ".join([surveys[0], f"{surveys[0]} by {by}", *surveys[1:]]))
    return examples


def _group_choices(surveys: list[str]) -> list[tuple[str, str]]:
    """Return the groupings that work for all the surveys, labelled with their questions,
    then the codes of each open question they all ask that has a coding to count."""
    from surveyapp.analysis.code_variables import counting_coder
    from surveyapp.analysis.open_answers import CodingError, open_questions
    from surveyapp.store.codings import Codebook

    questionnaires = current_app.extensions["questionnaires"]
    own = {BY_SURVEY: gettext("Survey"), BY_LANGUAGE: gettext("Language answered in")}
    choices = [(by, own.get(by, label)) for by, label in groupings(questionnaires, surveys)]
    for question, asked in open_questions(questionnaires).items():
        if not set(surveys) <= set(asked):
            continue
        try:
            counting_coder(Codebook(get_db(), question))
        except CodingError:
            continue
        label = translate(questionnaires[surveys[0]].question(question).label)
        choices.append((f"{CODE_PREFIX}{question}", gettext("Codes of “%(label)s”", label=label)))
    return choices


@bp.route("/")
def tables():
    """Show the cross-tabulation the evaluator chose, with charts and download links."""
    questionnaires = current_app.extensions["questionnaires"]
    error, result, shown = None, None, []
    try:
        result = _request_crosstab()
    except CrosstabError as problem:
        error = str(problem)
    if result is not None:
        for block, table in result.tables:
            wide, percent_columns, decimal_columns = display_table(result, table)
            tests = result.tests(block).to_dict("records")
            left_out = {t["left_out"] for t in tests}
            columns = list(wide.columns)
            two_level = bool(columns) and isinstance(columns[0], tuple)
            shown.append(
                {
                    "block": block,
                    "wide": wide,
                    "header": header_rows(columns) if two_level else None,
                    "percent_columns": percent_columns,
                    "decimal_columns": decimal_columns,
                    "notes": notes_of(result, block),
                    "has_numbers": bool((~table["suppressed"]).any()),
                    "tests": tests,
                    # the groups left out of every test, said once under the tests
                    "left_out": left_out.pop() if len(left_out) == 1 else "",
                }
            )
    surveys = result.surveys if result else list(questionnaires)
    languages = shared_languages(questionnaires[s] for s in surveys)
    group_choices = _group_choices(surveys)
    return render_template(
        "crosstabs/tables.html",
        questionnaires=questionnaires,
        result=result,
        shown=shown,
        error=error,
        surveys=surveys,
        group_choices=group_choices,
        banner_examples=_banner_examples(surveys, group_choices),
        languages=language_choices(languages),
        language=result.language if result else None,
        args=request.args,
        query=request.query_string.decode(),
    ), (400 if error else 200)


@bp.route("/download.<fmt>")
def download(fmt: str):
    """Download the cross-tabulation as tidy CSV, a workbook or Markdown."""
    if fmt not in FORMATS:
        abort(404)
    try:
        result = _request_crosstab()
    except CrosstabError as problem:
        abort(400, str(problem))
    grouping = "banner" if result.banner else f"by-{result.by}"
    name = f"crosstab-{'-'.join(result.surveys)}-{grouping}-{result.stat}-{result.language}.{fmt}"
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            write_crosstab(result, fmt, path, get_db(), current_app.extensions["questionnaires"])
            body = path.read_bytes()
    else:
        buffer = io.StringIO()
        write_crosstab(result, fmt, buffer)
        body = buffer.getvalue()
    return attachment(body, FORMATS[fmt], name)


@bp.route("/chart/<question>.<ext>")
def chart(question: str, ext: str):
    """Draw one question's chart as PNG or SVG."""
    if ext not in CHARTS:
        abort(404)
    try:
        result = _request_crosstab([question])
    except CrosstabError:
        abort(404)
    [(block, table)] = result.tables
    if not (~table["suppressed"]).any():
        abort(404)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{question}.{ext}"
        draw_chart(result, block, table, path)
        body = path.read_bytes()
    if request.args.get("download"):
        grouping = "banner" if result.banner else f"by-{result.by}"
        return attachment(body, CHARTS[ext], f"{question}-{grouping}-{result.language}.{ext}")
    return Response(body, mimetype=CHARTS[ext])

"""The coding workspace: evaluators turn clusters of open answers into codes and count them."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from coding.agreement import agreement
from coding.cluster import closest_to_centre
from coding.confidentiality import MIN_CELL
from coding.frequency import frequency_table
from coding.tidy import FREQUENCY_COLUMNS
from surveyapp.analysis.open_answers import (
    ClusteringError,
    CodingError,
    OpenQuestion,
    open_questions,
)
from surveyapp.store.connection import get_db
from surveyapp.web.auth import login_required
from surveyapp.web.downloads import attachment

bp = Blueprint("coding", __name__, url_prefix="/evaluate/coding")
MAX_CLUSTERS = 50


@bp.before_request
@login_required
def _signed_in():
    """Every page of the coding workspace needs a signed-in evaluator."""


def _question(name: str) -> OpenQuestion:
    try:
        return OpenQuestion(get_db(), current_app.extensions["questionnaires"], name)
    except CodingError:
        abort(404)


def _coder() -> str:
    return g.evaluator["name"]


def _whole(value, low=None, high=None) -> int | None:
    """Return a form value as a whole number within bounds, or None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def _answer(key: str, open_question: OpenQuestion) -> tuple[str, int] | None:
    """Return the (survey, response_id) a form's answer key names, if it is one of ours."""
    survey, _, rid = key.partition(":")
    response_id = _whole(rid, 1)
    if survey not in open_question.surveys or response_id is None:
        return None
    return survey, response_id


def _back(question: str, endpoint="coding.workspace", **args):
    return redirect(url_for(endpoint, question=question, **args))


@bp.route("/")
def questions():
    """List the open questions with how many answers each has."""
    rows = []
    for name in open_questions(current_app.extensions["questionnaires"]):
        open_question = _question(name)
        rows.append((open_question, len(open_question.answers())))
    return render_template("coding/questions.html", rows=rows)


@bp.route("/<question>")
def workspace(question: str):
    """Show a question's codebook, its clusterings, and what can be done with them."""
    open_question = _question(question)
    coding = open_question.codebook.coding(_coder())
    counts = coding.groupby("code_id").size().to_dict()
    answers = open_question.answers()
    reviewed = len(open_question.codebook.reviewed(_coder()))
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


@bp.route("/<question>/cluster", methods=["POST"])
def cluster(question: str):
    """Cluster the answers (k given or chosen automatically) and show the proposal."""
    open_question = _question(question)
    k = request.form.get("k", "auto").strip() or "auto"
    if k != "auto":
        k = _whole(k, 1, MAX_CLUSTERS)
        if k is None:
            flash(
                gettext(
                    "The number of clusters must be 'auto' or from 1 to %(most)s.",
                    most=MAX_CLUSTERS,
                )
            )
            return _back(question)
    seed = _whole(request.form.get("seed", "0"), 0, 2**31 - 1)
    if seed is None:
        flash(gettext("The seed must be a whole number."))
        return _back(question)
    language = request.form.get("language", "en")
    if language not in open_question.languages():
        language = "en"  # the labels' language: English unless the answers are in another
    try:
        clustering_id, proposal = open_question.cluster(k, seed, _coder(), language=language)
    except ClusteringError as error:
        flash(gettext("Could not cluster: %(error)s.", error=error))
        return _back(question)
    for notice in proposal.notices:
        flash(gettext("Note: %(notice)s.", notice=notice))
    return _back(question, "coding.clustering", clustering_id=clustering_id)


@bp.route("/<question>/clusterings/<int:clustering_id>")
def clustering(question: str, clustering_id: int):
    """Show a stored clustering: each cluster's label, size, closest answers and members."""
    open_question = _question(question)
    run = next((c for c in open_question.codebook.clusterings() if c["id"] == clustering_id), None)
    if run is None:
        abort(404)
    suggestions = open_question.codebook.cluster_suggestions(clustering_id)
    merged = suggestions.merge(open_question.answers(), on=["survey", "response_id"], how="left")
    merged["language"] = merged.language.fillna("")
    clusters = []
    for number, group in merged.groupby("cluster", sort=True):
        texts = group.text.fillna("").tolist()
        languages = group.language.tolist()
        closest = closest_to_centre(open_question.embeddings(texts), 3, languages=languages)
        clusters.append(
            {
                "cluster": int(number),
                "label": group.cluster_label.iloc[0],
                "size": len(group),
                "quotes": [(texts[i], languages[i]) for i in closest],
                "answers": group.to_dict("records"),
            }
        )
    # answers in several languages: each quote and answer shows its language
    several = merged.language[merged.language != ""].nunique() > 1
    return render_template(
        "coding/clustering.html", q=open_question, run=run, clusters=clusters, several=several
    )


@bp.route("/<question>/clusterings/<int:clustering_id>/adopt", methods=["POST"])
def adopt(question: str, clustering_id: int):
    """Turn a clustering into codes, named as the evaluator wrote, and code its answers."""
    open_question = _question(question)
    names = {}
    for key, value in request.form.items():
        if key.startswith("name-") and _whole(key[5:]) is not None and value.strip():
            names[int(key[5:])] = value.strip()[:120]
    try:
        created = open_question.codebook.adopt(clustering_id, _coder(), names)
    except CodingError as error:
        flash(str(error))
        return _back(question)
    flash(
        gettext(
            "%(count)s codes made from clustering %(clustering)s; your answers are coded.",
            count=len(created),
            clustering=clustering_id,
        )
    )
    return _back(question)


@bp.route("/<question>/codes", methods=["POST"])
def add_code(question: str):
    """Add a code by hand."""
    open_question = _question(question)
    try:
        open_question.codebook.add_code(
            request.form.get("name", ""), _coder(), request.form.get("description", "")[:2000]
        )
    except CodingError as error:
        flash(str(error))
    return _back(question)


@bp.route("/<question>/codes/<int:code_id>", methods=["POST"])
def change_code(question: str, code_id: int):
    """Rename, describe, merge or split a code."""
    open_question = _question(question)
    codebook = open_question.codebook
    action = request.form.get("action")
    try:
        if action == "save":
            codebook.code(code_id)
            name = request.form.get("name", "")
            if name.strip() != codebook.code(code_id)["name"]:
                codebook.rename(code_id, name, _coder())
            codebook.describe(code_id, request.form.get("description", "")[:2000], _coder())
        elif action == "merge":
            target = _whole(request.form.get("into"))
            if target is None:
                raise CodingError(gettext("choose the code to merge into"))
            codebook.merge(code_id, target, _coder())
        elif action == "split":
            parts = _whole(request.form.get("parts"), 2, 20)
            if parts is None:
                raise CodingError(gettext("split into 2 to 20 codes"))
            created = open_question.split(code_id, parts, _coder())
            flash(
                gettext("Split into %(count)s codes; check and rename them.", count=len(created))
            )
        else:
            raise CodingError(gettext("unknown action"))
    except (CodingError, ClusteringError) as error:
        flash(str(error))
    return _back(question)


@bp.route("/<question>/answers", methods=["GET", "POST"])
def answers(question: str):
    """List answers with their codes; tick codes to code, move or leave uncoded."""
    open_question = _question(question)
    codebook = open_question.codebook
    coder = _coder()
    if request.method == "POST":
        valid = {c["id"] for c in codebook.codes()}
        saved = 0
        for key in request.form.getlist("answer"):
            if (answer := _answer(key, open_question)) is None:
                continue
            survey, response_id = answer
            chosen = {_whole(v) for v in request.form.getlist(f"codes-{key}")} & valid
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
    only_code = _whole(show) if show not in ("all", "uncoded") else None
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
    open_question = _question(question)
    codebook = open_question.codebook
    coder = _coder()
    if request.method == "POST":
        valid = {c["id"] for c in codebook.codes()}
        accepted = 0
        for key in request.form.getlist("accept"):
            answer = _answer(key, open_question)
            code_id = _whole(request.form.get(f"code-{key}"))
            confidence = request.form.get(f"confidence-{key}", type=float)
            if confidence is not None and not 0 <= confidence <= 1:  # also refuses nan
                confidence = None
            if answer is not None and code_id in valid:
                survey, response_id = answer
                codebook.accept(survey, response_id, code_id, coder, confidence)
                accepted += 1
        flash(gettext("%(count)s suggestions accepted.", count=accepted))
        return _back(question, "coding.suggestions")
    try:
        table, suggester = open_question.suggestions(coder)
    except ValueError as error:
        flash(gettext("No suggestions yet: %(error)s.", error=error))
        return _back(question)
    threshold = request.args.get("threshold", 0.5, type=float)
    return render_template(
        "coding/suggestions.html",
        q=open_question,
        rows=table.to_dict("records"),
        codes=codebook.codes(),
        skipped=suggester.skipped_codes_,
        threshold=threshold,
    )


@bp.route("/<question>/agreement")
def agreement_view(question: str):
    """Compare two evaluators' coding: kappa per code and overall, alpha, disagreements."""
    open_question = _question(question)
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


def _frequency(open_question: OpenQuestion):
    """Return the coder, grouping and minimum cell the query asks for, and the frequency."""
    coders = open_question.codebook.coders()
    coder = request.args.get("coder") or (_coder() if _coder() in coders else None)
    coder = coder or (coders[0] if coders else _coder())
    by = request.args.get("by", "survey")
    min_cell = request.args.get("min_cell", MIN_CELL, type=int)
    return coder, by, min_cell, open_question.frequency(coder, by, min_cell)


@bp.route("/<question>/frequency")
def frequency(question: str):
    """Show how many respondents mention each code, by survey or by a profile question."""
    open_question = _question(question)
    try:
        coder, by, min_cell, tidy = _frequency(open_question)
    except CodingError as error:
        flash(str(error))
        return _back(question, "coding.frequency")
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
    open_question = _question(question)
    try:
        _coder_name, by, _min_cell, tidy = _frequency(open_question)
    except CodingError:
        abort(404)
    buffer = io.StringIO()
    from exports.csv import write_csv

    write_csv(tidy[FREQUENCY_COLUMNS], buffer)
    filename = f"{question}-codes-by-{by}.csv"
    return attachment(buffer.getvalue(), "text/csv", filename)

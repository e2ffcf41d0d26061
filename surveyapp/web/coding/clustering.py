"""Clustering the answers into proposed codes, and adopting a clustering as codes.

Clustering runs in the background: the request adds a job (store/jobs.py) and starts a
thread of the serving process, with a connection of its own, that clusters and records its
progress; the job's page follows it (refreshing itself, or polling with static/job.js) and
goes on to the clustering when it is made.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_babel import format_number, gettext

from coding.cluster import closest_to_centre
from coding.embeddings import ModelMissing
from surveyapp.analysis.open_answers import (
    ClusteringError,
    CodingError,
    OpenQuestion,
)
from surveyapp.store import jobs
from surveyapp.store.connection import connect, get_db
from surveyapp.web.coding.common import (
    MAX_CLUSTERS,
    answer_named,
    back,
    bp,
    question_named,
    signed_in_coder,
    whole,
)

log = logging.getLogger(__name__)


def run_job(path: str, questionnaires, job_id: int, question: str, params: dict, coder: str):
    """Cluster a question's answers as a job asked, recording its progress and its end.

    Runs in a thread of its own, over a connection of its own to the database at ``path``.
    """
    db = connect(path)
    try:
        reporter = jobs.JobReporter(db, job_id)
        reporter("starting", 0, 1)
        open_question = OpenQuestion(db, questionnaires, question)
        clustering_id, proposal = open_question.cluster(
            params["k"],
            params["seed"],
            coder,
            progress=reporter,
            language=params["language"],
        )
        jobs.finish(db, job_id, clustering_id, proposal.notices)
    except (ClusteringError, CodingError, ModelMissing) as error:
        jobs.fail(db, job_id, str(error))
    except Exception:
        log.exception("clustering job %s of %s failed", job_id, question)
        jobs.fail(db, job_id, "an unexpected error stopped it (the server's log has the details)")
    finally:
        db.close()


def _start(job_id: int, question: str, params: dict, coder: str) -> None:
    """Start a job's work in a daemon thread of this server process."""
    app = current_app._get_current_object()
    threading.Thread(
        target=run_job,
        args=(
            app.config["DATABASE"],
            app.extensions["questionnaires"],
            job_id,
            question,
            params,
            coder,
        ),
        name=f"clustering-job-{job_id}",
        daemon=True,
    ).start()


@bp.route("/<question>/cluster", methods=["POST"])
def cluster(question: str):
    """Start clustering the answers (k given or chosen automatically); show its progress.

    While a clustering of the question is running, its page is shown instead of starting
    another.
    """
    open_question = question_named(question)
    k = request.form.get("k", "auto").strip() or "auto"
    if k != "auto":
        k = whole(k, 1, MAX_CLUSTERS)
        if k is None:
            flash(
                gettext(
                    "The number of clusters must be 'auto' or from 1 to %(most)s.",
                    most=MAX_CLUSTERS,
                )
            )
            return back(question)
    seed = whole(request.form.get("seed", "0"), 0, 2**31 - 1)
    if seed is None:
        flash(gettext("The seed must be a whole number."))
        return back(question)
    language = request.form.get("language", "en")
    if language not in open_question.languages():
        language = "en"  # the labels' language: English unless the answers are in another
    params = {"k": k, "seed": seed, "language": language}
    surveys = sorted(open_question.surveys)
    job_id, new = jobs.start_job(get_db(), question, surveys, params, signed_in_coder())
    if new:
        _start(job_id, question, params, signed_in_coder())
    else:
        flash(gettext("A clustering of this question is already running: here is how far it is."))
    return back(question, "coding.job", job_id=job_id)


def _stage_words(job: dict) -> str:
    """Return what a job is doing, in words."""
    stage = job["stage"]
    name, done, total = stage.get("stage"), stage.get("done", 0), stage.get("total", 0)
    if job["state"] == jobs.QUEUED or name in (None, "queued", "starting"):
        return gettext("Starting")
    if name == "embedding":
        if done == 0:
            return gettext(
                "Embedding %(total)s answers (the language model may take a while to load)",
                total=format_number(total),
            )
        return gettext(
            "Embedding %(done)s of %(total)s answers",
            done=format_number(done),
            total=format_number(total),
        )
    if name == "comparing":
        return gettext(
            "Comparing the answers: %(done)s of %(total)s k-means runs done",
            done=done,
            total=total,
        )
    if name == "choosing":
        return gettext("Choosing the number of clusters: trying %(k)s", k=done)
    if name == "clustering":
        return gettext("Making %(k)s clusters", k=total)
    if name == "checking":
        return gettext(
            "Checking how steady the clusters are: %(done)s of %(total)s other fits done",
            done=done,
            total=total,
        )
    if name == "naming":
        return gettext("Naming clusters")
    return gettext("Saving the clustering")


def _failure(job: dict) -> str:
    """Return why a job failed, in words."""
    if job["message"] == jobs.INTERRUPTED:
        return gettext("The clustering was interrupted (the server stopped); start it again.")
    return gettext("Could not cluster: %(error)s.", error=job["message"])


def _job_named(question: str, job_id: int) -> dict:
    """Return a job of the question, or answer 404."""
    found = jobs.job(get_db(), question, job_id)
    if found is None:
        abort(404)
    return found


@bp.route("/<question>/jobs/<int:job_id>")
def job(question: str, job_id: int):
    """Show how far a clustering has got; once it is made, go on to it with its notes."""
    open_question = question_named(question)
    found = _job_named(question, job_id)
    if found["state"] == jobs.DONE:
        for notice in filter(None, (found["message"] or "").split("\n")):
            flash(gettext("Note: %(notice)s.", notice=notice))
        return back(question, "coding.clustering", clustering_id=found["clustering_id"])
    failed = found["state"] == jobs.FAILED
    return render_template(
        "coding/job.html",
        q=open_question,
        job=found,
        failed=failed,
        words=_failure(found) if failed else _stage_words(found),
        percent=round(100 * (found["progress"] or 0)),
    )


@bp.route("/<question>/jobs/<int:job_id>/progress")
def job_progress(question: str, job_id: int):
    """Say how far a clustering has got, as JSON, for the job page's script."""
    question_named(question)
    found = _job_named(question, job_id)
    failed = found["state"] == jobs.FAILED
    response = jsonify(
        state=found["state"],
        words=_failure(found) if failed else _stage_words(found),
        percent=round(100 * (found["progress"] or 0)),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _local(target: str | None) -> str | None:
    """Return a path of this site to go back to, or None for anything else."""
    parts = urlsplit(target or "")
    local = target and target.startswith("/") and not target.startswith("//")
    if local and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return None


@bp.route("/<question>/answers/include", methods=["POST"])
def include_answer(question: str):
    """Put an answer back into clustering ("included" 1), or take it out (0)."""
    open_question = question_named(question)
    key = answer_named(request.form.get("answer", ""), open_question)
    included = request.form.get("included")
    answers = open_question.answers()
    known = key is not None and bool(
        ((answers.survey == key[0]) & (answers.response_id == key[1])).any()
    )
    if not known or included not in ("0", "1"):
        flash(gettext("There is no such answer to put back or take out."))
    else:
        open_question.include(*key, included == "1", signed_in_coder())
        named = f"{key[0]} {key[1]}"
        if included == "1":
            flash(gettext("Answer %(answer)s is put back: clustering takes it in.", answer=named))
        else:
            flash(gettext("Answer %(answer)s is left out of clustering.", answer=named))
    target = _local(request.form.get("next"))
    return redirect(target) if target else back(question, "coding.answers")


@bp.route("/<question>/clusterings/<int:clustering_id>")
def clustering(question: str, clustering_id: int):
    """Show a stored clustering: each cluster's label, size, closest answers and members."""
    open_question = question_named(question)
    run = next((c for c in open_question.codebook.clusterings() if c["id"] == clustering_id), None)
    if run is None:
        abort(404)
    suggestions = open_question.codebook.cluster_suggestions(clustering_id)
    merged = suggestions.merge(open_question.answers(), on=["survey", "response_id"], how="left")
    merged["language"] = merged.language.fillna("")
    details = run["details"]
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
                **details["clusters"].get(int(number), {}),
            }
        )
    # answers in several languages: each quote and answer shows its language
    several = merged.language[merged.language != ""].nunique() > 1
    return render_template(
        "coding/clustering.html",
        q=open_question,
        run=run,
        clusters=clusters,
        several=several,
        curve=_k_curve(details.get("k_scores", {}), run["k"]),
        score_name=details.get("k_score"),
    )


def _k_curve(scores: dict, chosen: int, width: int = 320, height: int = 80) -> dict | None:
    """Return the k curve a clustering chose from, as points of a small SVG; None if none."""
    if len(scores) < 2:
        return None
    ks = sorted(scores)
    low, high = min(scores.values()), max(scores.values())
    spread = (high - low) or 1.0
    points = []
    for k in ks:
        x = 10 + (width - 20) * (k - ks[0]) / (ks[-1] - ks[0])
        y = height - 10 - (height - 20) * (scores[k] - low) / spread
        points.append({"k": k, "score": scores[k], "x": round(x, 1), "y": round(y, 1)})
    return {
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "chosen": chosen,
        "width": width,
        "height": height,
    }


@bp.route("/<question>/clusterings/<int:clustering_id>/adopt", methods=["POST"])
def adopt(question: str, clustering_id: int):
    """Code your answers not yet coded by a clustering; when codes exist, ask how first."""
    open_question = question_named(question)
    codebook = open_question.codebook
    if not any(run["id"] == clustering_id for run in codebook.clusterings()):
        abort(404)
    names = {}
    for key, value in request.form.items():
        if key.startswith("name-") and whole(key[5:]) is not None and value.strip():
            names[int(key[5:])] = value.strip()[:120]
    live = {code["id"]: code for code in codebook.codes()}
    if live and request.form.get("confirm") != "1":
        return _ask_how_to_adopt(open_question, clustering_id, names, live)
    existing = {}  # cluster -> the existing code its answers get, as the evaluator chose
    for key, value in request.form.items():
        cluster = whole(key[4:]) if key.startswith("use-") else None
        chosen = whole(request.form.get(f"code-{cluster}"))
        if cluster is not None and value == "existing" and chosen in live:
            existing[cluster] = chosen
    try:
        done = codebook.adopt(clustering_id, signed_in_coder(), names, existing)
    except CodingError as error:
        flash(str(error))
        return back(question)
    said = [gettext("%(count)s answers coded as proposals for you to review", count=done.coded)]
    if done.left_alone:
        said.append(
            gettext("%(count)s you had already coded were left alone", count=done.left_alone)
        )
    said.append(gettext("%(count)s codes added to the shared codebook", count=len(done.added)))
    flash("; ".join(said) + ".")
    return back(question)


def _folded(name: str) -> str:
    """Return a code name as compared: case and spaces aside."""
    return " ".join(name.split()).casefold()


def _codes_by_name(codebook, live: dict) -> dict[str, int]:
    """Return the live code each name stands for: its own, or the one it was merged into."""
    every = {code["id"]: code for code in codebook.codes(include_merged=True)}
    found = {}
    for code in every.values():
        final, seen = code, set()
        while final["merged_into"] is not None and final["id"] not in seen:
            seen.add(final["id"])
            final = every.get(final["merged_into"], final)
        if final["id"] in live and not code["deleted_at"]:
            found.setdefault(_folded(code["name"]), final["id"])
    found.update({_folded(code["name"]): code["id"] for code in live.values()})
    return found


def _ask_how_to_adopt(open_question, clustering_id: int, names: dict, live: dict):
    """Show each cluster with the choice of a new code or an existing one, before adopting."""
    codebook = open_question.codebook
    decided = set(codebook.states(signed_in_coder()))
    by_name = _codes_by_name(codebook, live)
    clusters = []
    suggestions = codebook.cluster_suggestions(clustering_id)
    for number, group in suggestions.groupby("cluster", sort=True):
        name = names.get(int(number)) or group.cluster_label.iloc[0]
        keys = zip(group.survey, group.response_id.astype(int), strict=True)
        clusters.append(
            {
                "cluster": int(number),
                "label": group.cluster_label.iloc[0],
                "name": name,
                "size": len(group),
                "todo": sum(key not in decided for key in keys),
                "existing": by_name.get(_folded(name)),
            }
        )
    return render_template(
        "coding/adopt.html",
        q=open_question,
        clustering_id=clustering_id,
        clusters=clusters,
        codes=list(live.values()),
    )

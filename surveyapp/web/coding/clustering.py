"""Clustering the answers into proposed codes, and adopting a clustering as codes."""

from __future__ import annotations

from flask import abort, flash, render_template, request
from flask_babel import gettext

from coding.cluster import closest_to_centre
from surveyapp.analysis.open_answers import (
    ClusteringError,
    CodingError,
)
from surveyapp.web.coding.common import (
    MAX_CLUSTERS,
    back,
    bp,
    question_named,
    signed_in_coder,
    whole,
)


@bp.route("/<question>/cluster", methods=["POST"])
def cluster(question: str):
    """Cluster the answers (k given or chosen automatically) and show the proposal."""
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
    try:
        clustering_id, proposal = open_question.cluster(
            k, seed, signed_in_coder(), language=language
        )
    except ClusteringError as error:
        flash(gettext("Could not cluster: %(error)s.", error=error))
        return back(question)
    for notice in proposal.notices:
        flash(gettext("Note: %(notice)s.", notice=notice))
    return back(question, "coding.clustering", clustering_id=clustering_id)


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
    open_question = question_named(question)
    names = {}
    for key, value in request.form.items():
        if key.startswith("name-") and whole(key[5:]) is not None and value.strip():
            names[int(key[5:])] = value.strip()[:120]
    try:
        created = open_question.codebook.adopt(clustering_id, signed_in_coder(), names)
    except CodingError as error:
        flash(str(error))
        return back(question)
    flash(
        gettext(
            "%(count)s codes made from clustering %(clustering)s; your answers are coded.",
            count=len(created),
            clustering=clustering_id,
        )
    )
    return back(question)

"""Agreement between two coders of the same answers, and the consensus that settles it."""

from __future__ import annotations

import pandas as pd
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from coding.agreement import agreement
from surveyapp.analysis.open_answers import CodingError
from surveyapp.store.consensus import CONSENSUS, SETTLED, ConsensusExists, to_copy
from surveyapp.store.decisions import PROPOSED
from surveyapp.store.responses import texts_given
from surveyapp.web.coding.common import (
    answer_named,
    bp,
    question_named,
    signed_in_coder,
    whole,
)

PER_PAGE = 20  # disagreements shown at once, to settle and settled


def _chosen_coders(coders: list[str], consensus: dict | None):
    """Return the two coders the query names, else the consensus's, else the first two."""
    if consensus is not None:
        default = [consensus["coder_a"], consensus["coder_b"]]
    else:
        default = (coders + [None, None])[:2]
    return request.args.get("a") or default[0], request.args.get("b") or default[1]


def _page(name: str, rows: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Return one page of rows (the query's `name` page), its number and the page count."""
    pages = max(1, -(-len(rows) // PER_PAGE))
    number = min(whole(request.args.get(name), 1) or 1, pages)
    return rows.iloc[(number - 1) * PER_PAGE : number * PER_PAGE], number, pages


def _texts(open_question, rows: pd.DataFrame) -> pd.DataFrame:
    """Return the text and language of the answers rows name (a response without one: its
    survey's first language)."""
    frames = []
    for survey in sorted(set(rows.survey)):
        given = texts_given(open_question.db, survey, open_question.question)
        first = open_question.questionnaires[survey].languages[0]
        known = given.language.fillna("").astype(str).str.strip() != ""
        frames.append(given.assign(survey=survey, language=given.language.where(known, first)))
    if not frames:
        return pd.DataFrame(columns=["survey", "response_id", "text", "language"])
    return pd.concat(frames, ignore_index=True).astype({"response_id": int})


def _shown(rows: pd.DataFrame, open_question, names: dict[int, str]) -> list[dict]:
    """Return disagreements as the page shows them: text, language, both coders' codes."""
    rows = rows.merge(_texts(open_question, rows), on=["survey", "response_id"], how="left")
    shown = []
    for row in rows.itertuples():
        settled = row.source == SETTLED
        shown.append(
            {
                "key": f"{row.survey}:{row.response_id}",
                "anchor": f"answer-{row.survey}-{row.response_id}",
                "survey": row.survey,
                "response_id": row.response_id,
                "text": row.text if isinstance(row.text, str) else "",
                "language": row.language if isinstance(row.language, str) else "",
                "names_a": [names[c] for c in sorted(row.codes_a) if c in names],
                "names_b": [names[c] for c in sorted(row.codes_b) if c in names],
                "names_c": [names[c] for c in sorted(row.codes_c) if c in names],
                "ticked": row.codes_c if settled else row.codes_a | row.codes_b,
                "settled_by": row.decided_by if settled else None,
                "settled_at": str(row.at)[:16].replace("T", " ") if settled else "",
                "note": row.note if isinstance(row.note, str) else "",
            }
        )
    return shown


def _against_coders(codebook, coding, reviewed, coder_a: str, coder_b: str):
    """Return the consensus's agreement with each coder: overall and per code, or None."""
    rows = codebook.agreement_rows([CONSENSUS, coder_a, coder_b], coding, reviewed)
    try:
        with_a = agreement(rows, CONSENSUS, coder_a)
        with_b = agreement(rows, CONSENSUS, coder_b)
    except ValueError:
        return None
    columns = ["code", "kappa", "agreement"]
    per_code = with_a.per_code[columns].merge(
        with_b.per_code[columns], on="code", how="outer", suffixes=("_a", "_b")
    )
    return {"a": with_a, "b": with_b, "per_code": per_code.to_dict("records")}


@bp.route("/<question>/agreement")
def agreement_view(question: str):
    """Compare two coders: agreement figures, their disagreements, and the consensus."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coders = [name for name in codebook.coders() if name != CONSENSUS]
    consensus = codebook.consensus()
    first, second = _chosen_coders(coders, consensus)
    context = {"q": open_question, "coders": coders, "a": first, "b": second}
    context |= {"consensus": consensus, "report": None, "problem": None, "per_page": PER_PAGE}
    if not (first and second):
        return render_template("coding/agreement.html", **context)
    if CONSENSUS in (first, second):
        context["problem"] = gettext("The consensus is compared with each coder below.")
        return render_template("coding/agreement.html", **context)
    coding = codebook.coding()
    states = {coder: codebook.states(coder) for coder in (first, second)}
    reviewed = {coder: codebook.reviewed_answers(coder, states[coder]) for coder in states}
    try:
        rows = codebook.agreement_rows([first, second], coding, reviewed)
        report = agreement(rows, first, second)
    except ValueError as error:
        context["problem"] = str(error)
        return render_template("coding/agreement.html", **context)
    ours = consensus is not None and {consensus["coder_a"], consensus["coder_b"]} == {
        first,
        second,
    }
    board = codebook.comparison(first, second, coding, reviewed)
    disagreements = board[~board.agree]
    settled = disagreements[disagreements.source == SETTLED] if ours else disagreements.iloc[:0]
    to_settle = disagreements.drop(settled.index)
    pending = to_copy(board)
    names = {code["id"]: code["name"] for code in codebook.codes()}
    to_settle_page, page, pages = _page("page", to_settle)
    settled_page, settled_number, settled_pages = _page("settled_page", settled)
    context |= {
        "report": report,
        "ours": ours,
        "proposals": {
            coder: sum(state == PROPOSED for state in found.values())
            for coder, found in states.items()
        },
        "disagreements": len(disagreements),
        "settled_count": len(settled),
        "pending": int(pending.sum()) if ours else 0,
        "to_settle": _shown(to_settle_page, open_question, names),
        "page": page,
        "pages": pages,
        "settled": _shown(settled_page, open_question, names),
        "settled_page": settled_number,
        "settled_pages": settled_pages,
        "codes": codebook.codes(),
        "against": _against_coders(codebook, coding, reviewed, first, second) if ours else None,
    }
    return render_template("coding/agreement.html", **context)


def _back_to_agreement(question: str, coder_a: str, coder_b: str, anchor: str | None = None):
    """Redirect to the agreement page of two coders, on the pages the form came from."""
    pages = {
        name: whole(request.form.get(name), 1)
        for name in ("page", "settled_page")
        if whole(request.form.get(name), 1)
    }
    url = url_for("coding.agreement_view", question=question, a=coder_a, b=coder_b, **pages)
    return redirect(url + (f"#{anchor}" if anchor else ""))


@bp.route("/<question>/consensus", methods=["POST"])
def start_consensus(question: str):
    """Start the consensus of two coders (asking first before replacing another)."""
    open_question = question_named(question)
    codebook = open_question.codebook
    first, second = request.form.get("a", ""), request.form.get("b", "")
    try:
        copied = codebook.start_consensus(
            first, second, signed_in_coder(), replace=request.form.get("replace") == "1"
        )
    except ConsensusExists:
        current = codebook.consensus_progress()
        return render_template(
            "coding/consensus_replace.html",
            q=open_question,
            a=first,
            b=second,
            current=current,
            settled=current["settled"],
        )
    except CodingError as error:
        flash(str(error))
        return _back_to_agreement(question, first, second)
    flash(
        gettext(
            "Consensus of %(a)s and %(b)s: %(count)s answers they coded alike copied into it.",
            a=first,
            b=second,
            count=copied,
        )
    )
    return _back_to_agreement(question, first, second, "disagreements")


@bp.route("/<question>/consensus/settle", methods=["POST"])
def settle(question: str):
    """Settle one disagreement: the consensus takes A's codes, B's, or the ticked ones."""
    open_question = question_named(question)
    codebook = open_question.codebook
    consensus = codebook.consensus()
    answer = answer_named(request.form.get("answer", ""), open_question)
    if consensus is None or answer is None:
        flash(gettext("Start a consensus of two coders, then settle their disagreements."))
        return _back_to_agreement(question, None, None)
    coder_a, coder_b = consensus["coder_a"], consensus["coder_b"]
    survey, response_id = answer
    choice = request.form.get("choice")
    if choice == "a":
        chosen = codebook.codes_of(survey, response_id, coder_a)
    elif choice == "b":
        chosen = codebook.codes_of(survey, response_id, coder_b)
    else:
        valid = {code["id"] for code in codebook.codes()}
        chosen = {whole(value) for value in request.form.getlist("code")} & valid
    try:
        codebook.settle(
            survey, response_id, chosen, signed_in_coder(), request.form.get("note", "")[:2000]
        )
    except CodingError as error:
        flash(str(error))
    else:
        flash(gettext("Answer %(answer)s settled.", answer=f"{survey}:{response_id}"))
    return _back_to_agreement(question, coder_a, coder_b, "disagreements")

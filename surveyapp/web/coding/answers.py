"""Answers with their codes: a filtered, paged list, one answer at a time, and suggestions."""

from __future__ import annotations

import math

import pandas as pd
from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_number, gettext, ngettext

from surveyapp.analysis.groups import BY_LANGUAGE, BY_SURVEY, group_labels, groupings
from surveyapp.store.decisions import CODED, PROPOSED, TODO, UNCODED
from surveyapp.store.responses import column_values
from surveyapp.web.coding.common import (
    answer_named,
    back,
    bp,
    question_named,
    signed_in_coder,
    whole,
)

PER_PAGE = 25
UNREVIEWED = "unreviewed"  # a filter: todo or proposed
NON_ANSWER = "non-answer"  # a filter: answers recognised as "N/A", "none", ...
NO_CODE = "none"  # a code filter: answers without a code
FILTERS = ("q", "from_survey", "profile", "code", "state", "language")


def chosen_filters(args) -> dict[str, str]:
    """Return the list's filters from a query string; the old ``show=`` still works."""
    found = {name: args.get(name, "").strip() for name in FILTERS}
    show = args.get("show", "").strip()
    if show and not found["state"] and not found["code"]:
        if show == "uncoded":
            found["state"] = UNREVIEWED
        elif (code := whole(show, 1)) is not None:
            found["code"] = str(code)
    return {name: value for name, value in found.items() if value}


def state_words() -> dict[str, str]:
    """Return each review state's badge words, for the page and its filter."""
    return {
        TODO: gettext("to do"),
        PROPOSED: gettext("proposed by the machine"),
        CODED: gettext("coded by you"),
        UNCODED: gettext("reviewed, left uncoded"),
    }


def profile_choices(open_question, surveys) -> list[dict]:
    """Return the single-choice questions every one of the surveys asks, with their choices."""
    found = []
    for by, label in groupings(open_question.questionnaires, surveys):
        if by in (BY_SURVEY, BY_LANGUAGE):
            continue
        labels, _order = group_labels(open_question.questionnaires, surveys, by)
        choices = {}
        for survey in surveys:
            for name, choice_label in labels[survey].items():
                choices.setdefault(name, choice_label)
        found.append({"name": by, "label": label, "choices": list(choices.items())})
    return found


def listed(open_question, coder: str, filters: dict[str, str]) -> pd.DataFrame:
    """Return the answers the filters choose, in order, each with its review state and codes."""
    return narrowed(open_question, every_answer(open_question, coder), filters)


def every_answer(open_question, coder: str) -> pd.DataFrame:
    """Return every answer in order with its key, position, review state and codes."""
    codebook = open_question.codebook
    table = open_question.answers()
    if "non_answer" not in table:  # until non-answers are recognised
        table = table.assign(non_answer=False)
    states = codebook.states(coder)
    keys = list(zip(table.survey, table.response_id, strict=True))
    coding = codebook.coding(coder)
    codes: dict[tuple, set] = {}
    for survey, response_id, code_id in zip(
        coding.survey, coding.response_id, coding.code_id, strict=True
    ):
        codes.setdefault((survey, response_id), set()).add(int(code_id))
    table = table.assign(
        key=[f"{s}:{r}" for s, r in keys],
        position=range(len(table)),
        state=[states.get(key, TODO) for key in keys],
        codes=[codes.get(key, set()) for key in keys],
    )
    return table


def narrowed(open_question, table: pd.DataFrame, filters: dict[str, str]) -> pd.DataFrame:
    """Return the answers of a table that the filters choose."""
    if survey := filters.get("from_survey"):
        table = table[table.survey == survey]
    if language := filters.get("language"):
        table = table[table.language == language]
    if text := filters.get("q"):
        table = table[table.text.str.contains(text, case=False, regex=False)]
    state = filters.get("state")
    if state == NON_ANSWER:
        table = table[table.non_answer.astype(bool)]
    elif state == UNREVIEWED:
        table = table[table.state.isin([TODO, PROPOSED])]
    elif state:
        table = table[table.state == state]
    code = filters.get("code")
    if code == NO_CODE:
        table = table[[not c for c in table.codes]]
    elif code:
        wanted = whole(code)
        table = table[[wanted in c for c in table.codes]]
    if profile := filters.get("profile"):
        table = _with_profile(open_question, table, profile)
    return table


def _with_profile(open_question, table: pd.DataFrame, profile: str) -> pd.DataFrame:
    """Keep the answers whose response chose this answer (``question:choice``) to a question."""
    by, _, choice = profile.partition(":")
    surveys = sorted(set(table.survey))
    offered = {p["name"] for p in profile_choices(open_question, surveys or open_question.surveys)}
    if by not in offered:
        return table.iloc[0:0]
    chosen = pd.concat(
        [column_values(open_question.db, s, by).assign(survey=s) for s in surveys],
        ignore_index=True,
    )
    chosen = chosen[chosen.value.astype(str) == choice][["survey", "response_id"]]
    return table.merge(chosen, on=["survey", "response_id"]).sort_values("position")


def save_codes(open_question, coder: str, form) -> tuple[int, int]:
    """Record the codes ticked on a page of answers: only changes; return (changed, unchanged).

    An answer whose codes changed is coded (and so reviewed); one with codes unchanged is
    reviewed only when its "leave uncoded" or "accept as proposed" box is ticked.
    """
    codebook = open_question.codebook
    valid = {c["id"] for c in codebook.codes()}
    changed = unchanged = 0
    for key in dict.fromkeys(form.getlist("answer")):
        if (answer := answer_named(key, open_question)) is None:
            continue
        survey, response_id = answer
        chosen = {whole(v) for v in form.getlist(f"codes-{key}")} & valid
        wrote = False
        if chosen != codebook.codes_of(survey, response_id, coder):
            wrote = codebook.set_codes(survey, response_id, chosen, coder)
        elif form.get(f"accept-{key}"):
            wrote = codebook.accept_proposed(survey, response_id, coder)
        elif form.get(f"reviewed-{key}") and not chosen:
            wrote = codebook.set_codes(survey, response_id, chosen, coder)
        changed += wrote
        unchanged += not wrote
    return changed, unchanged


def saved_message(changed: int, unchanged: int) -> str:
    """Say how many answers a save changed and how many it left as they were."""
    return "; ".join(
        [
            ngettext("%(num)s answer changed", "%(num)s answers changed", changed),
            ngettext("%(num)s unchanged", "%(num)s unchanged", unchanged),
        ]
    )


@bp.route("/<question>/answers", methods=["GET", "POST"])
def answers(question: str):
    """List answers, filtered and paged, with their codes; tick codes and save the page."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coder = signed_in_coder()
    if request.method == "POST":
        changed, unchanged = save_codes(open_question, coder, request.form)
        flash(saved_message(changed, unchanged) + ".")
        return redirect(request.full_path)
    filters = chosen_filters(request.args)
    if filters.get("from_survey") not in (None, *open_question.surveys):
        filters.pop("from_survey")
    table = listed(open_question, coder, filters)
    total = len(table)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(whole(request.args.get("page")) or 1, 1), pages)
    shown = table.iloc[(page - 1) * PER_PAGE : page * PER_PAGE]
    surveys = [filters["from_survey"]] if "from_survey" in filters else open_question.surveys
    return render_template(
        "coding/answers.html",
        q=open_question,
        rows=shown.to_dict("records"),
        codes=codebook.codes(),
        filters=filters,
        page=page,
        pages=pages,
        first=(page - 1) * PER_PAGE + 1 if total else 0,
        last=(page - 1) * PER_PAGE + len(shown),
        total=total,
        number=format_number,
        states=state_words(),
        profiles=profile_choices(open_question, surveys),
        languages=open_question.languages(),
        state_filters=[
            (UNREVIEWED, gettext("not yet reviewed (to do or proposed)")),
            *state_words().items(),
            (NON_ANSWER, gettext("non-answers (N/A, none…)")),
        ],
        no_code=NO_CODE,
    )


# -- one answer at a time -------------------------------------------------------------------
def _neighbours(table: pd.DataFrame, position: int) -> tuple[str | None, str | None]:
    """Return the keys of the answers before and after a position in the whole order."""
    before = table[table.position < position]
    after = table[table.position > position]
    return (
        before.key.iloc[-1] if len(before) else None,
        after.key.iloc[0] if len(after) else None,
    )


def _answer_url(question: str, key: str, filters: dict[str, str]):
    survey, _, response_id = key.partition(":")
    return url_for(
        "coding.code_answer",
        question=question,
        survey=survey,
        response_id=int(response_id),
        **filters,
    )


@bp.route("/<question>/walk")
def walk(question: str):
    """Go to the first answer the filters choose (e.g. ``state=proposed``), or back to the list."""
    open_question = question_named(question)
    filters = chosen_filters(request.args)
    table = listed(open_question, signed_in_coder(), filters)
    if table.empty:
        flash(gettext("No answer is left in this list."))
        return back(question, "coding.answers", **filters)
    return redirect(_answer_url(question, table.key.iloc[0], filters))


@bp.route("/<question>/answers/<survey>/<int:response_id>", methods=["GET", "POST"])
def code_answer(question: str, survey: str, response_id: int):
    """Code one answer: its text, state and codes, and the way to the next in the list."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coder = signed_in_coder()
    key = f"{survey}:{response_id}"
    filters = chosen_filters(request.args)
    everything = every_answer(open_question, coder)
    here = everything[everything.key == key]
    if here.empty:
        flash(gettext("There is no answer %(answer)s to this question.", answer=key))
        return back(question, "coding.answers", **filters)
    position = int(here.position.iloc[0])
    if request.method == "POST":
        action = request.form.get("action", "save")
        valid = {c["id"] for c in codebook.codes()}
        if action == "accept":
            wrote = codebook.accept_proposed(survey, response_id, coder)
        elif action == "uncoded":
            wrote = codebook.set_codes(survey, response_id, [], coder)
        else:
            chosen = {whole(v) for v in request.form.getlist("codes")} & valid
            wrote = codebook.set_codes(survey, response_id, chosen, coder)
        flash(
            gettext("Answer %(answer)s saved.", answer=key)
            if wrote
            else gettext("Answer %(answer)s unchanged.", answer=key)
        )
        _before, after = _neighbours(listed(open_question, coder, filters), position)
        if after is None:
            flash(gettext("That was the last answer in this list."))
            return back(question, "coding.answers", **filters)
        return redirect(_answer_url(question, after, filters))
    table = narrowed(open_question, everything, filters)
    before, after = _neighbours(table, position)
    in_list = table.key.tolist()
    row = here.iloc[0].to_dict()
    return render_template(
        "coding/answer.html",
        q=open_question,
        row=row,
        codes=codebook.codes(),
        states=state_words(),
        filters=filters,
        number=format_number,
        at=in_list.index(key) + 1 if key in in_list else None,
        total=len(in_list),
        previous_url=_answer_url(question, before, filters) if before else None,
        next_url=_answer_url(question, after, filters) if after else None,
    )


# -- suggestions ----------------------------------------------------------------------------
@bp.route("/<question>/suggestions", methods=["GET", "POST"])
def suggestions(question: str):
    """Suggest codes for answers not reviewed yet, learnt from the coder's reviewed ones."""
    open_question = question_named(question)
    codebook = open_question.codebook
    coder = signed_in_coder()
    if request.method == "POST":
        valid = {c["id"] for c in codebook.codes()}
        accepted = 0
        for key in request.form.getlist("accept"):
            answer = answer_named(key, open_question)
            code_id = whole(request.form.get(f"code-{key}"))
            confidence = request.form.get(f"confidence-{key}", type=float)
            if confidence is not None and not 0 <= confidence <= 1:  # also refuses nan
                confidence = None
            if answer is not None and code_id in valid:
                survey, response_id = answer
                codebook.accept(survey, response_id, code_id, coder, confidence, replace=True)
                accepted += 1
        flash(gettext("%(count)s suggestions accepted.", count=accepted))
        return back(question, "coding.suggestions")
    try:
        table, suggester = open_question.suggestions(coder)
    except ValueError as error:
        flash(
            gettext(
                "No suggestions yet: %(error)s. Suggestions learn from the answers you have"
                " reviewed yourself: code a few answers with each code first (on the Answers"
                " page, or accept the machine's proposals one at a time).",
                error=error,
            )
        )
        return back(question)
    threshold = request.args.get("threshold", 0.5, type=float)
    names = {c["id"]: c["name"] for c in codebook.codes()}
    coding = codebook.coding(coder)
    proposed: dict[tuple, list[str]] = {}
    for row in coding.itertuples():
        proposed.setdefault((row.survey, row.response_id), []).append(names.get(row.code_id))
    rows = table.to_dict("records")
    for row in rows:
        row["proposed"] = [n for n in proposed.get((row["survey"], row["response_id"]), []) if n]
    return render_template(
        "coding/suggestions.html",
        q=open_question,
        rows=rows,
        codes=codebook.codes(),
        skipped=suggester.skipped_codes_,
        threshold=threshold,
    )

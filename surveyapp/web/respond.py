"""Respondents answer a questionnaire through their link, page by page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from surveyapp.questionnaire.answers import (
    answered_not_applying,
    check_answers,
    left_out,
    page_conditions,
    page_is_shown,
    shown_questions,
)
from surveyapp.questionnaire.forms import (
    PageForm,
    answers_formdata,
    form_answers,
    formdata_answers,
    page_form_class,
)
from surveyapp.questionnaire.model import Questionnaire
from surveyapp.store.connection import StoreUnavailable, get_db, store_faults
from surveyapp.store.invitations import (
    Invitation,
    create_invitations,
    find_invitation,
    remember_language,
    save_draft,
)
from surveyapp.store.responses import submit_response
from surveyapp.store.surveys import schedule
from surveyapp.web import RETRY_AFTER_SECONDS, all_languages, csrf, languages
from surveyapp.web.link_csrf import LinkCSRF
from surveyapp.web.throttling import address_key, count_failure, too_many

bp = Blueprint("respond", __name__, url_prefix="/s")


class WebPageForm(PageForm):
    """A page form that also checks a CSRF token bound to the respondent's link."""

    class Meta:
        csrf = True
        csrf_class = LinkCSRF

        def get_translations(self, form):
            return languages.WTFormsMessages()


def _page_form(invitation: Invitation, page, questions, language, formdata):
    """Return the web form of a page's shown questions for this respondent."""
    form_class = page_form_class(page, questions, language, base=WebPageForm)
    meta = {
        "csrf_secret": current_app.extensions["link_csrf_key"],
        "csrf_context": f"{invitation.survey}:{invitation.id}",
        "csrf_time_limit": current_app.config["WTF_CSRF_TIME_LIMIT"],
    }
    return form_class(formdata=formdata, meta=meta)


def _questionnaire(survey_id: str) -> Questionnaire:
    questionnaire = current_app.extensions["questionnaires"].get(survey_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


def _language(questionnaire: Questionnaire, invitation: Invitation | None = None) -> str:
    """Choose the page's language and make every word of the page use it.

    `?lang=` first (kept with an unfinished answer's invitation, never in a cookie, so that
    a resume shows it again), then the invitation's, the browser's, the survey's first.
    """
    offered = questionnaire.languages
    wanted = languages.asked_for(offered)
    if wanted and invitation is not None and not invitation.completed:
        try:
            with store_faults():
                remember_language(get_db(), invitation, wanted)
        except StoreUnavailable:
            pass  # the page is shown in it all the same; a resume may show another
    invited = invitation.language if invitation is not None else None
    return languages.use(languages.choose(offered, invited), offered)


def _state(times: dict, moment: datetime) -> str:
    """Return whether a survey is "open", "not_yet" open or "closed" at a moment."""
    if times["opens"] and moment < times["opens"]:
        return "not_yet"
    if times["closes"] and moment >= times["closes"]:
        return "closed"
    return "open"


def _closed_page(questionnaire: Questionnaire, language: str):
    """Return the page shown outside the survey's dates, or None when it is open.

    Before it opens the answer is 403 Forbidden (not yet); once it has closed, 410 Gone.
    """
    times = schedule(get_db(), questionnaire.id)
    state = _state(times, datetime.now(UTC))
    if state == "open":
        return None
    page = render_template(
        "respond/closed.html", questionnaire=questionnaire, lang=language, state=state, **times
    )
    return page, 403 if state == "not_yet" else 410


def index():
    """List the surveys, saying which are open, by invitation or open link, and which not."""
    moment = datetime.now(UTC)
    surveys = []
    for questionnaire in current_app.extensions["questionnaires"].values():
        times = schedule(get_db(), questionnaire.id)
        surveys.append((questionnaire, times, _state(times, moment)))
    offered = all_languages(current_app.extensions["questionnaires"].values())
    language = languages.use(languages.choose(offered), offered)
    asked = languages.asked_for(offered)  # carried to the open links
    return render_template("index.html", surveys=surveys, lang=language, asked=asked)


@bp.route("/<survey_id>/open")
def open_link(survey_id: str):
    """Start (or resume) an answer through the survey's open link."""
    questionnaire = _questionnaire(survey_id)
    language = _language(questionnaire)
    if not schedule(get_db(), survey_id)["open_link"]:
        return _message(
            questionnaire,
            language,
            404,
            gettext("This survey is by invitation only"),
            gettext("Please use the personal link you received in your invitation."),
        )
    closed = _closed_page(questionnaire, language)
    if closed:
        return closed
    wanted = languages.asked_for(questionnaire.languages)  # kept on the link by `answer`
    remembered = session.get(f"open:{survey_id}")
    if remembered:
        invitation = find_invitation(get_db(), survey_id, remembered)
        if invitation and not invitation.completed:
            return redirect(
                url_for("respond.answer", survey_id=survey_id, token=remembered, lang=wanted)
            )
    starts = [address_key("open-link")]
    if too_many(starts, "OPEN_LINK_STARTS", "OPEN_LINK_WINDOW"):
        return _message(
            questionnaire,
            language,
            429,
            gettext("Too many new answers from here"),
            gettext(
                "Many questionnaires were started from this address in a short time."
                " Please try again later."
            ),
        )
    count_failure(starts)  # counted so that a script cannot fill the database
    token = create_invitations(get_db(), survey_id, 1, channel="open")[0]
    session[f"open:{survey_id}"] = token
    return redirect(url_for("respond.answer", survey_id=survey_id, token=token, lang=wanted))


def _message(questionnaire: Questionnaire, language: str, status: int, title: str, message: str):
    """Return a page that tells the respondent why the questionnaire is not shown."""
    return render_template(
        "respond/message.html",
        questionnaire=questionnaire,
        lang=language,
        title=title,
        message=message,
    ), status


def _pages_shown(questionnaire: Questionnaire, answers: dict) -> list[int]:
    return [i for i, page in enumerate(questionnaire.pages) if page_is_shown(page, answers)]


def _render_page(
    questionnaire, token, index, form, questions, language, shown, row, status=200, **extra
):
    """Return a questionnaire page; `shown` lists the pages shown, for the progress bar.

    `row` holds the answers so far, which decide the parts of conditions on earlier pages.
    """
    page = questionnaire.pages[index]
    position = shown.index(index) + 1 if index in shown else 1
    return render_template(
        "respond/page.html",
        questionnaire=questionnaire,
        page=page,
        page_number=index + 1,
        position=position,
        total=len(shown),
        is_last=position == len(shown),
        is_first=position == 1,
        form=form,
        questions=questions,
        conditions=page_conditions(questionnaire, page, questions, row, language),
        token=token,
        lang=language,
        **extra,
    ), status


def _received(questionnaire: Questionnaire, language: str, again: bool, left=()):
    status = 409 if again and request.method == "POST" else 200
    return render_template(
        "respond/received.html",
        questionnaire=questionnaire,
        lang=language,
        again=again,
        left=left,
    ), status


@bp.route("/<survey_id>/<token>", methods=["GET", "POST"])
@csrf.exempt
def answer(survey_id: str, token: str):
    """Show a page of the questionnaire, or take its answers and move on."""
    questionnaire = _questionnaire(survey_id)
    db = get_db()
    guesses = [address_key("link")]
    if too_many(guesses, "LINK_ATTEMPTS", "LINK_WINDOW"):
        return _message(
            questionnaire,
            _language(questionnaire),  # before the messages below are translated
            429,
            gettext("Too many unknown links"),
            gettext(
                "Too many links that do not exist were tried from here. Please wait a"
                " while, then use the link from your invitation."
            ),
        )
    invitation = find_invitation(db, survey_id, token)
    if invitation is None:
        count_failure(guesses)
        return _message(
            questionnaire,
            _language(questionnaire),  # before the messages below are translated
            404,
            gettext("This link is not valid"),
            gettext("Please check that you copied the whole link from your invitation."),
        )
    language = _language(questionnaire, invitation)
    if invitation.completed:
        return _received(questionnaire, language, again=True)
    closed = _closed_page(questionnaire, language)
    if closed:
        return closed
    answers = dict(invitation.draft)
    shown = _pages_shown(questionnaire, answers)
    index = _requested_page(invitation, shown, len(questionnaire.pages))
    page = questionnaire.pages[index]
    if request.method == "GET":
        questions = shown_questions(page, answers, decided=False)
        formdata = answers_formdata(questions, answers) or None
        form = _page_form(invitation, page, questions, language, formdata)
        left = left_out(questionnaire, request.args.getlist("not_kept"), answers, language)
        return _render_page(
            questionnaire, token, index, form, questions, language, shown, answers, left=left
        )
    return _take_page(questionnaire, invitation, token, index, language, answers)


def _requested_page(invitation: Invitation, shown: list[int], count: int) -> int:
    """Return the page to show: the one asked for if reached already, else the current one."""
    try:
        wanted = int(request.values.get("page", "")) - 1
    except ValueError:
        wanted = invitation.page
    if not 0 <= wanted < count or wanted > invitation.furthest:
        wanted = invitation.page
    if wanted not in shown:
        later = [i for i in shown if i >= wanted]
        wanted = later[0] if later else (shown[-1] if shown else 0)
    return wanted


def _take_page(questionnaire, invitation, token, index, language, answers):
    page = questionnaire.pages[index]
    submitted = dict(answers)
    submitted.update(formdata_answers(page.questions, request.form))
    questions = shown_questions(page, submitted)
    form = _page_form(invitation, page, questions, language, request.form)
    going_back = request.form.get("action") == "back"
    valid = form.validate()
    expired = "csrf_token" in form.errors
    # An answer to a question whose condition on this page fails is left out, never
    # silently: the page shown next says so (a query parameter: no cookie, no extra step).
    not_kept = [q.name for q in answered_not_applying(page, submitted)]
    for question in page.questions:
        for column in question.columns():
            answers.pop(column.name, None)
    if valid:
        answers.update(form_answers(form, questions))
    elif going_back and not expired:
        answers.update(_valid_part(form, questions))
    if expired or (not valid and not going_back):
        return _page_again(
            questionnaire,
            invitation,
            token,
            index,
            language,
            form,
            submitted,
            request.form,
            _pages_shown(questionnaire, answers),
            expired=expired,
            not_kept=not_kept,
        )
    db = get_db()
    shown = _pages_shown(questionnaire, answers)
    if going_back:
        earlier = [i for i in shown if i < index]
        target = earlier[-1] if earlier else index
    else:
        later = [i for i in shown if i > index]
        target = later[0] if later else None
    try:
        with store_faults():
            if target is None:
                return _finish(questionnaire, invitation, token, language, answers, not_kept)
            saved = save_draft(db, invitation, answers, target)
    except StoreUnavailable:
        return _not_saved(questionnaire, invitation, token, index, language, submitted)
    if not saved:
        return _received(questionnaire, language, again=True)
    return redirect(
        url_for(
            "respond.answer",
            survey_id=questionnaire.id,
            token=token,
            page=target + 1,
            not_kept=not_kept or None,
        )
    )


def _page_again(
    questionnaire, invitation, token, index, language, checked, row, formdata, shown, **extra
):
    """Return a page that was not taken, with what was given and the messages of `checked`.

    It shows every question the page shows before it is submitted, as given (a question
    whose condition on this page failed included), with the errors of the form that
    checked the questions that apply.
    """
    page = questionnaire.pages[index]
    questions = shown_questions(page, row, decided=False)
    form = _page_form(invitation, page, questions, language, formdata)
    for name, field in checked._fields.items():
        if name != "csrf_token" and name in form:
            form[name].errors = list(field.errors)
    return _render_page(
        questionnaire, token, index, form, questions, language, shown, row, status=422, **extra
    )


def _not_saved(questionnaire, invitation, token, index, language, row):
    """Return the page whose answers the database could not take now, as they were typed.

    503 Service Unavailable with Retry-After: nothing of them was saved, and sending the
    page again once the database takes changes again stores them.
    """
    page = questionnaire.pages[index]
    questions = shown_questions(page, row, decided=False)
    form = _page_form(invitation, page, questions, language, request.form)
    shown = _pages_shown(questionnaire, row)
    again = _render_page(
        questionnaire, token, index, form, questions, language, shown, row, 503, not_saved=True
    )
    response = make_response(again)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _valid_part(form, questions) -> dict:
    """Return the answers whose fields passed, kept when the respondent goes back a page."""
    kept = form_answers(form, questions)
    for question in questions:
        for name in question.kind.failed_columns(form, question):
            kept.pop(name, None)
    return kept


def _finish(questionnaire, invitation, token, language, answers, not_kept=()):
    clean, errors, first_bad = check_answers(questionnaire, answers, strict=False)
    db = get_db()
    if errors:
        save_draft(db, invitation, answers, first_bad)
        page = questionnaire.pages[first_bad]
        questions = shown_questions(page, answers)
        formdata = answers_formdata(questions, answers)
        checked = _page_form(invitation, page, questions, language, formdata)
        checked.validate()
        return _page_again(
            questionnaire,
            invitation,
            token,
            first_bad,
            language,
            checked,
            answers,
            formdata,
            _pages_shown(questionnaire, answers),
        )
    if not submit_response(db, questionnaire, invitation, clean, language):
        return _received(questionnaire, language, again=True)
    session.pop(f"open:{questionnaire.id}", None)
    return redirect(
        url_for(
            "respond.thanks",
            survey_id=questionnaire.id,
            not_kept=list(not_kept) or None,
            lang=language,
        )
    )


@bp.route("/<survey_id>/thanks")
def thanks(survey_id: str):
    """Thank the respondent once their answers are stored."""
    questionnaire = _questionnaire(survey_id)
    language = _language(questionnaire)
    left = left_out(questionnaire, request.args.getlist("not_kept"), None, language)
    return _received(questionnaire, language, again=False, left=left)

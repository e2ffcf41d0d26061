"""Respondents answer questionnaires page by page through their links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from surveyapp.questionnaire.answers import shown_questions
from surveyapp.store.surveys import change_schedule
from surveyapp.testing import DEMO_ANSWERS, answers_for


def responses(db, survey="demo"):
    return list(db.query(f"select * from responses_{survey}"))


def finish_demo(respondent, link, answers=DEMO_ANSWERS):
    person = respondent(link)
    for page in answers:
        person.submit(page)
    return person


def test_every_question_type_is_stored(db, invite, respondent):
    person = finish_demo(respondent, invite())
    assert "Thank you" in person.page.get_data(as_text=True)
    [row] = responses(db)
    assert row["region"] == "africa"
    assert row["region_other"] is None
    assert row["organisation"] == "workers"
    assert (row["topics.health"], row["topics.pensions"], row["topics.media"]) == (1, 0, 1)
    assert row["statements.one"] == "agree"
    assert row["statements.two"] == "dont_know"
    assert row["media_partner"] == "Radio"
    assert row["countries"] == 3
    assert (row["pillars.a"], row["pillars.b"], row["pillars.c"]) == (2, 1, 3)
    assert row["share"] == 12.5
    assert row["constraints"] == "Fiscal space"
    assert row["source"] == "web"


def test_progress_indicator_counts_shown_pages(invite, respondent):
    person = respondent(invite())
    person.submit({"region": "africa"})
    assert "Page 2 of 4" in person.page.get_data(as_text=True)
    person.open(page=1)
    person.submit({"region": "other", "region_other": "Oceania"})
    page = person.page.get_data(as_text=True)
    assert "Page 2 of 3" in page
    assert '<progress max="3" value="2"' in page


def test_page_whose_condition_fails_is_skipped(db, invite, respondent):
    person = respondent(invite())
    person.submit({"region": "other", "region_other": "Oceania"})
    person.submit({"statements.one": "agree", "statements.two": "agree"})
    assert "Last page" in person.page.get_data(as_text=True)
    person.submit({})
    [row] = responses(db)
    assert row["countries"] is None
    assert row["region_other"] == "Oceania"


def test_condition_on_same_page_makes_question_required(db, invite, respondent):
    person = respondent(invite())
    response = person.submit({"region": "other"})
    assert response.status_code == 422
    assert "Please answer this question." in response.get_data(as_text=True)


def test_answer_to_a_question_that_does_not_apply_is_not_kept_and_the_next_page_says_so(
    db, invite, respondent
):
    link = invite()
    person = respondent(link)
    response = person.submit(dict(DEMO_ANSWERS[0], region_other="Oceania"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("?page=2&not_kept=region_other")
    page = person.page.get_data(as_text=True)
    assert "Second page" in page
    assert (
        "Your answer to “Which region?” was not kept: that question applies only if you chose"
        f' “Other”. <a href="{link}?page=1">Change your answers on that page</a>.' in page
    )
    assert "Oceania" not in db["invitations"].get(1)["draft"]
    for answers in DEMO_ANSWERS[1:]:
        person.submit(answers)
    assert responses(db)[0]["region_other"] is None


def test_notice_of_an_answer_left_out_is_checked_against_the_answers(invite, respondent):
    """A notice names only a question whose condition on its own page fails."""
    person = respondent(invite())
    person.submit(dict(DEMO_ANSWERS[0], region="other", region_other="Oceania"))
    for name in ("region_other", "constraints", "countries", "nosuchquestion"):
        assert "was not kept" not in person.open(page=f"2&not_kept={name}").get_data(
            as_text=True
        ), name


def test_answer_left_out_on_the_last_page_is_named_on_the_thank_you_page(
    app, client, db, invite, respondent
):
    person = respondent(invite())
    for answers in DEMO_ANSWERS[:3]:
        person.submit(answers)
    response = person.submit(DEMO_ANSWERS[3])
    assert response.headers["Location"] == "/s/demo/thanks?lang=en"
    page = client.get("/s/demo/thanks?not_kept=region_other").get_data(as_text=True)
    assert "Your answer to “Which region?” was not kept" in page


def test_question_conditional_on_its_page_says_when_it_applies(invite, respondent):
    page = respondent(invite()).page.get_data(as_text=True)
    group = re.search(r'<div class="conditional" id="if-region_other"[^>]*>', page).group(0)
    assert 'role="group" aria-labelledby="if-region_other-words"' in group
    assert 'data-if="[&#34;eq&#34;,&#34;region&#34;,&#34;other&#34;]"' in group
    assert '<p class="condition" id="if-region_other-words">Only if you chose “Other”:</p>' in page
    assert '<script src="/static/conditions.js" defer></script>' in page
    # a page without such a condition loads no script
    person = respondent(invite())
    person.submit(DEMO_ANSWERS[0])
    assert "conditions.js" not in person.submit(DEMO_ANSWERS[1]).get_data(as_text=True)


def test_question_conditional_on_its_page_stays_after_an_error(invite, respondent):
    """A page refused for another answer shows the conditional question as given."""
    person = respondent(invite())
    response = person.submit({"region": "africa", "region_other": "", "topics": ["bogus"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="if-region_other"' in page and 'name="region_other"' in page
    assert "will not be kept" not in page  # nothing was typed there
    response = person.submit({"region": "africa", "region_other": "Oceania", "topics": ["x"]})
    page = response.get_data(as_text=True)
    assert 'value="Oceania"' in page
    assert "Please choose one of the answers offered." in page
    assert "This answer will not be kept: the question applies only if you chose “Other”." in page
    assert '<a href="#if-region_other">Which region?</a>: this answer will not be kept.' in page


def test_condition_on_earlier_page_hides_question(invite, respondent):
    person = respondent(invite())
    person.submit({"region": "africa", "topics": ["health"]})
    page = person.page.get_data(as_text=True)
    assert "Which media?" not in page
    assert "You chose media." not in page


def test_changing_an_earlier_answer_drops_answers_no_longer_shown(db, invite, respondent):
    person = respondent(invite())
    person.submit(DEMO_ANSWERS[0])
    person.submit(DEMO_ANSWERS[1])
    person.submit({"countries": "5"})
    person.open(page=1)
    person.submit({"region": "other", "region_other": "Oceania"})
    person.submit(DEMO_ANSWERS[1])
    person.submit(DEMO_ANSWERS[3])
    [row] = responses(db)
    assert row["countries"] is None
    assert row["region"] == "other"


def test_respondent_resumes_where_they_left_off(app, invite, respondent):
    link = invite()
    respondent(link).submit(DEMO_ANSWERS[0])
    later = app.test_client()  # another browser, no cookies: only the link
    page = later.get(link).get_data(as_text=True)
    assert "Second page" in page
    first = later.get(f"{link}?page=1").get_data(as_text=True)
    assert re.search(r'value="africa" checked', first)
    assert re.search(r'<option value="workers" selected>', first)


def test_respondent_cannot_jump_ahead(invite, respondent):
    person = respondent(invite())
    person.open(page=4)
    assert "First page" in person.page.get_data(as_text=True)


def test_previous_keeps_valid_answers_of_the_page(db, invite, respondent):
    person = respondent(invite())
    person.submit(DEMO_ANSWERS[0])
    person.submit({"statements.one": "agree", "statements.two": "bogus"}, action="back")
    assert "First page" in person.page.get_data(as_text=True)
    person.open(page=2)
    page = person.page.get_data(as_text=True)
    assert re.search(r'name="statements.one" value="agree" checked', page)
    assert not re.search(r'value="bogus"', page)


def test_second_submit_changes_nothing(db, client, invite, respondent):
    link = invite()
    person = respondent(link)
    for answers in DEMO_ANSWERS[:-1]:
        person.submit(answers)
    token = person.token()
    person.submit(DEMO_ANSWERS[-1])
    again = client.post(
        f"{link}?page=4", data={"csrf_token": token, "action": "next", **DEMO_ANSWERS[-1]}
    )
    assert again.status_code == 409
    assert "already received" in again.get_data(as_text=True)
    assert len(responses(db)) == 1
    assert "already received" in client.get(link).get_data(as_text=True)


def test_response_keeps_no_trace_of_the_invitation(db, invite, respondent):
    finish_demo(respondent, invite())
    columns = set(db["responses_demo"].columns_dict)
    assert not columns & {"token", "token_hash", "invitation_id", "ip", "ip_address"}
    [invitation] = list(db.query("select * from invitations"))
    assert invitation["completed"] == 1
    assert invitation["draft"] is None


@pytest.mark.parametrize(
    "opens, closes, status, expected",
    [
        (timedelta(days=1), timedelta(days=2), 403, "This survey is not open yet"),
        (timedelta(days=-9), timedelta(days=-1), 410, "This survey is closed"),
    ],
)
def test_outside_the_dates_respondent_sees_a_clear_page(
    db, invite, client, opens, closes, status, expected
):
    """Before it opens a survey answers 403 Forbidden; once closed, 410 Gone."""
    today = datetime.now(UTC)
    change_schedule(
        db,
        "demo",
        {
            "opens": (today + opens).isoformat(),
            "closes": (today + closes).isoformat(),
            "open_link": 1,
        },
    )
    link = invite()
    response = client.get(link)
    assert response.status_code == status
    assert expected in response.get_data(as_text=True)
    response = client.post(link, data={"region": "africa", "action": "next"})
    assert response.status_code == status
    assert expected in response.get_data(as_text=True)
    response = client.get("/s/demo/open")
    assert response.status_code == status
    assert expected in response.get_data(as_text=True)
    assert not db["invitations"].get(1)["started"]


def test_home_page_says_which_surveys_are_open(db, client):
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    later, earlier = today + timedelta(days=3), today - timedelta(days=2)
    change_schedule(db, "demo", {"opens": later.isoformat(), "closes": None, "open_link": 1})
    change_schedule(db, "staff", {"opens": None, "closes": earlier.isoformat()})
    change_schedule(db, "constituents", {"opens": None, "closes": later.isoformat()})
    page = client.get("/").get_data(as_text=True)

    def said(title):
        return re.sub(
            r"\s+", " ", re.search(rf"<strong>{title}</strong><br>(.*?)</li>", page, re.S)[1]
        ).strip()

    day = "{d:%-d} {d:%B} {d:%Y}"
    assert said("Demo survey") == f"Not open yet: opens on {day.format(d=later)}."
    assert said("Survey of ILO staff") == f"Closed on {day.format(d=earlier)}."
    assert said("Survey of constituents and partners") == (
        f"Open to all until it closes on {day.format(d=later)}:"
        ' <a href="/s/constituents/open">Answer this survey</a>'
    )
    change_schedule(db, "constituents", {"closes": None, "open_link": 0})
    page = client.get("/").get_data(as_text=True)
    assert said("Survey of constituents and partners") == "Open, by invitation only."
    assert "/s/constituents/open" not in page


def test_unknown_link_gets_a_clear_page(client, invite):
    response = client.get("/s/demo/not-a-real-token")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    link = invite("staff")
    foreign = client.get(link.replace("/staff/", "/demo/"))
    assert foreign.status_code == 404
    assert client.get("/s/nosuchsurvey/abc").status_code == 404


def test_open_link_starts_and_resumes(client, db):
    first = client.get("/s/constituents/open")
    assert first.status_code == 302
    again = client.get("/s/constituents/open")
    assert again.headers["Location"] == first.headers["Location"]
    invitation = db["invitations"].get(1)
    assert invitation["channel"] == "open"


def test_open_link_is_off_by_default(client):
    response = client.get("/s/staff/open")
    assert response.status_code == 404
    assert "invitation only" in response.get_data(as_text=True)


def test_language_can_be_chosen(invite, client):
    page = client.get(invite() + "?lang=fr").get_data(as_text=True)
    assert "Première page" in page
    assert '<html lang="fr">' in page


BAD_INPUTS = [
    ({"region": "asia"}, "Please choose one of the answers offered."),
    ({"region": ""}, "Please answer this question."),
    ({"organisation": "ministry"}, "Please choose one of the answers offered."),
    ({"topics": ["health", "bogus"]}, "Please choose one of the answers offered."),
    ({"topics": ["health", "pensions", "media"]}, "Please choose at most 2."),
]


@pytest.mark.parametrize("bad, message", BAD_INPUTS)
def test_bad_value_on_first_page_is_refused(db, invite, respondent, bad, message):
    person = respondent(invite())
    answers = {"region": "africa", "organisation": "government", "topics": ["health"]}
    answers.update(bad)
    response = person.submit(answers)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'class="error"' in page
    invitation = db["invitations"].get(1)
    assert invitation["draft"] is None
    assert not invitation["started"]
    # the other answers are kept on the page
    if "organisation" not in bad:
        assert '<option value="government" selected>' in page


LATER_BAD_INPUTS = [
    (
        1,
        {"statements.one": "maybe", "statements.two": "agree"},
        "Please choose one of the answers offered.",
    ),
    (1, {"statements.one": "agree"}, "Please answer this question."),
    (2, {"countries": "100"}, "Please give a number from 1 to 54."),
    (2, {"countries": "abc"}, "Please give a whole number."),
    (2, {"countries": "9" * 40}, "Please give a smaller number."),
    (2, {"countries": "2.5"}, "Please give a whole number."),
    (3, {"share": "nan"}, "Please give a number, such as 2.5."),
    (3, {"share": "inf"}, "Please give a number, such as 2.5."),
    (3, {"share": "-1"}, "Please give a number from 0 to 100."),
    (3, {"pillars.a": "1", "pillars.b": "1", "pillars.c": "2"}, "Please use each rank only once."),
    (3, {"pillars.a": "1"}, "Please give every item a rank, or none."),
    (
        3,
        {"pillars.a": "4", "pillars.b": "1", "pillars.c": "2"},
        "Please choose one of the answers offered.",
    ),
    (3, {"constraints": "x" * 51}, "Please keep this under 50 characters."),
]


@pytest.mark.parametrize("page, bad, message", LATER_BAD_INPUTS)
def test_bad_value_on_later_page_is_refused(db, invite, respondent, page, bad, message):
    person = respondent(invite())
    for answers in DEMO_ANSWERS[:page]:
        person.submit(answers)
    before = db["invitations"].get(1)["draft"]
    response = person.submit(bad)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["invitations"].get(1)["draft"] == before
    assert not responses(db)


def test_missing_or_wrong_csrf_token_saves_nothing(db, invite, respondent, client):
    link = invite()
    person = respondent(link)
    missing = person.submit({"region": "africa"}, csrf=False)
    assert missing.status_code == 422
    assert "security check expired" in missing.get_data(as_text=True)
    assert 'value="africa" checked' in missing.get_data(as_text=True)
    wrong = client.post(
        link + "?page=1", data={"region": "africa", "csrf_token": "forged", "action": "next"}
    )
    assert wrong.status_code == 422
    assert db["invitations"].get(1)["draft"] is None


def test_oversized_body_is_refused(client, invite):
    response = client.post(invite(), data={"constraints": "x" * 400_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_overlong_text_is_capped_in_the_page(invite, respondent):
    person = respondent(invite())
    for answers in DEMO_ANSWERS[:3]:
        person.submit(answers)
    assert 'maxlength="50"' in person.page.get_data(as_text=True)


def test_every_radio_group_has_fieldset_and_every_input_a_label(invite, respondent):
    person = respondent(invite())
    pages = []
    for answers in DEMO_ANSWERS:
        pages.append(person.page.get_data(as_text=True))
        person.submit(answers)
    for page in pages:
        for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page):
            assert f'for="{input_id}"' in page or re.search(
                rf'<label class="option"><input[^>]*id="{re.escape(input_id)}"', page
            ), input_id
        radio_names = set(re.findall(r'type="radio"[^>]*name="([^"]+)"', page))
        for name in radio_names:
            position = page.index(f'name="{name}"')
            assert page.rfind("<fieldset", 0, position) > page.rfind("</fieldset>", 0, position)
            assert page.count("<legend>") >= 1


def test_whole_staff_questionnaire_through_the_test_client(app, db, invite, respondent):
    questionnaire = app.extensions["questionnaires"]["staff"]
    person = respondent(invite("staff"))
    answered = {}
    for _ in range(len(questionnaire.pages) + 1):
        page = person.page.get_data(as_text=True)
        if "Thank you" in page:
            break
        title = re.search(r"<h1>(.*?)</h1>", page).group(1)
        current = next(p for p in questionnaire.pages if p.title["en"] == title)
        answers = {}
        for question in shown_questions(current, answered, decided=False):
            answers.update(answers_for(question))
        answered.update({k: v for k, v in answers.items() if not isinstance(v, list)})
        assert person.submit(answers).status_code == 302
    assert "Thank you" in person.page.get_data(as_text=True)
    [row] = responses(db, "staff")
    assert row["region"] == "africa"
    assert row["priority_areas.informal_economy"] == "5"
    assert row["pillars.in_country"] == 1
    assert row["constraints"] == "Answer to constraints"
    assert row["relevance.gender_lnob"] == "agree"


def test_pages_are_compressed_for_slow_lines(invite, client):
    response = client.get(invite(), headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_empty_number_box_is_no_answer(db, invite, respondent):
    """A browser sends every text box, filled or not: an empty optional number is no answer."""
    person = respondent(invite())
    for answers in DEMO_ANSWERS[:3]:
        person.submit(answers)
    response = person.submit(dict(DEMO_ANSWERS[3], share=""))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert responses(db)[0]["share"] is None


def test_respondent_pages_load_script_only_from_the_server(invite, respondent):
    """The Content-Security-Policy allows no inline script: a page names its script file."""
    person = respondent(invite())
    for answers in DEMO_ANSWERS:
        page = person.page.get_data(as_text=True)
        for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", page, re.S):
            assert re.fullmatch(r'<script src="/static/[a-z]+\.js" defer>', tag), tag
            assert body == ""
        person.submit(answers)


@pytest.mark.parametrize(
    "ranks, message, marked",
    [
        (
            ("1", "1", "2"),
            "Please use each rank only once. Rank 1 is given twice: to Pillar A and Pillar B.",
            ("a", "b"),
        ),
        (
            ("2", "3", "2"),
            "Please use each rank only once. Rank 2 is given twice: to Pillar A and Pillar C.",
            ("a", "c"),
        ),
        (
            ("3", "3", "3"),
            "Please use each rank only once."
            " Rank 3 is given three times: to Pillar A, Pillar B and Pillar C.",
            ("a", "b", "c"),
        ),
    ],
)
def test_a_rank_given_twice_is_named_beside_each_item_concerned(
    invite, respondent, ranks, message, marked
):
    person = respondent(invite())
    for answers in DEMO_ANSWERS[:3]:
        person.submit(answers)
    given = {f"pillars.{item}": rank for item, rank in zip("abc", ranks, strict=True)}
    response = person.submit({**DEMO_ANSWERS[3], **given})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for item in "abc":
        row = re.search(rf'<div class="rank-row[^"]*" id="q-pillars.{item}">.*?</div>', page)
        concerned = item in marked
        assert ('class="rank-row has-error"' in row.group(0)) == concerned, item
        assert (message in row.group(0)) == concerned, item
        assert ('aria-invalid="true"' in row.group(0)) == concerned, item
    # the list at the top names it once, linking to the first item concerned
    assert page.count(message) == len(marked) + 1
    assert f'<a href="#q-pillars.{marked[0]}">Pillar {marked[0].upper()}</a>: {message}' in page

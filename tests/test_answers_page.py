"""The Answers page (filters, search, paging, saving only changes) and coding one at a time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveyapp.store.codings import Codebook
from surveyapp.store.decisions import CODED, PROPOSED, UNCODED
from surveyapp.testing import CSRF, seed_responses

QUESTION = "constraints"
PATH = f"/evaluate/coding/{QUESTION}"
REGIONS = ["africa", "asia_pacific", "arab_states"]
TOPICS = ["Funding was cut", "Covid closed the offices", "Staff left the project"]
KEY = re.compile(r'name="answer" value="([^"]+)"')


@pytest.fixture
def many(app, db):
    """60 staff answers (every fifth in French) and 5 constituents answers, one per line."""
    questionnaires = app.extensions["questionnaires"]
    staff = [
        {
            "response_id": n,
            "constraints": f"{TOPICS[n % 3]} number {n}",
            "region": REGIONS[n % 3],
            "language": "fr" if n % 5 == 0 else "en",
        }
        for n in range(1, 61)
    ]
    staff.append({"response_id": 61, "constraints": "Money\nPeople\nTime", "region": "africa"})
    constituents = [
        {"response_id": n, "constraints": f"Constituents say {TOPICS[n % 3]}", "region": "africa"}
        for n in range(1, 6)
    ]
    seed_responses(db, questionnaires["staff"], staff)
    seed_responses(db, questionnaires["constituents"], constituents)
    return Codebook(db, QUESTION)


@pytest.fixture
def proposed(many):
    """Three codes, every staff answer proposed by the machine under its topic's code."""
    codes = [many.add_code(name.split()[0], "ana") for name in TOPICS]
    for n in range(1, 61):
        many.assign("staff", n, codes[n % 3], "ana", source="cluster")
    return codes


def token(client, path=f"{PATH}/answers"):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def keys(html: str) -> list[str]:
    """Return the answers listed, in order (a non-answer's put-back form names it again)."""
    return list(dict.fromkeys(KEY.findall(html)))


def page(client, **query) -> str:
    response = client.get(f"{PATH}/answers", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_list_is_paged_and_says_what_it_shows(client, auth, many, proposed):
    auth.sign_in()
    first = page(client)
    assert "Showing 1–25 of 66 answers." in first
    assert keys(first)[:6] == [f"constituents:{n}" for n in range(1, 6)] + ["staff:1"]
    assert len(keys(first)) == 25
    second = page(client, page=2)
    assert "Showing 26–50 of 66 answers." in second
    assert keys(second)[0] == "staff:21"
    last = page(client, page=3)
    assert "Showing 51–66 of 66 answers." in last
    assert keys(last)[-1] == "staff:61"
    assert page(client, page=99).count('name="answer"') == 16  # beyond the end: the last page
    assert 'rel="next"' in first and 'rel="prev"' not in first


def test_search_and_filters_narrow_the_list(client, auth, many, proposed):
    auth.sign_in()
    assert keys(page(client, q="COVID CLOSED")) == ["constituents:1", "constituents:4"] + [
        f"staff:{n}" for n in range(1, 61) if n % 3 == 1
    ]
    assert keys(page(client, q="(")) == []  # taken as text, not a pattern
    assert keys(page(client, from_survey="constituents")) == [
        f"constituents:{n}" for n in range(1, 6)
    ]
    assert keys(page(client, from_survey="nosuch"))[:1] == [
        "constituents:1"
    ]  # an unknown survey: ignored
    french = keys(page(client, language="fr"))
    assert french == [f"staff:{n}" for n in range(5, 61, 5)]
    asia = keys(page(client, from_survey="staff", profile="region:asia_pacific"))
    assert asia == [f"staff:{n}" for n in range(1, 61) if n % 3 == 1]
    assert keys(page(client, profile="region:nowhere")) == []
    assert keys(page(client, profile="nosuchquestion:x")) == []
    funding = proposed[0]
    coded = keys(page(client, code=str(funding), from_survey="staff"))
    assert coded == [f"staff:{n}" for n in range(3, 61, 3)]
    assert keys(page(client, code="none")) == [f"constituents:{n}" for n in range(1, 6)] + [
        "staff:61"
    ]


def test_review_state_filters_and_badges(client, auth, many, proposed):
    auth.sign_in()
    many.accept_proposed("staff", 3, "ana")
    many.set_codes("staff", 4, [], "ana")
    html = page(client, q="number 3")
    assert keys(html)[0] == "staff:3" and "coded by you" in html
    assert keys(page(client, state="coded")) == ["staff:3"]
    assert keys(page(client, state="uncoded")) == ["staff:4"]
    assert len(keys(page(client, state="proposed", page=3))) == 58 - 50
    todo = keys(page(client, state="todo"))
    assert todo == [f"constituents:{n}" for n in range(1, 6)] + ["staff:61"]
    unreviewed = page(client, state="unreviewed")
    assert "Showing 1–25 of 64 answers." in unreviewed
    assert "proposed by the machine" in unreviewed and "to do" in page(client, state="todo")
    assert keys(page(client, state="non-answer")) == []


def test_old_show_links_keep_working(client, auth, many, proposed):
    auth.sign_in()
    many.set_codes("staff", 1, [proposed[1]], "ana")
    assert "staff:1" not in keys(page(client, show="uncoded"))
    assert len(keys(page(client, show="uncoded", page=3))) == 65 - 50
    assert keys(page(client, show=str(proposed[1])))[:2] == ["staff:1", "staff:4"]
    for show in ("all", "²", "-1", "1e3"):
        assert page(client, show=show)


def test_saving_records_only_changes_and_says_how_many(client, auth, db, many, proposed):
    auth.sign_in()
    html = page(client)
    shown = keys(html)
    form = {"csrf_token": token(client), "answer": shown}
    for key in shown:  # tick exactly what is ticked now
        box = re.compile(rf'name="codes-{re.escape(key)}" value="(\d+)" checked')
        form[f"codes-{key}"] = box.findall(html)
    funding, covid, staff = proposed
    form["codes-staff:1"] = [str(funding)]  # was covid: changed
    form["codes-staff:2"] = [str(funding), str(staff)]  # was funding: one more
    form["accept-staff:3"] = "1"  # proposed, accepted as it is
    form["accept-staff:4"] = "1"
    form["codes-staff:4"] = []  # accepted but every code untied: the change wins
    before = db["coding_decisions"].count
    response = client.post(f"{PATH}/answers?page=1&state=proposed", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/answers?page=1&state=proposed")
    message = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 answers changed; 21 unchanged." in message
    # staff 1: remove + add + review; 2: add + review; 3: review; 4: remove + review
    assert db["coding_decisions"].count == before + 3 + 2 + 1 + 2
    states = many.states("ana")
    assert [states[("staff", n)] for n in (1, 2, 3, 4, 5)] == [
        CODED,
        CODED,
        CODED,
        UNCODED,
        PROPOSED,
    ]
    client.post(f"{PATH}/answers", data=form)
    assert db["coding_decisions"].count == before + 8  # the same again: nothing written


def test_marking_an_uncoded_answer_reviewed(client, auth, db, many, proposed):
    auth.sign_in()
    form = {"csrf_token": token(client), "answer": ["staff:61", "constituents:1"]}
    form["reviewed-staff:61"] = "1"
    client.post(f"{PATH}/answers", data=form)
    assert many.states("ana").get(("staff", 61)) == UNCODED
    assert ("constituents", 1) not in many.states("ana")


def test_answer_text_keeps_its_line_breaks(client, auth, many, proposed):
    auth.sign_in()
    html = page(client, q="money")
    assert '<p class="answer-text">Money\nPeople\nTime</p>' in html


def test_walk_goes_to_the_first_answer_in_a_state(client, auth, many, proposed):
    auth.sign_in()
    response = client.get(f"{PATH}/walk", query_string={"state": "proposed"})
    assert response.status_code == 302
    assert f"{PATH}/answers/staff/1?state=proposed" in response.headers["Location"]
    response = client.get(f"{PATH}/walk", query_string={"state": "coded"})
    assert response.headers["Location"].endswith(f"{PATH}/answers?state=coded")
    assert "No answer is left in this list." in client.get(response.headers["Location"]).text


def test_one_answer_at_a_time(client, auth, db, many, proposed):
    auth.sign_in()
    url = f"{PATH}/answers/staff/2?state=proposed"
    html = client.get(url).get_data(as_text=True)
    assert "2 of 60" in html
    assert 'class="answer-text answer-large"' in html
    assert "Accept as proposed" in html and "Save and next" in html
    assert f'href="{PATH}/answers/staff/1?state=proposed" rel="prev"' in html
    assert f'href="{PATH}/answers/staff/3?state=proposed" rel="next"' in html
    assert 'src="/static/coding.js" defer' in html
    # accepting goes to the next proposed answer, which is now second in the list
    csrf = CSRF.search(html).group(1)
    response = client.post(url, data={"csrf_token": csrf, "action": "accept"})
    assert response.headers["Location"].endswith(f"{PATH}/answers/staff/3?state=proposed")
    assert many.state_of("staff", 2, "ana") == CODED
    assert "2 of 59" in client.get(response.headers["Location"]).text
    # save with other codes, then leave one uncoded
    response = client.post(
        f"{PATH}/answers/staff/3?state=proposed",
        data={"csrf_token": csrf, "action": "save", "codes": [str(proposed[1])]},
    )
    assert many.codes_of("staff", 3, "ana") == {proposed[1]}
    client.post(f"{PATH}/answers/staff/4", data={"csrf_token": csrf, "action": "uncoded"})
    assert many.state_of("staff", 4, "ana") == UNCODED
    # saving an answer unchanged writes nothing
    count = db["coding_decisions"].count
    client.post(
        f"{PATH}/answers/staff/3",
        data={"csrf_token": csrf, "action": "save", "codes": [str(proposed[1])]},
    )
    assert db["coding_decisions"].count == count
    # the last answer of a list goes back to the list
    last = client.post(f"{PATH}/answers/staff/61", data={"csrf_token": csrf, "action": "uncoded"})
    assert last.headers["Location"].endswith(f"{PATH}/answers")
    assert client.get(f"{PATH}/answers/staff/999").status_code == 302


def test_the_keyboard_script_is_served_and_allowed(client, auth, many, proposed):
    auth.sign_in()
    response = client.get(f"{PATH}/answers/staff/1")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = client.get("/static/coding.js")
    assert script.status_code == 200
    text = script.get_data(as_text=True)
    for key in ('"Enter"', '"a"', '"u"', '"n"', '"p"', "ArrowRight", "[0-9]", "typing"):
        assert key in text
    html = response.get_data(as_text=True)
    assert 'data-shortcut="1"' in html and "<kbd>1</kbd>" in html


def test_suggestions_learn_only_from_reviewed_answers(client, auth, many, proposed):
    auth.sign_in()
    response = client.get(f"{PATH}/suggestions")  # only the machine's codes: nothing to learn
    assert response.status_code == 302
    assert "reviewed yourself" in client.get(response.headers["Location"]).text
    funding, covid, staff = proposed
    for n in range(1, 13):
        many.accept_proposed("staff", n, "ana")
    html = client.get(f"{PATH}/suggestions").get_data(as_text=True)
    suggested = re.findall(r'name="accept" value="([^"]+)"', html)
    assert "staff:13" in suggested and "staff:1" not in suggested
    assert len(suggested) == 66 - 12
    assert '<p class="answer-text">Covid closed the offices number 13</p>' in html
    assert "Proposed by the machine: Covid" in html
    csrf = CSRF.search(html).group(1)
    client.post(
        f"{PATH}/suggestions",
        data={"csrf_token": csrf, "accept": ["staff:13"], "code-staff:13": str(staff)},
    )
    assert many.codes_of("staff", 13, "ana") == {staff}  # the machine's covid code replaced
    assert many.state_of("staff", 13, "ana") == CODED
    assert many.state_of("staff", 14, "ana") == PROPOSED


def test_filters_follow_an_answer_into_coding_it_alone(client, auth, many, proposed):
    auth.sign_in()
    html = page(client, from_survey="staff", state="proposed")
    assert f"{PATH}/answers/staff/1?from_survey=staff&amp;state=proposed" in html
    alone = client.get(f"{PATH}/answers/staff/1?from_survey=staff&state=proposed").text
    assert "1 of 60" in alone
    assert f"{PATH}/answers?from_survey=staff&amp;state=proposed" in alone  # back to the list


def test_non_answers_are_shown_apart(client, auth, app, db, many, proposed):
    auth.sign_in()
    seed_responses(
        db,
        app.extensions["questionnaires"]["staff"],
        [{"response_id": 62, "constraints": "N/A", "region": "africa"}],
    )
    html = page(client, state="non-answer")
    assert keys(html) == ["staff:62"]
    assert '<span class="badge non-answer">non-answer</span>' in html


def test_a_non_answer_is_put_back_from_the_list(client, auth, app, db, many, proposed):
    auth.sign_in()
    seed_responses(
        db,
        app.extensions["questionnaires"]["staff"],
        [{"response_id": 62, "constraints": "none", "region": "africa"}],
    )
    html = page(client, state="non-answer")
    form = re.search(
        r'<form id="include-1" method="post" action="([^"]+)" hidden>(.*?)</form>', html
    )
    assert 'form="include-1"' in html and form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert fields["answer"] == "staff:62" and fields["included"] == "1"
    response = client.post(form.group(1), data=fields)
    assert response.headers["Location"].endswith("/answers?state=non-answer")
    assert keys(page(client, state="non-answer")) == []
    alone = client.get(f"{PATH}/answers/staff/62").text
    assert "Leave out of clustering" in alone


def test_every_answer_a_coding_page_shows_keeps_its_line_breaks():
    """An answer written as a list keeps its lines wherever it is shown (class answer-text)."""
    folder = Path(__file__).resolve().parents[1] / "surveyapp/web/templates/coding"
    shown = re.compile(r"<(\w+)([^>]*)>[“\"]?\{\{ (\w+\.text|text|quote) \}\}")
    found = 0
    for template in sorted(folder.glob("*.html")):
        for match in shown.finditer(template.read_text(encoding="utf-8")):
            assert "answer-text" in match.group(2), f"{template.name}: {match.group(0)}"
            found += 1
    assert found >= 6

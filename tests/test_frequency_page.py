"""The Frequency page offers only groupings that work, labelled in words, with whole counts."""

from __future__ import annotations

import re

import pytest

from surveyapp.analysis.groups import GroupingError, group_labels, groupings
from surveyapp.store.codings import Codebook
from surveyapp.testing import seed_responses

PAGE = "/evaluate/coding/constraints/frequency"
REGION = "In which region do you work?"
ORGANISATION = "What type of organization do you work for?"


@pytest.fixture
def coded(app, db):
    """Twelve staff and six constituents answers; ana codes them all, Funding for 8 of them."""
    questionnaires = app.extensions["questionnaires"]
    staff = [
        {"response_id": n, "constraints": f"staff answer {n}", "region": "africa", "role": "other"}
        for n in range(1, 13)
    ]
    constituents = [
        {"response_id": n, "constraints": f"answer {n}", "region": "africa",
         "organisation": "government"}
        for n in range(1, 7)
    ]  # fmt: skip
    seed_responses(db, questionnaires["staff"], staff)
    seed_responses(db, questionnaires["constituents"], constituents)
    book = Codebook(db, "constraints")
    funding = book.add_code("Funding", "ana")
    for row in staff:
        book.set_codes("staff", row["response_id"], [funding] * (row["response_id"] <= 6), "ana")
    for row in constituents:
        book.set_codes(
            "constituents", row["response_id"], [funding] * (row["response_id"] <= 2), "ana"
        )
    return book


def options(page: str) -> list[tuple[str, str]]:
    """Return the (value, label) of the By menu's options."""
    menu = re.search(r'<select id="by" name="by">(.*?)</select>', page).group(1)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', menu)


def test_only_groupings_every_survey_can_give_are_offered(app):
    questionnaires = app.extensions["questionnaires"]
    both = groupings(questionnaires, ["staff", "constituents"])
    assert [by for by, _label in both] == ["survey", "language", "region"]
    assert dict(both)["region"] == REGION
    alone = dict(groupings(questionnaires, ["constituents"]))
    assert alone["organisation"] == ORGANISATION
    assert "role" in dict(groupings(questionnaires, ["staff"]))
    for by, _label in both:  # what is offered always works
        group_labels(questionnaires, ["staff", "constituents"], by)
    with pytest.raises(GroupingError):
        group_labels(questionnaires, ["staff", "constituents"], "organisation")


def test_the_page_offers_them_labelled_with_the_question(client, auth, coded):
    auth.sign_in()
    page = client.get(PAGE).get_data(as_text=True)
    assert options(page) == [
        ("survey", "Survey"), ("language", "Language answered in"), ("region", REGION),
    ]  # fmt: skip
    grouped = client.get(f"{PAGE}?by=region").get_data(as_text=True)
    assert '<option value="region" selected>' in grouped
    assert "Africa (n = 18)" in grouped
    assert f"Grouped by: {REGION}" in grouped


def test_counts_are_whole_numbers(client, auth, coded):
    auth.sign_in()
    for by in ("survey", "region", "language"):
        page = client.get(f"{PAGE}?by={by}").get_data(as_text=True)
        table = page.split("<table", 1)[1].split("</table>", 1)[0]
        assert not re.search(r">\s*\d+\.0\b", table), by
        assert ">8 (44%)" in table  # Funding: 6 staff + 2 constituents of 18


@pytest.mark.parametrize(
    "by", ["organisation", "role", "constraints", "nonsense", "<script>x</script>", "code:x"]
)
def test_a_grouping_that_does_not_work_is_refused_in_words(client, auth, coded, by):
    auth.sign_in()
    for path in (PAGE, f"{PAGE}.csv"):
        response = client.get(path, query_string={"by": by, "min_cell": "3"})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert "by=" not in location and "min_cell=3" in location
        page = client.get(location).get_data(as_text=True)
        assert "cannot be grouped by" in page and "<script>x" not in page
        assert "Traceback" not in page


def test_a_question_one_survey_asks_is_not_offered(client, auth, coded, app, db):
    # constraints is asked by both surveys, so the page shows both: organisation, asked
    # by constituents only, is not offered; the CSV and the page agree on the groups.
    auth.sign_in()
    page = client.get(PAGE).get_data(as_text=True)
    assert ORGANISATION not in page
    csv = client.get(f"{PAGE}.csv?by=region&min_cell=1").get_data(as_text=True)
    assert "Funding,Africa,8,18," in csv


def test_the_page_says_how_many_counted_answers_are_unreviewed_proposals(client, auth, db, coded):
    auth.sign_in()  # as ana
    page = client.get(PAGE).get_data(as_text=True)
    assert "proposed codes, not yet reviewed" not in page
    funding = coded.codes()[0]["id"]
    for response_id in (1, 2):  # the machine's codes: a split re-codes them as proposals
        coded._decide("staff", response_id, funding, "ana", "add", "cluster", "ana")
    assert sum(state == "proposed" for state in coded.states("ana").values()) == 2
    page = client.get(PAGE).get_data(as_text=True)
    assert "2 answers counted carry the machine's proposed codes, not yet reviewed by ana." in page
    assert "/evaluate/coding/constraints/walk?state=proposed" in page

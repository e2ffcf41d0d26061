"""Response rates: imported responses count toward the invited population, the open link apart.

The rate is (responses completed through invitation links + responses imported for the
invited population) / links made; `import-responses --attr KEY=VALUE` puts imported
responses in the group of links made with that attribute.
"""

from __future__ import annotations

import re

import pytest

from surveyapp.store.invitations import create_invitations
from surveyapp.store.rates import response_rates
from surveyapp.store.responses import META_COLUMNS, response_count
from surveyapp.testing import DEMO_ANSWERS, Respondent, responses_file, seed_responses


def complete(client, token, survey="demo"):
    """Answer the demo questionnaire through an invitation link."""
    person = Respondent(client, f"/s/{survey}/{token}")
    person.open()
    for page in DEMO_ANSWERS:
        person.submit(page)
    assert "Thank you" in person.page.get_data(as_text=True)


@pytest.fixture
def staff_survey(app, db, client, run, tmp_path):
    """The report's staff survey in small: 232 invited, 2 answered online, 62 imported."""
    africa = create_invitations(db, "demo", 200, {"region": "Africa"})
    create_invitations(db, "demo", 32, {"region": "Asia"})
    for token in africa[:2]:
        complete(client, token)
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 62)
    run("import-responses", "demo", paper, "--attr", "region=Africa")
    return africa


def test_imported_responses_count_toward_the_rate_as_the_report_counts_them(staff_survey, run):
    overall = run("status", "demo").output
    assert "rate = (web + imported) / invited" in overall
    assert re.search(r"All\s+232\s+2\s+2\s+62\s+64\s+28%\s+0\n", overall), overall
    by_region = run("status", "demo", "--by", "region").output
    assert re.search(r"Africa\s+200\s+2\s+2\s+62\s+64\s+32%\s+0\n", by_region), by_region
    assert re.search(r"Asia\s+32\s+0\s+0\s+0\s+0\s+0%\s+0\n", by_region), by_region
    assert "(none)" not in by_region


def test_the_dashboards_show_web_imported_and_open_link_apart(
    staff_survey, app, client, auth, run
):
    run("schedule", "demo", "--open-link")
    visitor = app.test_client()
    start = visitor.get("/s/demo/open")
    assert start.status_code == 302
    opened = Respondent(visitor, start.headers["Location"])
    opened.open()
    for page in DEMO_ANSWERS:
        opened.submit(page)
    assert "Thank you" in opened.page.get_data(as_text=True)
    auth.sign_in()
    dashboard = client.get("/evaluate/").get_data(as_text=True)
    assert '<th scope="col">Imported</th>' in dashboard
    assert re.search(
        r"Demo survey</a></th>\s*<td>232</td><td>2</td><td>2</td><td>62</td><td>64</td>"
        r"\s*<td>28%</td><td>1</td><td>65</td>",
        dashboard,
    )
    page = client.get("/evaluate/surveys/demo").get_data(as_text=True)
    assert "response rate 64/232 = 28%" in page
    assert re.search(
        r"<th scope=\"row\">All</th><td>232</td><td>2</td><td>2</td><td>62</td><td>64</td>"
        r"<td>28%</td><td>1</td>",
        page,
    )
    assert re.search(
        r"<th scope=\"row\">Africa</th><td>200</td><td>2</td><td>2</td><td>62</td><td>64</td>"
        r"<td>32%</td><td>0</td>",
        page,
    )
    assert "(completed online through an invitation link + imported) / invited" in page


def test_responses_imported_without_attributes_count_overall_and_under_none(
    app, db, run, tmp_path
):
    create_invitations(db, "demo", 10, {"region": "Africa"})
    run(
        "import-responses",
        "demo",
        responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "a.csv", 3),
    )
    [overall] = response_rates(db, "demo")
    assert (overall["imported"], overall["responded"], overall["response_rate"]) == (3, 3, 0.3)
    rows = {row["group"]: row for row in response_rates(db, "demo", "region")}
    assert rows["Africa"]["imported"] == 0 and rows["Africa"]["response_rate"] == 0
    assert rows["(none)"]["imported"] == 3 and rows["(none)"]["response_rate"] is None


def test_responses_imported_by_an_earlier_release_count_too(app, db):
    """Imports made before files were recorded (release 0.1.0) count, with no attribute."""
    create_invitations(db, "demo", 4, {"region": "Asia"})
    demo = app.extensions["questionnaires"]["demo"]
    seed_responses(db, demo, [{"region": "africa"}, {"region": "africa"}], source="import")
    seed_responses(db, demo, [{"region": "africa"}], source="web")  # no invitation used
    [overall] = response_rates(db, "demo")
    assert (overall["completed"], overall["imported"], overall["response_rate"]) == (0, 2, 0.5)
    rows = {row["group"]: row for row in response_rates(db, "demo", "region")}
    assert rows["(none)"]["imported"] == 2 and rows["Asia"]["imported"] == 0


def test_an_attribute_no_invitation_carries_is_refused(app, db, run, tmp_path):
    create_invitations(db, "demo", 3, {"region": "Africa", "office": "country"})
    create_invitations(db, "demo", 3, {"region": "Asia"})
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 2)
    for attrs in (["region=Afrika"], ["region=Asia", "office=country"], ["unit=HQ"]):
        args = [part for attr in attrs for part in ("--attr", attr)]
        result = run("import-responses", "demo", paper, *args, expect=1)
        assert f"no invitation link of demo was made with {', '.join(attrs)}" in result.output
        assert "the links carry office=country; region=Africa, Asia" in result.output
        assert "rejected, nothing imported" in result.output
    assert response_count(db, "demo") == 0
    run("import-responses", "demo", paper, "--attr", "region=Africa", "--attr", "office=country")
    rows = {row["group"]: row for row in response_rates(db, "demo", "office")}
    assert rows["country"]["imported"] == 2 and rows["(none)"]["imported"] == 0


def test_an_import_keeps_its_attributes_off_the_response_rows(staff_survey, app, db):
    """Anonymity: imported responses carry no link, hash or invitation id, nor attributes."""
    columns = set(db["responses_demo"].columns_dict)
    demo = app.extensions["questionnaires"]["demo"]
    assert columns == set(META_COLUMNS) | {column.name for column in demo.columns()}
    hashes = {row["token_hash"] for row in db["invitations"].rows}
    for table in ("response_imports", "responses_demo"):
        text = " ".join(str(value) for row in db[table].rows for value in row.values())
        assert not any(token in text for token in staff_survey)
        assert not any(digest in text for digest in hashes)
    [record] = list(db["response_imports"].rows)
    assert set(record) == {
        "id", "survey", "sha256", "file_name", "imported_at", "responses",
        "invitation_attributes",
    }  # fmt: skip

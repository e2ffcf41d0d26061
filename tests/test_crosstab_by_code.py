"""`crosstab --by code:QUESTION`: the ratings of the respondents whose answers carry each code."""

from __future__ import annotations

import csv
import io

import pytest

from surveyapp.analysis.survey_tables import CrosstabError, make_crosstab
from surveyapp.store.codings import Codebook
from surveyapp.testing import seed_responses

ITEM = "relevance.gender_lnob"

# Twelve staff responses. Ratings of the gender item, and ana's codes of their constraints:
#
#   1-4   agree      Funding           (4 respondents)
#   5-6   agree      Funding, Staffing (2: in both groups)
#   7-9   disagree   Staffing          (3)
#   10    disagree   reviewed, no code
#   11    agree      answered, not coded yet
#   12    disagree   no answer to constraints
#
# Funding: 6 (6 agree); Staffing: 5 (2 agree, 3 disagree); All: 12 respondents counted once
# (7 agree, 5 disagree), though the code groups add up to 6 + 5 + 1 + 1 + 1 = 14.
RATINGS = ["agree"] * 6 + ["disagree"] * 3 + ["disagree", "agree", "disagree"]


@pytest.fixture
def coded(app, db):
    """Store the twelve responses and ana's coding."""
    rows = [
        {"response_id": n, ITEM: RATINGS[n - 1], "constraints": f"answer {n}" if n < 12 else ""}
        for n in range(1, 13)
    ]
    seed_responses(db, app.extensions["questionnaires"]["staff"], rows)
    book = Codebook(db, "constraints")
    funding, staffing = book.add_code("Funding", "ana"), book.add_code("Staffing", "ana")
    for n in range(1, 11):
        codes = [funding] * (n <= 6) + [staffing] * (5 <= n <= 9)
        book.set_codes("staff", n, codes, "ana")
    return book


def counts(result, group: str) -> dict[str, int]:
    """Return the gender item's counts per scale point for one group."""
    _block, table = result.tables[0]
    part = table[(table.group == group) & (table.item == "gender_lnob")]
    return {row.value: row["count"] for _, row in part.iterrows()}


def test_each_code_is_a_group_and_all_counts_everyone_once(app, db, coded):
    questionnaires = app.extensions["questionnaires"]
    result = make_crosstab(
        db, questionnaires, ["staff"], "code:constraints", min_cell=1, questions=["relevance"]
    )
    assert counts(result, "Funding")["agree"] == 6 and counts(result, "Funding")["disagree"] == 0
    assert counts(result, "Staffing")["agree"] == 2
    assert counts(result, "Staffing")["disagree"] == 3
    assert counts(result, "(no code)")["disagree"] == 1
    assert counts(result, "(not coded yet)")["agree"] == 1
    assert counts(result, "(no answer)")["disagree"] == 1
    everyone = counts(result, "All")
    assert (everyone["agree"], everyone["disagree"], everyone["_base"]) == (7, 5, 12)
    _block, table = result.tables[0]
    order = list(dict.fromkeys(table.group))
    assert order[:3] == ["All", "Funding", "Staffing"]
    assert result.tests(result.tables[0][0]).empty  # overlapping groups: no test


def test_small_code_groups_are_suppressed(app, db, coded):
    questionnaires = app.extensions["questionnaires"]
    result = make_crosstab(
        db, questionnaires, ["staff"], "code:constraints", min_cell=6, questions=["relevance"]
    )
    _block, table = result.tables[0]
    shown = table[~table.suppressed.astype(bool)]
    assert set(shown.group) == {"All", "Funding"}  # Staffing has 5 < 6
    assert table[table.group == "Staffing"]["count"].isna().all()


def test_several_coders_must_be_named(app, db, coded):
    questionnaires = app.extensions["questionnaires"]
    coded.set_codes("staff", 1, [], "ben")
    with pytest.raises(CrosstabError, match="ana, ben"):
        make_crosstab(db, questionnaires, ["staff"], "code:constraints", min_cell=1)
    result = make_crosstab(
        db, questionnaires, ["staff"], "code:constraints@ben", min_cell=1, questions=["relevance"]
    )
    assert counts(result, "(no code)")["agree"] == 1  # ben left response 1 without a code
    assert counts(result, "(not coded yet)")["_base"] == 10


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("code:region", "not a free-text question"),
        ("code:", "name the open question"),
        ("code:constraints@zoe", "'zoe' has not coded"),
    ],
)
def test_bad_code_groupings_are_refused_in_words(app, db, coded, by, message):
    with pytest.raises(CrosstabError, match=message):
        make_crosstab(db, app.extensions["questionnaires"], ["staff"], by)


def test_crosstab_command_writes_the_table_with_the_note(run, coded, tmp_path):
    result = run("crosstab", "staff", "--by", "code:constraints", "--min-cell", "1",
                 "--question", "relevance")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    funding = [r for r in rows if r["group"] == "Funding" and r["item"] == "gender_lnob"]
    assert {r["value"]: r["count"] for r in funding}["agree"] == "6"
    markdown = tmp_path / "t.md"
    run("crosstab", "staff", "--by", "code:constraints", "--min-cell", "1",
        "--question", "relevance", "--format", "md", "-o", markdown)  # fmt: skip
    text = markdown.read_text(encoding="utf-8")
    assert "counts in each of their groups, and once in All" in text
    assert "ana's coding" in text
    chart = tmp_path / "c.png"
    run("chart", "staff", "--by", "code:constraints", "--min-cell", "1",
        "--question", "relevance", "-o", chart)  # fmt: skip
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_crosstab_command_names_the_coders_when_it_cannot_choose(run, coded):
    coded.set_codes("staff", 1, [], "ben")
    result = run("crosstab", "staff", "--by", "code:constraints", expect=2)
    assert "several coders" in result.output and "ana, ben" in result.output


def test_the_crosstab_page_offers_the_codes_and_shows_the_note(client, auth, coded):
    auth.sign_in()
    page = client.get("/evaluate/crosstabs/?survey=staff").get_data(as_text=True)
    assert '<option value="code:constraints">Codes of “' in page
    assert '<option value="region">In which region do you work?</option>' in page
    shown = client.get(
        "/evaluate/crosstabs/",
        query_string={"survey": "staff", "by": "code:constraints", "min_cell": "1"},
    )
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Funding" in text and "counts in each of their groups, and once in All" in text
    coded.set_codes("staff", 1, [], "ben")  # two coders, no consensus: not offered
    page = client.get("/evaluate/crosstabs/?survey=staff").get_data(as_text=True)
    assert "code:constraints" not in page
    refused = client.get("/evaluate/crosstabs/?survey=staff&by=code:constraints")
    assert refused.status_code == 400 and "ana, ben" in refused.get_data(as_text=True)


def test_the_consensus_is_used_when_there_is_one(app, db, coded):
    if not hasattr(coded, "start_consensus"):
        pytest.skip("the store has no consensus coding")
    for n in range(1, 11):  # ben codes as ana did, but leaves Staffing off response 5
        codes = coded.codes_of("staff", n, "ana") - ({2} if n == 5 else set())
        coded.set_codes("staff", n, codes, "ben")
    coded.start_consensus("ana", "ben", "ana")
    result = make_crosstab(
        db, app.extensions["questionnaires"], ["staff"], "code:constraints", min_cell=1,
        questions=["relevance"],
    )  # fmt: skip
    assert "the consensus coding" in result.overlap_note
    assert counts(result, "Staffing")["_base"] == 4  # response 5 is not settled yet
    assert counts(result, "(not coded yet)")["_base"] == 2  # responses 5 and 11

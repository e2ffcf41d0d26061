"""A shared, versioned codebook: deleting codes, undoing merges, its history, and a second
coder adopting a clustering without harm, in the store and through the workspace."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sqlite_utils

from coding.cluster import propose_codes
from coding.codebook import CodingError
from coding.embeddings import LsaEmbedder
from surveyapp.store.codings import Codebook
from surveyapp.store.decisions import CODED, PROPOSED, UNCODED
from surveyapp.store.evaluators import add_evaluator
from surveyapp.store.migrations import migrate
from surveyapp.testing import CSRF, PASSWORD, seed_responses, sign_in

QUESTION = "constraints"
ANSWERS = [
    "Funding was cut by the donor",
    "The donor reduced the budget",
    "Not enough money for the activities",
    "Budget cuts stopped the work",
    "Covid lockdowns stopped field missions",
    "The pandemic closed the offices",
    "Covid travel bans delayed the launch",
    "Lockdowns during the pandemic",
    "Staff left the project",
    "Too few staff in the country office",
    "Staff turnover was high",
    "Recruiting staff took a year",
]
KEYS = [("staff", n) for n in range(1, len(ANSWERS) + 1)]


@pytest.fixture
def book(tmp_path):
    database = sqlite_utils.Database(tmp_path / "x.db")
    migrate(database)
    yield Codebook(database, QUESTION)
    database.close()


def current(codebook, coder) -> dict[tuple[str, int], set[str]]:
    """Return {(survey, response_id): code names} of a coder's current coding."""
    coded: dict[tuple[str, int], set[str]] = {}
    for row in codebook.coding(coder).itertuples():
        coded.setdefault((row.survey, row.response_id), set()).add(row.code)
    return coded


def stored_clustering(codebook, coder="ana") -> int:
    """Cluster the twelve answers into three and store the clustering; return its id."""
    proposal = propose_codes(KEYS, ANSWERS, n_clusters=3, embedder=LsaEmbedder())
    return codebook.store_clustering(proposal, ["staff"], 3, 0, coder)


# -- deleting a code -----------------------------------------------------------------------------


def test_delete_takes_the_code_off_every_coders_answers_and_logs_it(book):
    money = book.add_code("Money", "ana")
    staff = book.add_code("Staff", "ana")
    book.set_codes("staff", 1, [money, staff], "ana")
    book.set_codes("staff", 2, [money], "ana")
    book.set_codes("staff", 2, [money], "ben")

    assert book.deletion_preview(money)["answers"] == 3
    assert book.deletion_preview(money)["coders"] == ["ana", "ben"]
    lost = book.delete_code(money, "carla")

    assert lost == 3
    assert [c["name"] for c in book.codes()] == ["Staff"]
    assert current(book, "ana") == {("staff", 1): {"Staff"}}
    assert current(book, "ben") == {}
    assert book.codes_of("staff", 2, "ben") == set()
    with pytest.raises(CodingError, match=f"no code {money}"):
        book.code(money)
    with pytest.raises(CodingError, match=f"no code {money}"):
        book.delete_code(money, "carla")
    row = book.db["codes"].get(money)
    assert row["deleted_by"] == "carla" and row["deleted_at"]
    removals = book.history().query("source == 'delete'")
    assert len(removals) == 3 and set(removals.action) == {"remove"}
    assert set(removals.decided_by) == {"carla"} and set(removals.coder) == {"ana", "ben"}
    assert book.events()[0]["event"] == "delete"
    assert book.events()[0]["evaluator"] == "carla"
    # the reviewed answer left with no code counts as reviewed and left uncoded
    assert book.states("ben") == {("staff", 2): UNCODED}
    assert book.states("ana")[("staff", 1)] == CODED
    book.add_code("money", "ana")  # the name is free again


def test_a_deleted_code_is_refused_for_coding(book):
    money = book.add_code("Money", "ana")
    book.delete_code(money, "ana")
    with pytest.raises(CodingError, match="no code"):
        book.set_codes("staff", 1, [money], "ana")
    with pytest.raises(CodingError, match="no code"):
        book.merge(money, book.add_code("Other", "ana"), "ana")


# -- merging and undoing a merge -----------------------------------------------------------------


@pytest.fixture
def merged(book):
    """Money (answers 1, 2 of ana; 3 of ben) merged into Funding (answers 2 of ana, 4 of ben)."""
    money = book.add_code("Money", "ana")
    funding = book.add_code("Funding", "ana")
    other = book.add_code("Other", "ana")
    book.set_codes("staff", 1, [money, other], "ana")
    book.set_codes("staff", 2, [money, funding], "ana")
    book.set_codes("staff", 3, [money], "ben")
    book.set_codes("staff", 4, [funding], "ben")
    preview = book.merge_preview(money, funding)
    assert (preview["source_answers"], preview["target_answers"], preview["both"]) == (3, 2, 1)
    merge_id = book.merge(money, funding, "carla")
    return book, merge_id, money, funding


def test_merge_records_what_it_moved(merged):
    book, merge_id, money, funding = merged
    row = book.db["code_merges"].get(merge_id)
    assert (row["source_id"], row["target_id"], row["merged_by"]) == (money, funding, "carla")
    assert sorted(json.loads(row["moved"])) == [
        ["staff", 1, "ana", False],
        ["staff", 2, "ana", True],
        ["staff", 3, "ben", False],
    ]
    assert current(book, "ana") == {("staff", 1): {"Funding", "Other"}, ("staff", 2): {"Funding"}}
    assert [m["id"] for m in book.merges()] == [merge_id]
    assert book.merges()[0]["source"] == "Money" and book.merges()[0]["answers"] == 3


def test_undo_merge_gives_the_code_back_as_it_was(merged):
    book, merge_id, money, funding = merged
    restored = book.undo_merge(merge_id, "dan")

    assert restored == 3
    assert [c["name"] for c in book.codes()] == ["Money", "Funding", "Other"]
    assert current(book, "ana") == {
        ("staff", 1): {"Money", "Other"},
        ("staff", 2): {"Money", "Funding"},  # it had Funding before the merge: it keeps it
    }
    assert current(book, "ben") == {("staff", 3): {"Money"}, ("staff", 4): {"Funding"}}
    assert book.db["code_merges"].get(merge_id)["undone_by"] == "dan"
    assert book.events()[0]["event"] == "undo merge"
    assert book.merges() == []
    with pytest.raises(CodingError, match="already undone"):
        book.undo_merge(merge_id, "dan")


def test_undo_leaves_an_answer_whose_coder_took_the_code_off_since(merged):
    book, merge_id, money, funding = merged
    book.set_codes("staff", 3, [], "ben")  # ben decided answer 3 carries no code
    assert book.undo_merge(merge_id, "ana") == 2
    assert book.codes_of("staff", 3, "ben") == set()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("delete target", "'Funding' has been deleted since"),
        ("merge target", "'Funding' has been merged into another code or split since"),
        ("reuse name", "there is a code named 'Money' again"),
        ("unknown", "there is no merge 99"),
    ],
)
def test_undo_merge_is_refused_when_things_changed_since(merged, change, message):
    book, merge_id, money, funding = merged
    other = book.codes()[1]["id"]
    if change == "delete target":
        book.delete_code(funding, "ana")
    elif change == "merge target":
        book.merge(funding, other, "ana")
    elif change == "reuse name":
        book.add_code("money", "ana")
    elif change == "unknown":
        merge_id = 99
    coding_before, version = book.coding(), book.version()
    with pytest.raises(CodingError, match=message):
        book.undo_merge(merge_id, "ana")
    assert book.coding().equals(coding_before)
    assert book.version() == version
    assert book.db["codes"].get(money)["merged_into"] == funding


# -- version and history -------------------------------------------------------------------------


def test_version_counts_the_codebooks_changes(book):
    assert (book.version(), book.events()) == (0, [])
    money = book.add_code("Money", "ana")
    book.rename(money, "Funding", "ben")
    book.describe(money, "from donors", "ben")
    book.set_codes("staff", 1, [money], "ana")  # coding an answer does not change the codebook
    assert book.version() == 3
    events = book.events()
    assert [(e["event"], e["evaluator"], e["code"]) for e in events] == [
        ("describe", "ben", "Funding"),
        ("rename", "ben", "Funding"),
        ("add", "ana", "Funding"),
    ]
    assert [e["event"] for e in book.events(limit=1, offset=1)] == ["rename"]
    assert Codebook(book.db, "other").version() == 0


# -- a second coder adopting a clustering --------------------------------------------------------


def test_adopt_codes_only_the_answers_the_coder_has_not_decided_on(book):
    clustering = stored_clustering(book)
    first = book.adopt(clustering, "ana")
    assert (first.coded, first.left_alone, len(first.added)) == (12, 0, 3)
    assert set(book.states("ana").values()) == {PROPOSED}

    money = book.add_code("Money", "ben")
    book.set_codes("staff", 1, [money], "ben")  # reviewed and coded
    book.set_codes("staff", 2, [], "ben")  # reviewed and deliberately left uncoded
    ana_before = book.coding("ana")
    version = book.version()

    second = book.adopt(clustering, "ben", existing={1: money, 2: money, 3: money})

    assert (second.coded, second.left_alone, second.added) == (10, 2, [])
    assert second.codes == [money, money, money]
    assert book.codes_of("staff", 1, "ben") == {money}
    assert book.codes_of("staff", 2, "ben") == set()
    assert book.states("ben")[("staff", 2)] == UNCODED
    assert book.states("ben")[("staff", 3)] == PROPOSED
    assert book.coding("ana").equals(ana_before)  # another coder's coding is never touched
    assert book.version() == version  # no code added

    again = book.adopt(clustering, "ben")  # nothing left to do: no new code either
    assert (again.coded, again.left_alone, again.added) == (0, 12, [])
    assert again.codes == [None, None, None]


def test_adopt_makes_new_codes_for_clusters_not_mapped(book):
    clustering = stored_clustering(book)
    money = book.add_code("Money", "ana")
    done = book.adopt(clustering, "ana", names={2: "Covid", 3: "Money"}, existing={1: money})
    names = [book.code(i)["name"] for i in done.codes]
    assert names == ["Money", "Covid", "Money (2)"]
    assert done.added == done.codes[1:]


def test_adopt_refuses_a_code_that_is_not_live(book):
    clustering = stored_clustering(book)
    money = book.add_code("Money", "ana")
    book.delete_code(money, "ana")
    with pytest.raises(CodingError, match=f"no code {money}"):
        book.adopt(clustering, "ana", existing={1: money})
    assert book.coding().empty and book.codes() == []


# -- through the workspace -----------------------------------------------------------------------

PATH = f"/evaluate/coding/{QUESTION}"


@pytest.fixture
def answered(app, db):
    """The twelve answers as staff responses 1 to 12, and a codebook over the same file."""
    rows = [{"response_id": n, QUESTION: text} for n, text in enumerate(ANSWERS, start=1)]
    seed_responses(db, app.extensions["questionnaires"]["staff"], rows)
    return Codebook(db, QUESTION)


def token(client, path=PATH) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def text_of(response) -> str:
    """Return a page's words, tags and extra spaces aside, to compare sentences."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_workspace_shows_review_states_version_and_long_names(client, auth, answered):
    long_name = "Funding " + "and budgets cut by donors " * 4
    money = answered.add_code(long_name, "ana")
    other = answered.add_code("Other", "ben")
    clustering = stored_clustering(answered)
    answered.adopt(clustering, "ana", existing={1: other, 2: other, 3: other})
    answered.set_codes("staff", 1, [money], "ana")
    answered.set_codes("staff", 2, [], "ana")
    answered.set_codes("staff", 3, [], "ben")
    auth.sign_in()

    page = client.get(PATH)
    html, words = page.get_data(as_text=True), text_of(page)

    assert "12 answers in constituents and demo and staff:" in words
    assert "10 proposed by the machine and not yet reviewed Review them" in words
    assert "1 reviewed and coded" in words
    assert "1 reviewed and left uncoded" in words
    assert "0 not yet coded" in words
    version = answered.version()
    assert f"Codebook version {version}, last changed by ben on" in words
    assert f'href="{PATH}/history"' in html and f'href="{PATH}/codebook.csv"' in html
    name = " ".join(long_name.split())
    assert f'<strong class="code-name">{name}</strong>' in html  # shown whole
    assert f">{name}</textarea>" in html  # and edited in a textarea
    assert f'<option value="{money}">{name}</option>' in html
    assert not re.search(r'<(input|select)[^>]*name="(name|into)"[^>]*size=', html)
    assert f'href="{PATH}/answers?code={money}"' in html
    assert f'href="{PATH}/walk?state=proposed"' in html
    assert f'href="{PATH}/answers?state=uncoded"' in html
    assert "Each coder's progress" in words
    assert "ana 2 12" in words and "ben 1 12" in words


def test_one_coder_sees_no_progress_table_and_the_non_answers(client, auth, app, db, answered):
    rows = [{"response_id": 13, QUESTION: "N/A"}, {"response_id": 14, QUESTION: "none"}]
    seed_responses(db, app.extensions["questionnaires"]["staff"], rows)
    answered.add_code("Money", "ana")
    auth.sign_in()
    page = client.get(PATH)
    words = text_of(page)
    assert "14 answers in" in words
    assert "2 answers are non-answers (such as “N/A” or “none”)" in words
    assert f'href="{PATH}/answers?state=non-answer"' in page.get_data(as_text=True)
    assert "Each coder's progress" not in words
    assert "14 not yet coded" in words
    assert "Review them" not in words  # nothing proposed


def test_delete_asks_first_then_deletes(client, auth, answered):
    money = answered.add_code("Money", "ana")
    answered.set_codes("staff", 1, [money], "ana")
    answered.set_codes("staff", 2, [money], "ben")
    answered.set_codes("staff", 3, [money], "ben")
    auth.sign_in()

    asked = client.post(
        f"{PATH}/codes/{money}", data={"csrf_token": token(client), "action": "delete"}
    )
    assert asked.status_code == 302 and asked.headers["Location"].endswith(
        f"/codes/{money}/delete"
    )
    confirm = client.get(f"{PATH}/codes/{money}/delete")
    asked_words = "Delete the code “Money”? 3 answers lose the code, coded by 2 coders (ana, ben)."
    assert asked_words in text_of(confirm)
    assert [c["name"] for c in answered.codes()] == ["Money"]  # nothing changed yet

    done = client.post(
        f"{PATH}/codes/{money}",
        data={"csrf_token": token(client), "action": "delete", "confirm": "1"},
        follow_redirects=True,
    )
    assert "Code “Money” deleted; 3 coded answers lost it." in text_of(done)
    assert answered.codes() == [] and answered.coding().empty
    gone = client.get(f"{PATH}/codes/{money}/delete", follow_redirects=True)
    assert f"there is no code {money}" in text_of(gone)


def test_merge_asks_first_and_can_be_undone(client, auth, answered):
    money = answered.add_code("Money", "ana")
    funding = answered.add_code("Funding", "ana")
    for rid in (1, 2):
        answered.set_codes("staff", rid, [money], "ana")
    answered.set_codes("staff", 3, [money, funding], "ana")
    answered.set_codes("staff", 4, [funding], "ana")
    auth.sign_in()

    page = client.get(PATH).get_data(as_text=True)
    assert f'action="{PATH}/codes/{money}/merge"' in page
    asked = client.post(
        f"{PATH}/codes/{money}",
        data={"csrf_token": token(client), "action": "merge", "into": str(funding)},
    )
    assert asked.headers["Location"].endswith(f"/codes/{money}/merge?into={funding}")
    confirm = text_of(client.get(f"{PATH}/codes/{money}/merge?into={funding}"))
    asked_words = "Merge “Money” (3 answers) into “Funding” (2 answers)? 1 answer carries both."
    assert asked_words in confirm
    assert answered.db["codes"].get(money)["merged_into"] is None

    merged = client.post(
        f"{PATH}/codes/{money}",
        data={"csrf_token": token(client), "action": "merge", "into": funding, "confirm": "1"},
        follow_redirects=True,
    )
    words = text_of(merged)
    assert "“Money” merged into “Funding”." in words
    assert "Recent merges" in words and "“Money” into “Funding” by ana" in words
    assert answered.codes_of("staff", 1, "ana") == {funding}
    [merge] = answered.merges()

    undone = client.post(
        f"{PATH}/merges/{merge['id']}/undo",
        data={"csrf_token": token(client)},
        follow_redirects=True,
    )
    assert "Merge undone; 3 coded answers have their code back." in text_of(undone)
    assert answered.codes_of("staff", 1, "ana") == {money}
    assert answered.codes_of("staff", 3, "ana") == {money, funding}
    again = client.post(
        f"{PATH}/merges/{merge['id']}/undo",
        data={"csrf_token": token(client)},
        follow_redirects=True,
    )
    assert "already undone" in text_of(again)


@pytest.mark.parametrize("into", ["", "x", "self", "999"])
def test_a_bad_merge_target_gives_a_message(client, auth, answered, into):
    money = answered.add_code("Money", "ana")
    into = str(money) if into == "self" else into
    auth.sign_in()
    response = client.get(f"{PATH}/codes/{money}/merge?into={into}", follow_redirects=True)
    assert response.status_code == 200
    assert re.search(r"choose (the code|two different codes)|no code 999", text_of(response))


def test_history_lists_every_change_newest_first_in_pages(client, auth, answered):
    money = answered.add_code("Money", "ben")
    for n in range(60):
        answered.describe(money, f"note {n}", "ana")
    auth.sign_in()
    first = text_of(client.get(f"{PATH}/history"))
    assert "codebook version 61" in first
    assert "61 " in first and "described Money note 59" in first
    assert "Page 1 of 2" in first and "note 10 " in first and "note 9 " not in first
    second = text_of(client.get(f"{PATH}/history?page=2"))
    assert "added Money Money" in second and "ben" in second
    assert client.get(f"{PATH}/history?page=3").status_code == 404


def test_codebook_downloads_as_csv_with_its_version(client, auth, answered):
    answered.add_code("=Money", "ana", description="donors, budgets")
    gone = answered.add_code("Gone", "ana")
    answered.delete_code(gone, "ana")
    auth.sign_in()
    response = client.get(f"{PATH}/codebook.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="codebook-constraints-v3.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["name"], r["description"], r["origin"], r["version"]) for r in rows] == [
        ("'=Money", "donors, budgets", "manual", "3")
    ]
    assert rows[0]["created_by"] == "ana" and rows[0]["created_at"]


def test_first_adoption_needs_no_question(client, auth, answered):
    clustering = stored_clustering(answered)
    auth.sign_in()
    done = client.post(
        f"{PATH}/clusterings/{clustering}/adopt",
        data={"csrf_token": token(client), "name-1": "Biggest"},
        follow_redirects=True,
    )
    words = text_of(done)
    assert "12 answers coded as proposals for you to review; 3 codes added" in words
    assert "left alone" not in words
    assert "Biggest" in [c["name"] for c in answered.codes()]


def test_second_coder_is_asked_how_to_adopt_and_nothing_changes_until_then(
    client, app, db, answered
):
    clustering = stored_clustering(answered)
    first = answered.adopt(clustering, "ana", names={1: "Money matters"})
    money = first.codes[0]
    add_evaluator(db, "ben", PASSWORD)
    answered.set_codes("staff", 1, [], "ben")  # ben left answer 1 uncoded on purpose
    coding_before, version = answered.coding(), answered.version()
    sign_in(client, "ben", PASSWORD)

    asked = client.post(
        f"{PATH}/clusterings/{clustering}/adopt",
        data={"csrf_token": token(client), "name-1": "  money   MATTERS ", "name-2": "Fresh"},
    )
    html, words = asked.get_data(as_text=True), text_of(asked)
    assert asked.status_code == 200
    assert "New codes are added to the shared codebook, for every coder" in words
    assert re.search(r'id="use-1-existing"[^>]*checked', html)  # same name, case aside
    assert f'<option value="{money}" selected>Money matters</option>' in html
    assert re.search(r'id="use-2-new"[^>]*checked', html)
    assert 'value="Fresh"' in html
    assert answered.coding().equals(coding_before) and answered.version() == version

    done = client.post(
        f"{PATH}/clusterings/{clustering}/adopt",
        data={
            "csrf_token": token(client),
            "confirm": "1",
            "use-1": "existing",
            "code-1": str(money),
            "use-2": "new",
            "name-2": "Fresh",
            "code-2": str(money),
            "use-3": "existing",
            "code-3": "99999",  # not a code: a new code instead
        },
        follow_redirects=True,
    )
    words = text_of(done)
    assert "11 answers coded as proposals for you to review;" in words
    assert "1 you had already coded were left alone; 2 codes added" in words
    assert answered.codes_of("staff", 1, "ben") == set()
    ben = answered.coding("ben")
    assert set(ben.source) == {"cluster"} and len(ben) == 11
    suggestions = answered.cluster_suggestions(clustering)
    in_first = set(suggestions[suggestions.cluster == 1].response_id) - {1}
    assert set(ben[ben.code_id == money].response_id) == in_first
    assert "Fresh" in [c["name"] for c in answered.codes()]
    assert answered.coding("ana").equals(coding_before[coding_before.coder == "ana"])


def test_adopting_an_unknown_clustering_is_404(client, auth, answered):
    auth.sign_in()
    response = client.post(f"{PATH}/clusterings/7/adopt", data={"csrf_token": token(client)})
    assert response.status_code == 404


def test_a_cluster_named_as_a_merged_code_defaults_to_the_code_it_went_into(
    client, auth, answered
):
    clustering = stored_clustering(answered)
    money = answered.add_code("Money", "ana")
    funding = answered.add_code("Funding", "ana")
    answered.merge(money, funding, "ana")
    auth.sign_in()
    asked = client.post(
        f"{PATH}/clusterings/{clustering}/adopt",
        data={"csrf_token": token(client), "name-1": "money", "name-2": "Other"},
    )
    html = asked.get_data(as_text=True)
    assert re.search(r'id="use-1-existing"[^>]*checked', html)
    assert f'<option value="{funding}" selected>Funding</option>' in html
    assert re.search(r'id="use-2-new"[^>]*checked', html)

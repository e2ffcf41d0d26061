"""The codebook of an open question and the coding decisions, on a real SQLite file."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlite_utils

from coding.cluster import propose_codes
from coding.codebook import CodingError
from coding.embeddings import LsaEmbedder
from surveyapp.store.codings import Codebook
from surveyapp.store.migrations import migrate

QUESTION = "constraints"

ANSWERS = [
    "Funding was cut by the donor",
    "The donor reduced the budget",
    "Not enough money for the activities",
    "Budget cuts stopped the work",
    "Funding arrived late",
    "Covid lockdowns stopped field missions",
    "The pandemic closed the offices",
    "Covid travel bans delayed the launch",
    "Lockdowns during the pandemic",
    "Covid moved every workshop online",
    "Staff left the project",
    "Too few staff in the country office",
    "The coordinator post stayed vacant",
    "Staff turnover was high",
    "Recruiting staff took a year",
    "Employers did not take part in social dialogue",
    "Workers and employers disagreed",
    "Social dialogue was weak",
    "The tripartite committee never met",
    "Unions were not consulted",
]


@pytest.fixture
def db(tmp_path):
    database = sqlite_utils.Database(tmp_path / "x.db")
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def codebook(db):
    return Codebook(db, QUESTION)


@pytest.fixture
def proposal():
    """A clustering of 20 staff answers into 3 clusters, ids as (survey, response_id)."""
    ids = [("staff", n) for n in range(1, len(ANSWERS) + 1)]
    return propose_codes(ids, ANSWERS, n_clusters=3, embedder=LsaEmbedder())


def current(codebook, coder) -> dict[tuple[str, int], set[str]]:
    """Return {(survey, response_id): code names} of a coder's current coding."""
    coded: dict[tuple[str, int], set[str]] = {}
    for row in codebook.coding(coder).itertuples():
        coded.setdefault((row.survey, row.response_id), set()).add(row.code)
    return coded


# -- codes ---------------------------------------------------------------------------------------


def test_added_codes_are_listed_oldest_first(codebook):
    funding = codebook.add_code("Funding", "ana", description="  money, budget  ")
    covid = codebook.add_code("  Covid   restrictions ", "ben")
    codes = codebook.codes()
    assert [c["id"] for c in codes] == [funding, covid]
    assert [c["name"] for c in codes] == ["Funding", "Covid restrictions"]
    assert codes[0]["description"] == "money, budget"
    assert codes[0]["created_by"] == "ana"
    assert codes[0]["origin"] == "manual"
    assert codebook.code(covid)["created_by"] == "ben"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Funding", "there is already a code named 'Funding'"),
        ("funding", "there is already a code named 'Funding'"),
        ("  FUNDING \n", "there is already a code named 'Funding'"),
        ("", "a code needs a name"),
        ("   ", "a code needs a name"),
        (None, "a code needs a name"),
        ("x" * 121, "a code name must be under 120 characters"),
    ],
)
def test_bad_code_names_are_refused(codebook, name, message):
    codebook.add_code("Funding", "ana")
    with pytest.raises(CodingError, match=message):
        codebook.add_code(name, "ana")
    assert [c["name"] for c in codebook.codes()] == ["Funding"]


def test_rename_gives_a_code_a_new_name(codebook):
    funding = codebook.add_code("Funding", "ana")
    codebook.add_code("Staffing", "ana")
    codebook.rename(funding, "Money", "ben")
    assert codebook.code(funding)["name"] == "Money"
    codebook.rename(funding, "MONEY", "ben")  # its own name in other letters is fine
    assert codebook.code(funding)["name"] == "MONEY"
    with pytest.raises(CodingError, match="already a code named 'Staffing'"):
        codebook.rename(funding, "staffing", "ben")
    with pytest.raises(CodingError, match="needs a name"):
        codebook.rename(funding, " ", "ben")
    assert codebook.code(funding)["name"] == "MONEY"


def test_describe_sets_the_description(codebook, db):
    funding = codebook.add_code("Funding", "ana")
    codebook.describe(funding, "  money from donors \n", "ben")
    assert codebook.code(funding)["description"] == "money from donors"
    events = list(db["codebook_events"].rows_where("code_id = ?", [funding], order_by="id"))
    assert [(e["event"], e["evaluator"]) for e in events] == [("add", "ana"), ("describe", "ben")]


def test_unknown_codes_are_refused(codebook):
    with pytest.raises(CodingError, match="there is no code 99 for question 'constraints'"):
        codebook.code(99)
    with pytest.raises(CodingError, match="no code 99"):
        codebook.rename(99, "Money", "ana")
    with pytest.raises(CodingError, match="no code 99"):
        codebook.assign("staff", 1, 99, "ana")


# -- coding answers ------------------------------------------------------------------------------


def test_assign_unassign_and_move(codebook):
    funding = codebook.add_code("Funding", "ana")
    staffing = codebook.add_code("Staffing", "ana")
    covid = codebook.add_code("Covid", "ana")
    codebook.assign("staff", 1, funding, "ana")
    codebook.assign("staff", 1, staffing, "ana")
    codebook.assign("staff", 2, funding, "ana", source="suggestion", confidence=0.8)
    assert codebook.codes_of("staff", 1, "ana") == {funding, staffing}
    assert current(codebook, "ana") == {
        ("staff", 1): {"Funding", "Staffing"},
        ("staff", 2): {"Funding"},
    }
    suggested = codebook.coding("ana").query("response_id == 2").iloc[0]
    assert (suggested.source, suggested.confidence) == ("suggestion", 0.8)

    codebook.unassign("staff", 1, staffing, "ana")
    codebook.move("staff", 2, funding, covid, "ana")
    assert current(codebook, "ana") == {("staff", 1): {"Funding"}, ("staff", 2): {"Covid"}}
    with pytest.raises(CodingError, match="no code 99"):
        codebook.move("staff", 1, funding, 99, "ana")
    assert codebook.codes_of("staff", 1, "ana") == {funding}


def test_each_coder_has_their_own_coding(codebook):
    funding = codebook.add_code("Funding", "ana")
    staffing = codebook.add_code("Staffing", "ana")
    codebook.assign("staff", 1, funding, "ana")
    codebook.assign("staff", 1, staffing, "ben")
    assert codebook.codes_of("staff", 1, "ana") == {funding}
    assert codebook.codes_of("staff", 1, "ben") == {staffing}
    assert len(codebook.coding()) == 2
    assert codebook.coders() == ["ana", "ben"]


def test_same_response_id_in_two_surveys_are_two_answers(codebook):
    funding = codebook.add_code("Funding", "ana")
    codebook.assign("staff", 1, funding, "ana")
    assert codebook.codes_of("constituents", 1, "ana") == set()


def test_set_codes_makes_an_answers_codes_exactly_these(codebook):
    funding = codebook.add_code("Funding", "ana")
    staffing = codebook.add_code("Staffing", "ana")
    codebook.set_codes("staff", 1, [funding, staffing], "ana")
    assert codebook.codes_of("staff", 1, "ana") == {funding, staffing}
    codebook.set_codes("staff", 1, [str(staffing)], "ana")
    assert codebook.codes_of("staff", 1, "ana") == {staffing}
    with pytest.raises(CodingError, match="no code 99"):
        codebook.set_codes("staff", 1, [funding, 99], "ana")
    assert codebook.codes_of("staff", 1, "ana") == {staffing}


def test_set_codes_to_none_marks_reviewed_and_uncoded(codebook):
    funding = codebook.add_code("Funding", "ana")
    codebook.set_codes("staff", 1, [funding], "ana")
    codebook.set_codes("staff", 1, [], "ana")
    codebook.set_codes("staff", 2, [], "ana")
    codebook.assign("staff", 3, funding, "ana")
    assert codebook.codes_of("staff", 1, "ana") == set()
    assert current(codebook, "ana") == {("staff", 3): {"Funding"}}
    assert codebook.reviewed("ana") == {("staff", 1), ("staff", 2), ("staff", 3)}
    assert codebook.reviewed("ben") == set()


# -- merge and split -----------------------------------------------------------------------------


def test_merge_moves_every_coders_answers_to_the_target(codebook):
    money = codebook.add_code("Money", "ana")
    funding = codebook.add_code("Funding", "ana")
    other = codebook.add_code("Other", "ana")
    codebook.assign("staff", 1, money, "ana")
    codebook.assign("staff", 2, money, "ben")
    codebook.assign("staff", 2, other, "ben")
    codebook.assign("staff", 3, funding, "ben")
    codebook.assign("staff", 3, money, "ben")

    codebook.merge(money, funding, "carla")

    assert current(codebook, "ana") == {("staff", 1): {"Funding"}}
    assert current(codebook, "ben") == {
        ("staff", 2): {"Funding", "Other"},
        ("staff", 3): {"Funding"},
    }
    assert [c["name"] for c in codebook.codes()] == ["Funding", "Other"]
    merged = codebook.codes(include_merged=True)[0]
    assert (merged["name"], merged["merged_into"]) == ("Money", funding)
    with pytest.raises(CodingError, match="no code"):
        codebook.assign("staff", 4, money, "ana")
    by_merge = codebook.history().query("source == 'merge'")
    assert set(by_merge.decided_by) == {"carla"}
    assert set(by_merge.coder) == {"ana", "ben"}


@pytest.mark.parametrize("same", [True, False])
def test_merge_needs_two_live_codes(codebook, same):
    funding = codebook.add_code("Funding", "ana")
    money = codebook.add_code("Money", "ana")
    if same:
        with pytest.raises(CodingError, match="choose two different codes to merge"):
            codebook.merge(funding, funding, "ana")
    else:
        codebook.merge(money, funding, "ana")
        with pytest.raises(CodingError, match=f"no code {money}"):
            codebook.merge(funding, money, "ana")
    assert funding in {c["id"] for c in codebook.codes()}


def test_merged_name_can_be_used_again(codebook):
    money = codebook.add_code("Money", "ana")
    funding = codebook.add_code("Funding", "ana")
    codebook.merge(money, funding, "ana")
    codebook.add_code("money", "ana")
    assert [c["name"] for c in codebook.codes()] == ["Funding", "money"]


def test_a_split_that_fails_halfway_changes_nothing(codebook, monkeypatch):
    covid = codebook.add_code("Covid", "ana")
    for response_id in (1, 2, 3):
        codebook.assign("staff", response_id, covid, "ana")
    codes_before, coding_before = codebook.codes(), current(codebook, "ana")
    calls = []
    decide = codebook._decide

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return decide(*args, **kwargs)

    monkeypatch.setattr(codebook, "_decide", failing)
    with pytest.raises(RuntimeError):
        codebook.split(
            covid, {("staff", 1): 0, ("staff", 2): 1, ("staff", 3): 1}, {0: "a", 1: "b"}, "ana"
        )
    assert codebook.codes() == codes_before
    assert current(codebook, "ana") == coding_before
    assert not codebook.db.conn.in_transaction


def test_split_moves_answers_to_new_codes(codebook):
    covid = codebook.add_code("Covid", "ana")
    codebook.add_code("Travel", "ana")
    for response_id in (1, 2, 3, 4):
        codebook.assign("staff", response_id, covid, "ana")
    codebook.assign("staff", 1, covid, "ben")

    new = codebook.split(
        covid,
        {("staff", 1): 0, ("staff", 2): 0, ("staff", 3): 1, ("staff", 4): 1},
        {0: "travel", 1: ""},
        "ana",
    )

    names = {c["id"]: c["name"] for c in codebook.codes()}
    assert [names[i] for i in new] == ["travel (2)", "Covid (1)"]
    assert codebook.code(new[0])["origin"] == "split of Covid"
    assert current(codebook, "ana") == {
        ("staff", 1): {"travel (2)"},
        ("staff", 2): {"travel (2)"},
        ("staff", 3): {"Covid (1)"},
        ("staff", 4): {"Covid (1)"},
    }
    assert covid in names  # the original stays, without these answers
    assert current(codebook, "ben") == {("staff", 1): {"Covid"}}  # another coder's coding stays


# -- machine suggestions -------------------------------------------------------------------------


def test_stored_clustering_keeps_the_proposal(codebook, proposal):
    clustering = codebook.store_clustering(proposal, ["staff"], 3, 7, "ana")
    [run] = codebook.clusterings()
    assert run["id"] == clustering
    assert (run["question"], run["surveys"], run["method"]) == (QUESTION, "staff", "consensus")
    assert (run["embedder"], run["k"], run["seed"], run["created_by"]) == (
        "tfidf-lsa",
        3,
        7,
        "ana",
    )
    suggestions = codebook.cluster_suggestions(clustering)
    assert len(suggestions) == 20
    stored = {(r.survey, r.response_id): r.cluster for r in suggestions.itertuples()}
    proposed = dict(zip(proposal.assignments.answer, proposal.assignments.cluster, strict=True))
    assert stored == proposed
    assert codebook.coding().empty  # a suggestion is not a decision


def test_adopt_makes_one_code_per_cluster_and_codes_its_answers(codebook, proposal):
    clustering = codebook.store_clustering(proposal, ["staff"], 3, 0, "ana")
    first_label = proposal.clusters[0]["label"]
    codebook.add_code(first_label.upper(), "ana")

    adoption = codebook.adopt(clustering, "ben")
    created = adoption.codes

    assert adoption.added == created and (adoption.coded, adoption.left_alone) == (20, 0)
    assert len(created) == 3
    names = {c["id"]: c["name"] for c in codebook.codes()}
    labels = [c["label"] for c in proposal.clusters]
    assert [names[i] for i in created] == [f"{first_label} (2)", *labels[1:]]
    assert len({name.casefold() for name in names.values()}) == len(names)
    assert {codebook.code(i)["origin"] for i in created} == {f"clustering {clustering}"}
    coding = codebook.coding("ben")
    assert len(coding) == 20
    assert set(coding.source) == {"cluster"}
    cluster_of = {
        key: cluster
        for key, cluster in zip(
            proposal.assignments.answer, proposal.assignments.cluster, strict=True
        )
    }
    code_of_cluster = dict(zip(range(1, 4), created, strict=True))
    assert {(r.survey, r.response_id): r.code_id for r in coding.itertuples()} == {
        key: code_of_cluster[cluster] for key, cluster in cluster_of.items()
    }
    assert codebook.coding("ana").empty


def test_adopt_uses_the_names_given(codebook, proposal):
    clustering = codebook.store_clustering(proposal, ["staff"], 3, 0, "ana")
    created = codebook.adopt(clustering, "ana", names={1: "First", 3: "Third"}).codes
    assert [codebook.code(i)["name"] for i in created] == [
        "First",
        proposal.clusters[1]["label"],
        "Third",
    ]


def test_adopt_of_an_unknown_clustering_is_refused(codebook, db, proposal):
    with pytest.raises(CodingError, match="no clustering 5"):
        codebook.adopt(5, "ana")
    other = Codebook(db, "other_question").store_clustering(proposal, ["staff"], 3, 0, "ana")
    with pytest.raises(CodingError, match=f"no clustering {other} of 'constraints'"):
        codebook.adopt(other, "ana")
    assert codebook.codes() == []


def test_suggestions_do_not_change_with_later_decisions(codebook, proposal):
    clustering = codebook.store_clustering(proposal, ["staff"], 3, 0, "ana")
    before = codebook.cluster_suggestions(clustering)
    first, second, third = codebook.adopt(clustering, "ana").codes
    codebook.move("staff", 1, codebook.codes_of("staff", 1, "ana").pop(), third, "ana")
    codebook.set_codes("staff", 2, [], "ana")
    codebook.merge(second, first, "ana")
    codebook.rename(first, "Renamed", "ana")
    after = codebook.cluster_suggestions(clustering)
    assert after.equals(before)


# -- history -------------------------------------------------------------------------------------


def test_history_keeps_every_decision_with_who_and_when(codebook):
    funding = codebook.add_code("Funding", "ana")
    staffing = codebook.add_code("Staffing", "ana")
    codebook.assign("staff", 1, funding, "ana")
    codebook.unassign("staff", 1, funding, "ana")
    codebook.assign("staff", 1, staffing, "ben")
    codebook.set_codes("staff", 2, [], "ana")

    history = codebook.history()
    assert len(history) == 6  # a hand decision also records, once, that a person reviewed
    assert history.id.is_monotonic_decreasing  # newest first
    assert list(zip(history.action, history.coder, history.decided_by, strict=True)) == [
        ("review", "ana", "ana"),
        ("review", "ben", "ben"),
        ("add", "ben", "ben"),
        ("remove", "ana", "ana"),
        ("review", "ana", "ana"),
        ("add", "ana", "ana"),
    ]
    for at in history["at"]:
        assert datetime.fromisoformat(at).utcoffset() is not None

    assert codebook.coding("ana").empty  # only the current state
    assert current(codebook, "ben") == {("staff", 1): {"Staffing"}}


def test_reassigning_after_removal_counts_the_latest_decision(codebook):
    funding = codebook.add_code("Funding", "ana")
    codebook.assign("staff", 1, funding, "ana")
    codebook.unassign("staff", 1, funding, "ana")
    codebook.assign("staff", 1, funding, "ana")
    assert codebook.codes_of("staff", 1, "ana") == {funding}
    assert len(codebook.history()) == 4  # three decisions and one review


# -- questions are kept apart --------------------------------------------------------------------


def test_codes_of_another_question_are_not_visible(db, proposal):
    constraints = Codebook(db, QUESTION)
    lessons = Codebook(db, "lessons")
    funding = constraints.add_code("Funding", "ana")
    constraints.assign("staff", 1, funding, "ana")
    constraints.store_clustering(proposal, ["staff"], 3, 0, "ana")

    assert lessons.codes() == []
    assert lessons.coding().empty
    assert lessons.clusterings() == []
    assert lessons.history().empty
    assert lessons.reviewed("ana") == set()
    with pytest.raises(CodingError, match="no code"):
        lessons.assign("staff", 1, funding, "ana")
    lessons.add_code("Funding", "ana")  # the same name in another question is fine
    assert [c["name"] for c in constraints.codes()] == ["Funding"]

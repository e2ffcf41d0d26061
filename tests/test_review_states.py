"""Review states: a machine's code is a proposal until a person reviews the answer."""

from __future__ import annotations

import pytest
import sqlite_utils

from coding.cluster import propose_codes
from coding.embeddings import LsaEmbedder
from surveyapp.store.codings import Codebook
from surveyapp.store.decisions import CODED, PROPOSED, TODO, UNCODED
from surveyapp.store.migrations import migrate

ANSWERS = [
    "Funding was cut by the donor",
    "The donor reduced the budget",
    "Budget cuts stopped the work",
    "Covid lockdowns stopped field missions",
    "The pandemic closed the offices",
    "Covid travel bans delayed the launch",
    "Staff left the project",
    "Too few staff in the country office",
    "Staff turnover was high",
]


@pytest.fixture
def db(tmp_path):
    database = sqlite_utils.Database(tmp_path / "x.db")
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def codebook(db):
    return Codebook(db, "constraints")


@pytest.fixture
def adopted(codebook):
    """A clustering of nine staff answers adopted by ana: returns the codes made."""
    ids = [("staff", n) for n in range(1, len(ANSWERS) + 1)]
    proposal = propose_codes(ids, ANSWERS, n_clusters=3, embedder=LsaEmbedder())
    clustering = codebook.store_clustering(proposal, ["staff"], 3, 0, "ana")
    return codebook.adopt(clustering, "ana").codes


def rows(db) -> int:
    return db["coding_decisions"].count


def test_adopting_a_clustering_proposes_and_reviews_nothing(codebook, adopted):
    states = codebook.states("ana")
    assert len(states) == len(ANSWERS)
    assert set(states.values()) == {PROPOSED}
    assert codebook.reviewed("ana") == set()
    assert codebook.states("ben") == {}  # another coder has everything still to do


def test_accepting_as_proposed_reviews_once_and_keeps_the_codes(codebook, adopted, db):
    before = codebook.codes_of("staff", 1, "ana")
    count = rows(db)
    assert codebook.accept_proposed("staff", 1, "ana") is True
    assert rows(db) == count + 1
    assert codebook.codes_of("staff", 1, "ana") == before
    assert codebook.state_of("staff", 1, "ana") == CODED
    assert codebook.reviewed("ana") == {("staff", 1)}
    assert codebook.accept_proposed("staff", 1, "ana") is False  # already reviewed
    assert codebook.accept_proposed("staff", 99, "ana") is False  # nothing proposed
    assert rows(db) == count + 1


def test_set_codes_writes_only_changes_and_says_so(codebook, adopted, db):
    current = codebook.codes_of("staff", 2, "ana")
    count = rows(db)
    # the same codes as proposed: a person confirms them, one review row
    assert codebook.set_codes("staff", 2, current, "ana") is True
    assert rows(db) == count + 1
    assert codebook.state_of("staff", 2, "ana") == CODED
    # the same again: nothing written
    assert codebook.set_codes("staff", 2, current, "ana") is False
    assert rows(db) == count + 1
    # one more code: one add, no second review
    other = next(c for c in adopted if c not in current)
    assert codebook.set_codes("staff", 2, current | {other}, "ana") is True
    assert rows(db) == count + 2
    # none: the codes taken off, the answer stays reviewed, now uncoded
    assert codebook.set_codes("staff", 2, [], "ana") is True
    assert rows(db) == count + 2 + len(current) + 1
    assert codebook.state_of("staff", 2, "ana") == UNCODED


def test_leaving_an_answer_uncoded_is_a_review(codebook):
    assert codebook.state_of("staff", 1, "ana") == TODO
    assert codebook.set_codes("staff", 1, [], "ana") is True
    assert codebook.states("ana") == {("staff", 1): UNCODED}
    assert codebook.set_codes("staff", 1, [], "ana") is False


def test_hand_decisions_review(codebook):
    funding = codebook.add_code("Funding", "ana")
    covid = codebook.add_code("Covid", "ana")
    codebook.assign("staff", 1, funding, "ana")
    codebook.assign("staff", 2, funding, "ana")
    codebook.unassign("staff", 2, funding, "ana")
    codebook.assign("staff", 3, funding, "ana")
    codebook.move("staff", 3, funding, covid, "ana")
    codebook.accept("staff", 4, covid, "ana", 0.9)
    assert codebook.states("ana") == {
        ("staff", 1): CODED,
        ("staff", 2): UNCODED,
        ("staff", 3): CODED,
        ("staff", 4): CODED,
    }


def test_machine_assign_does_not_review(codebook):
    funding = codebook.add_code("Funding", "ana")
    codebook.assign("staff", 1, funding, "ana", source="cluster")
    assert codebook.states("ana") == {("staff", 1): PROPOSED}


def test_a_split_proposes_again_and_a_merge_changes_no_state(codebook, adopted):
    first, second, _ = adopted
    members = [key for key, s in codebook.states("ana").items() if s == PROPOSED]
    for survey, response_id in members:
        codebook.accept_proposed(survey, response_id, "ana")
    assert set(codebook.states("ana").values()) == {CODED}
    codebook.merge(second, first, "ana")
    assert set(codebook.states("ana").values()) == {CODED}
    coding = codebook.coding("ana")
    in_first = coding[coding.code_id == first]
    labels = {(r.survey, r.response_id): i % 2 for i, r in enumerate(in_first.itertuples())}
    codebook.split(first, labels, {}, "ana")
    states = codebook.states("ana")
    assert {states[key] for key in labels} == {PROPOSED}


def test_old_databases_count_hand_decisions_as_reviewed(codebook, db):
    """Before review rows, an 'add' by hand or an accepted suggestion meant reviewed."""
    funding = codebook.add_code("Funding", "ana")
    for response_id, source in ((1, "manual"), (2, "suggestion"), (3, "cluster")):
        codebook._decide("staff", response_id, funding, "ana", "add", source, "ana")
    assert codebook.states("ana") == {
        ("staff", 1): CODED,
        ("staff", 2): CODED,
        ("staff", 3): PROPOSED,
    }


def test_a_deleted_code_leaves_its_answers_without_it(codebook, db):
    funding = codebook.add_code("Funding", "ana")
    codebook.assign("staff", 1, funding, "ana")
    codebook.assign("staff", 2, funding, "ana", source="cluster")
    db["codes"].update(funding, {"deleted_at": "2026-12-01T00:00:00+00:00"})
    assert codebook.codes_of("staff", 1, "ana") == set()
    assert codebook.coding("ana").empty
    assert codebook.states("ana") == {("staff", 1): UNCODED}  # 2 has nothing proposed left

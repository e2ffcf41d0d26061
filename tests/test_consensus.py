"""Two coders, their agreement on the answers both reviewed, and the consensus that settles it."""

from __future__ import annotations

import csv
import io

import pytest

from coding.agreement import agreement
from coding.codebook import CodingError
from surveyapp.store.codings import Codebook
from surveyapp.store.consensus import CONSENSUS, ConsensusExists
from surveyapp.store.evaluators import EvaluatorError, add_evaluator, evaluator_named
from surveyapp.testing import CSRF, PASSWORD, seed_responses

QUESTION = "constraints"
PAGE = f"/evaluate/coding/{QUESTION}/agreement"
LIST_ANSWER = "- no budget for travel\n- no staff to follow up"


@pytest.fixture
def book(app, db):
    """Fourteen staff answers; ana and ben code 1-10 alike but for 5 and 6 (swapped).

    Answer 5 is written as a list. ana also has the machine's proposals on 11 and 12, which
    she has not reviewed; ben alone reviewed 13; nobody touched 14.
    """
    rows = [
        {"response_id": n, "constraints": LIST_ANSWER if n == 5 else f"constraint number {n}"}
        for n in range(1, 15)
    ]
    seed_responses(db, app.extensions["questionnaires"]["staff"], rows)
    codebook = Codebook(db, QUESTION)
    funding = codebook.add_code("Funding", "ana")
    staffing = codebook.add_code("Staffing", "ana")
    for n in range(1, 11):
        codebook.set_codes("staff", n, [funding if n <= 5 else staffing], "ana")
        codebook.set_codes("staff", n, [funding if n <= 4 or n == 6 else staffing], "ben")
    for n in (11, 12):
        codebook.assign("staff", n, funding, "ana", source="cluster")
    codebook.set_codes("staff", 13, [], "ben")
    codebook.ids = {"Funding": funding, "Staffing": staffing}
    return codebook


def token(client, path=PAGE):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def start(client, a="ana", b="ben", **extra):
    return client.post(
        f"/evaluate/coding/{QUESTION}/consensus",
        data={"csrf_token": token(client), "a": a, "b": b, **extra},
    )


def settle(client, answer, choice, codes=(), note=""):
    return client.post(
        f"/evaluate/coding/{QUESTION}/consensus/settle",
        data={
            "csrf_token": token(client),
            "answer": answer,
            "choice": choice,
            "code": [str(c) for c in codes],
            "note": note,
        },
    )


def consensus_of(codebook) -> dict[int, set[str]]:
    """Return {response_id: code names} of the consensus coding."""
    found: dict[int, set[str]] = {}
    for row in codebook.coding(CONSENSUS).itertuples():
        found.setdefault(row.response_id, set()).add(row.code)
    return found


def counted(table: str) -> dict[str, str]:
    """Return {code: respondents} of a frequency CSV, for the codes Funding and Staffing."""
    rows = csv.DictReader(io.StringIO(table))
    return {r["code"]: r["respondents"] for r in rows if r["code"] in ("Funding", "Staffing")}


def decisions(db, coder) -> list[dict]:
    return list(db["coding_decisions"].rows_where("coder = ?", [coder], order_by="id"))


def test_kappa_and_alpha_from_the_store_are_unchanged_and_skip_unreviewed_proposals(book):
    report = agreement(book.agreement_input(), "ana", "ben")
    # As in test_agreement's TEN: 8 of 10 alike, chance 0.5 -> kappa 0.6, alpha 0.62.
    assert report.answers == 10
    assert report.overall_kappa == pytest.approx(0.6)
    assert report.pooled_kappa == pytest.approx(0.6)
    assert report.alpha == pytest.approx(0.62)
    assert report.percent_agreement == pytest.approx(0.8)
    # ana's proposals on 11 and 12 are not her decisions; 13 was reviewed by ben only.
    assert (report.only_a, report.only_b) == (0, 1)


def test_agreement_page_gives_percent_agreement_and_what_is_left_out(client, auth, book):
    auth.sign_in()
    page = client.get(f"{PAGE}?a=ana&b=ben").get_data(as_text=True)
    assert "10 answers coded by both ana and ben" in page
    assert "0 answers reviewed only by ana and 1 only by ben" in page
    assert "2 and 0 machine proposals they have not reviewed" in page
    assert "80%" in page
    assert "0.600" in page
    assert "0.620" in page


def test_disagreements_show_the_answer_text_and_both_coders_codes(client, auth, book):
    auth.sign_in()
    page = client.get(f"{PAGE}?a=ana&b=ben").get_data(as_text=True)
    assert f'<p class="answer-text">{LIST_ANSWER}</p>' in page  # line breaks kept as written
    assert "constraint number 6" in page
    assert "constraint number 7" not in page  # they agree on 7
    assert "staff, response 5" in page
    assert "Answers they disagree on (2)" in page
    assert "Start the consensus of ana and ben" in page


def test_starting_a_consensus_copies_the_answers_the_coders_agree_on(client, auth, db, book):
    before = {coder: decisions(db, coder) for coder in ("ana", "ben")}
    auth.sign_in()
    assert start(client).status_code == 302
    assert book.consensus()["started_by"] == "ana"
    assert consensus_of(book) == {
        n: {"Funding" if n <= 4 else "Staffing"} for n in (1, 2, 3, 4, 7, 8, 9, 10)
    }
    written = decisions(db, CONSENSUS)
    assert {(d["source"], d["decided_by"]) for d in written} == {("agreed", "ana")}
    assert {d["coder"]: decisions(db, d["coder"]) for d in written} == {CONSENSUS: written}
    assert {coder: decisions(db, coder) for coder in ("ana", "ben")} == before
    page = client.get(PAGE).get_data(as_text=True)
    assert "Settled 0 of 2 disagreements." in page
    # starting again with the same coders copies nothing more
    assert book.start_consensus("ben", "ana", "ben") == 0


def test_settling_writes_the_consensus_with_who_and_when(client, auth, db, book):
    auth.sign_in()
    start(client)
    assert settle(client, "staff:5", "a").status_code == 302
    assert consensus_of(book)[5] == {"Funding"}
    last = decisions(db, CONSENSUS)[-2:]
    assert [(d["action"], d["source"], d["decided_by"], d["note"]) for d in last] == [
        ("add", "settled", "ana", None),
        ("review", "settled", "ana", None),  # no note given
    ]
    assert last[-1]["at"]
    ids = book.ids
    settle(client, "staff:6", "ticked", [ids["Funding"], ids["Staffing"]], note="mentions both")
    assert consensus_of(book)[6] == {"Funding", "Staffing"}
    page = client.get(PAGE).get_data(as_text=True)
    assert "Settled 2 of 2 disagreements." in page
    assert "settled by ana on" in page
    assert "Note: mentions both" in page
    assert decisions(db, CONSENSUS)[-1]["note"] == "mentions both"
    assert "Settle it again" in page
    assert "The consensus against each coder" in page
    # settled again, with ben's codes: the consensus follows, ana's and ben's stay
    settle(client, "staff:5", "b")
    assert consensus_of(book)[5] == {"Staffing"}
    assert set(book.coding("ana").query("response_id == 5").code) == {"Funding"}
    # the consensus covers every answer both reviewed
    assert set(consensus_of(book)) == set(range(1, 11))


def test_consensus_against_each_coder_per_code(book):
    book.start_consensus("ana", "ben", "ana")
    book.settle("staff", 5, [book.ids["Funding"]], "ana")
    book.settle("staff", 6, [book.ids["Staffing"]], "ana")  # the consensus is ana's coding
    rows = book.agreement_rows([CONSENSUS, "ana", "ben"])
    with_ana = agreement(rows, CONSENSUS, "ana")
    with_ben = agreement(rows, CONSENSUS, "ben")
    assert with_ana.percent_agreement == 1.0
    assert with_ben.percent_agreement == pytest.approx(0.8)
    assert with_ben.per_code.set_index("code").kappa.to_dict() == pytest.approx(
        {"Funding": 0.6, "Staffing": 0.6}
    )


def test_settling_needs_a_consensus_and_a_known_answer(client, auth, db, book):
    auth.sign_in()
    response = settle(client, "staff:5", "a")
    assert response.status_code == 302
    assert "Start a consensus" in client.get(PAGE).get_data(as_text=True)
    start(client)
    settle(client, "nowhere:5", "a")
    settle(client, "staff:5", "ticked", [9999])  # not a code: settled with none of it
    assert consensus_of(book).get(5) is None
    with pytest.raises(CodingError, match="no code 9999"):
        book.settle("staff", 5, [9999], "ana")


def test_restarting_with_other_coders_asks_first_and_sets_the_old_one_aside(
    client, auth, db, book
):
    book.set_codes("staff", 1, [book.ids["Staffing"]], "cy")
    book.set_codes("staff", 2, [book.ids["Funding"]], "cy")
    auth.sign_in()
    start(client)
    settle(client, "staff:5", "a")
    page = start(client, "ana", "cy").get_data(as_text=True)
    assert "Replace it with the consensus of ana and cy" in page
    assert "with 1 disagreements settled" in page
    assert book.consensus()["coder_b"] == "ben"
    with pytest.raises(ConsensusExists):
        book.start_consensus("ana", "cy", "ana")
    assert start(client, "ana", "cy", replace="1").status_code == 302
    assert (book.consensus()["coder_a"], book.consensus()["coder_b"]) == ("ana", "cy")
    assert consensus_of(book) == {2: {"Funding"}}  # ana and cy agree on 2 only
    page = client.get(PAGE).get_data(as_text=True)
    assert "Settled 0 of 1 disagreements." in page


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [("ana", "ana", "two different"), ("ana", CONSENSUS, "cannot be one"), ("ana", "zoe", "zoe")],
)
def test_a_consensus_needs_two_real_coders(book, a, b, message):
    with pytest.raises(CodingError, match=message):
        book.start_consensus(a, b, "ana")
    assert book.consensus() is None


def test_a_second_coder_never_overwrites_the_first(book, db):
    ana = decisions(db, "ana")
    book.set_codes("staff", 1, [book.ids["Staffing"]], "ben")
    book.set_codes("staff", 12, [], "ben")  # ana's proposal there stays hers, unreviewed
    assert decisions(db, "ana") == ana
    assert book.codes_of("staff", 1, "ana") == {book.ids["Funding"]}
    assert book.states("ana")[("staff", 12)] == "proposed"


def test_frequency_counts_the_consensus_and_says_so(client, auth, book):
    auth.sign_in()
    path = f"/evaluate/coding/{QUESTION}/frequency"
    assert "consensus coding" not in client.get(path).get_data(as_text=True)
    start(client)
    settle(client, "staff:5", "ticked", [book.ids["Funding"]])
    partial = client.get(path).get_data(as_text=True)
    assert "Not in it yet: 1 disagreements to settle and 0 answers agreed on" in partial
    settle(client, "staff:6", "ticked", [book.ids["Funding"]])
    page = client.get(path).get_data(as_text=True)
    assert "The counts are from the consensus coding of ana and ben." in page
    assert "Not in it yet" not in page
    table = client.get(f"{path}.csv").get_data(as_text=True)
    assert counted(table) == {"Funding": "6", "Staffing": "4"}
    # ana's own coding: 5 and 5, and the machine's proposals on 11 and 12
    assert counted(client.get(f"{path}.csv?coder=ana").get_data(as_text=True)) == {
        "Funding": "7",
        "Staffing": "5",
    }


def test_codes_command_counts_the_consensus_and_says_so(run, book):
    two = run("codes", "staff", QUESTION, expect=2)
    assert "name the coder with --coder (ana, ben)" in two.output
    book.start_consensus("ana", "ben", "ana")
    book.settle("staff", 5, [book.ids["Funding"]], "ana")
    partial = run("codes", "staff", QUESTION)
    assert "not in it yet: 1 disagreements to settle and 0 answers" in partial.stderr
    book.settle("staff", 6, [book.ids["Funding"]], "ana")
    result = run("codes", "staff", QUESTION)
    assert "counting the consensus coding of ana and ben" in result.stderr
    assert "not in it yet" not in result.stderr
    assert counted(result.stdout) == {"Funding": "6", "Staffing": "4"}
    ana = run("codes", "staff", QUESTION, "--coder", "ana")
    assert "consensus" not in ana.stderr


@pytest.mark.parametrize("name", ["consensus", "Consensus", " CONSENSUS "])
def test_no_evaluator_can_be_named_consensus(db, run, name):
    with pytest.raises(EvaluatorError, match="consensus coding"):
        add_evaluator(db, name, PASSWORD)
    result = run("add-evaluator", name, "--password-stdin", expect=2)
    assert "the name of the consensus coding" in result.output
    assert evaluator_named(db, name.strip()) is None


def test_answers_they_come_to_agree_on_later_can_be_copied_in(client, auth, book):
    auth.sign_in()
    start(client)
    book.set_codes("staff", 13, [], "ana")  # ben left 13 uncoded; now ana does too
    page = client.get(PAGE).get_data(as_text=True)
    assert "1 answers they now code alike are not yet in the consensus." in page
    start(client)
    assert 13 in set(book.consensus_members().response_id)
    assert consensus_of(book).get(13) is None  # in it, uncoded
    assert "not yet in the consensus" not in client.get(PAGE).get_data(as_text=True)


def test_settling_is_not_a_change_of_the_codebook(book):
    version = book.version()
    book.start_consensus("ana", "ben", "ana")
    book.settle("staff", 5, [book.ids["Funding"]], "ana", note="first reason")
    book.settle("staff", 5, [book.ids["Funding"]], "ben")
    assert book.version() == version
    row = book.comparison("ana", "ben").set_index("response_id").loc[5]
    assert (row.source, row.decided_by, row.note) == ("settled", "ben", None)


def test_disagreements_come_a_page_at_a_time(app, db, client, auth):
    rows = [{"response_id": n, "constraints": f"answer {n}"} for n in range(1, 26)]
    seed_responses(db, app.extensions["questionnaires"]["staff"], rows)
    codebook = Codebook(db, QUESTION)
    funding, staffing = codebook.add_code("Funding", "ana"), codebook.add_code("Staffing", "ana")
    for n in range(1, 26):
        codebook.set_codes("staff", n, [funding], "ana")
        codebook.set_codes("staff", n, [staffing], "ben")
    auth.sign_in()
    first = client.get(PAGE).get_data(as_text=True)
    assert first.count('class="disagreement"') == 20
    assert "page 1 of 2" in first
    second = client.get(f"{PAGE}?page=2").get_data(as_text=True)
    assert second.count('class="disagreement"') == 5
    assert "answer 25" in second and "answer 1\n" not in second


def test_the_consensus_is_not_a_coder_to_compare_by_hand(client, auth, book):
    book.start_consensus("ana", "ben", "ana")
    auth.sign_in()
    page = client.get(f"{PAGE}?a=consensus&b=ana").get_data(as_text=True)
    assert "The consensus is compared with each coder below." in page
    assert "<option selected>consensus</option>" not in page
    assert "<option>consensus</option>" not in page


def test_an_old_account_named_consensus_cannot_code(client, db):
    """An account made before the name was kept would code as the consensus: refused."""
    from werkzeug.security import generate_password_hash

    from surveyapp.testing import PASSWORD, sign_in

    hashed = generate_password_hash(PASSWORD)
    db["evaluators"].insert({"name": "Consensus", "password_hash": hashed, "created_at": "x"})
    sign_in(client, "Consensus")
    assert client.get("/evaluate/").status_code == 200
    refused = client.get("/evaluate/coding/constraints/answers")
    assert refused.status_code == 403
    assert "kept for the consensus coding" in refused.get_data(as_text=True)

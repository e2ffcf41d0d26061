"""Non-answers ("N/A", "none", "rien", "nada"): recognised, left out of clustering, put back."""

from __future__ import annotations

import pytest

from coding.nonanswers import is_non_answer, normal_form
from surveyapp.analysis.open_answers import OpenQuestion
from surveyapp.testing import CSRF, seed_responses

QUESTION = "constraints"


@pytest.mark.parametrize(
    "text",
    [
        # English
        "N/A",
        "n/a",
        "NA",
        "n.a.",
        "N / A",
        "none",
        "None.",
        "NONE",
        "  none  ",
        "-",
        "--",
        ".",
        "?",
        "...",
        "nothing",
        "Nothing.",
        "Nothing to add",
        "nothing to add!",
        "No comment",
        "no comments",
        "No",
        "no.",
        "Not applicable",
        "not applicable.",
        "Don't know",
        "don’t know",
        "dont know",
        "I don't know",
        "IDK",
        "idk",
        "Nil",
        "none\n",
        "n/a\tn/a",
        # French
        "aucun",
        "Aucune",
        "rien",
        "Rien.",
        "néant",
        "Néant",
        "NEANT",
        "sans objet",
        "Sans objet.",
        "je ne sais pas",
        "Je ne sais pas.",
        "rien à ajouter",
        "Rien à signaler",
        "pas de commentaire",
        "sans commentaire",
        "Non",
        # Spanish
        "ninguno",
        "Ninguna",
        "nada",
        "Nada.",
        "no aplica",
        "No aplica",
        "sin comentarios",
        "Sin comentario",
        "no sé",
        "No se",
        "no lo sé",
        "nada que agregar",
        "Nada que añadir",
    ],
)
def test_non_answers_are_recognised(text):
    assert is_non_answer(text)


@pytest.mark.parametrize(
    "text",
    [
        # English
        "None of the funds arrived",
        "No funding",
        "Nothing arrived on time",
        "No comment from the ministry on the budget",
        "Not applicable to our region because of the war",
        "I don't know why the staff left",
        "NA funding cuts",
        "Funding",
        "A lack of staff",
        "?? funding",
        # French
        "Aucun financement",
        "Rien n'est arrivé à temps",
        "Néant de budget pour la santé",
        "je ne sais pas pourquoi le personnel est parti",
        "Manque de personnel",
        # Spanish
        "Ninguno de los fondos llegó",
        "Nada de presupuesto",
        "No aplica la ley laboral",
        "Sin comentarios del ministerio sobre el presupuesto",
        "Falta de personal",
        # no answer at all is not a non-answer: it is left out as empty
        "",
        "   ",
        None,
    ],
)
def test_answers_with_content_are_not_non_answers(text):
    assert not is_non_answer(text)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("N/A", "n a"),
        ("  Né-ant ! ", "ne ant"),
        ("Don’t  know", "dont know"),
        ("¿No sé?", "no se"),
    ],
)
def test_normal_form_drops_case_accents_punctuation_and_spacing(text, normal):
    assert normal_form(text) == normal


# -- in clustering -------------------------------------------------------------------------------

STAFF = [
    "No budget for the programme",
    "The budget was cut twice",
    "Funding arrived too late",
    "Money for travel was missing",
    "Too few staff in the field",
    "Staff left for other jobs",
    "Nobody to replace the staff who left",
    "The lockdown stopped the work",
    "Covid closed the offices",
    "Travel bans because of the pandemic",
    "N/A",
    "none",
    "-",
    "None of the funds arrived",
]
CONSTITUENTS = ["Rien", "nada", "Partners did not pay their share", "Donors withdrew"]


@pytest.fixture
def answers(app, db):
    """Store the staff and constituents answers above (five non-answers among them)."""
    questionnaires = app.extensions["questionnaires"]
    seed_responses(
        db,
        questionnaires["staff"],
        [{"response_id": i + 1, QUESTION: text} for i, text in enumerate(STAFF)],
    )
    seed_responses(
        db,
        questionnaires["constituents"],
        [{"response_id": i + 1, QUESTION: text} for i, text in enumerate(CONSTITUENTS)],
    )


@pytest.fixture
def question(app, db, answers):
    return OpenQuestion(db, app.extensions["questionnaires"], QUESTION)


def _keys(frame):
    return set(zip(frame.survey, frame.response_id.astype(int), strict=True))


NON_ANSWERS = {
    ("staff", 11),
    ("staff", 12),
    ("staff", 13),
    ("constituents", 1),
    ("constituents", 2),
}


def test_answers_mark_the_non_answers(question):
    answers = question.answers()
    assert answers.non_answer.dtype == bool
    assert _keys(answers[answers.non_answer]) == NON_ANSWERS
    assert len(answers) == len(STAFF) + len(CONSTITUENTS)


def test_clustering_leaves_non_answers_out_and_says_so(question, db):
    clustering_id, proposal = question.cluster(3, 0, "ana")
    clustered = set(proposal.assignments.answer)
    assert not clustered & NON_ANSWERS
    assert ("staff", 14) in clustered  # "None of the funds arrived" is an answer
    assert len(clustered) == len(STAFF) + len(CONSTITUENTS) - 5
    assert proposal.notices[0] == (
        "5 non-answers such as 'Rien' and 'nada' left out; put them back from the Answers page"
    )
    stored = db.execute(
        "select count(*) from cluster_suggestions where clustering_id = ?", [clustering_id]
    ).fetchone()[0]
    assert stored == len(clustered)


def test_an_evaluator_puts_a_non_answer_back_and_takes_an_answer_out(question, db):
    question.include("staff", 11, True, "ana")
    question.include("staff", 1, False, "ben")
    answers = question.answers()
    assert _keys(answers[answers.non_answer]) == NON_ANSWERS - {("staff", 11)} | {("staff", 1)}
    _, proposal = question.cluster(3, 0, "ana")
    clustered = set(proposal.assignments.answer)
    assert ("staff", 11) in clustered and ("staff", 1) not in clustered
    assert proposal.notices[0].startswith("5 non-answers such as")
    word = {(r["survey"], r["response_id"]): r for r in db["answer_inclusions"].rows}
    assert word[("staff", 11)]["included"] == 1 and word[("staff", 11)]["decided_by"] == "ana"
    assert word[("staff", 1)]["included"] == 0 and word[("staff", 1)]["decided_by"] == "ben"
    assert all(row["at"] for row in word.values())
    question.include("staff", 11, False, "ana")  # the latest word counts
    answers = question.answers()
    assert bool(
        answers[(answers.survey == "staff") & (answers.response_id == 11)].non_answer.iloc[0]
    )


def test_all_non_answers_cannot_be_clustered(app, db):
    seed_responses(
        db,
        app.extensions["questionnaires"]["staff"],
        [{"response_id": i + 1, QUESTION: text} for i, text in enumerate(["N/A", "-", "none"])],
    )
    question = OpenQuestion(db, app.extensions["questionnaires"], QUESTION, ["staff"])
    from surveyapp.analysis.open_answers import ClusteringError

    with pytest.raises(ClusteringError, match="all 3 answers are non-answers; put some back"):
        question.cluster(2, 0, "ana")


def _token(client, path):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def test_include_answer_records_the_evaluators_word(client, auth, db, answers):
    auth.sign_in()
    path = f"/evaluate/coding/{QUESTION}"
    response = client.post(
        f"{path}/answers/include",
        data={
            "csrf_token": _token(client, path),
            "answer": "staff:11",
            "included": "1",
            "next": f"{path}/answers?page=2",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{path}/answers?page=2"
    row = db["answer_inclusions"].get((QUESTION, "staff", 11))
    assert row["included"] == 1 and row["decided_by"] == "ana"
    page = client.get(path).get_data(as_text=True)
    assert "Answer staff 11 is put back: clustering takes it in." in page
    client.post(
        f"{path}/answers/include",
        data={"csrf_token": _token(client, path), "answer": "staff:11", "included": "0"},
    )
    assert db["answer_inclusions"].get((QUESTION, "staff", 11))["included"] == 0


@pytest.mark.parametrize(
    "form",
    [
        {"answer": "staff:999", "included": "1"},  # no such answer
        {"answer": "nosurvey:1", "included": "1"},
        {"answer": "staff:x", "included": "1"},
        {"answer": "staff:11", "included": "yes"},
        {"answer": "staff:11"},
    ],
)
def test_include_answer_refuses_what_is_not_an_answer(client, auth, db, answers, form):
    auth.sign_in()
    path = f"/evaluate/coding/{QUESTION}"
    response = client.post(
        f"{path}/answers/include", data={"csrf_token": _token(client, path), **form}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{path}/answers")
    assert db["answer_inclusions"].count == 0
    assert "There is no such answer to put back or take out." in client.get(path).get_data(
        as_text=True
    )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "answers"])
def test_include_answer_goes_back_only_to_this_site(client, auth, answers, target):
    auth.sign_in()
    path = f"/evaluate/coding/{QUESTION}"
    response = client.post(
        f"{path}/answers/include",
        data={
            "csrf_token": _token(client, path),
            "answer": "staff:12",
            "included": "1",
            "next": target,
        },
    )
    assert response.headers["Location"].endswith(f"{path}/answers")

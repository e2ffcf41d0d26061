"""Time every page of the coding workspace with 2,000 answers, 25 codes and two coders.

The issue's target: every coding page answers in under 300 ms. The answers are the labelled
constraint answers repeated with variations (some written as lists, some non-answers) over
1,600 staff and 400 constituents responses; coder "ana" has reviewed three quarters and has
the machine's proposals on the rest; coder "ben" reviewed half, disagreeing on a tenth; a
consensus between them is started. Each page is fetched once to warm (the first fetch of a
page that quotes answers loads the embedding model and embeds the answers, cached in the
database), then timed over repeated fetches through the Flask test client (no network).
"""

from __future__ import annotations

import statistics
import tempfile
import time

import numpy as np

from surveyapp.analysis.open_answers import OpenQuestion
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.connection import get_db, now
from surveyapp.store.evaluators import add_evaluator
from surveyapp.testing import PASSWORD, labelled_answers, seed_responses, sign_in
from surveyapp.web import create_app

ANSWERS = {"staff": 1600, "constituents": 400}
CODES = 25
REPEATS = 7
TARGET_MS = 300


def answer_texts(count: int, rng) -> list[str]:
    """Return `count` answers drawn from the labelled set, varied, some as lists or N/A."""
    base = labelled_answers().text.tolist()
    texts = []
    for n in range(count):
        text = base[n % len(base)]
        if n % 50 == 7:
            text = "N/A"
        elif n % 9 == 0:
            text = f"- {text}\n- {base[(n * 7) % len(base)]}"
        elif n >= len(base):
            text = f"{text} ({rng.choice(['mainly', 'also', 'in our region', 'at first'])})"
        texts.append(text)
    return texts


def seed(app, rng):
    """Store the responses, the codebook and both coders' decisions straight in SQLite."""
    questionnaires = app.extensions["questionnaires"]
    with app.app_context():
        db = get_db()
        add_evaluator(db, "ana", PASSWORD)
        add_evaluator(db, "ben", PASSWORD)
        texts = iter(answer_texts(sum(ANSWERS.values()), rng))
        for survey, count in ANSWERS.items():
            frame = synthetic_responses(questionnaires[survey], count, seed=1)
            frame["constraints"] = [next(texts) for _ in range(count)]
            seed_responses(db, questionnaires[survey], frame)
        question = OpenQuestion(db, questionnaires, "constraints")
        ids = [question.codebook.add_code(f"Code {n:02d} of the constraints", "ana") for n in
               range(1, CODES + 1)]  # fmt: skip
        rows = []
        for number, answer in enumerate(question.answers().itertuples()):
            key = {"question": "constraints", "survey": answer.survey, "at": now(),
                   "response_id": int(answer.response_id)}  # fmt: skip
            code = ids[number % CODES]
            if number % 4 == 3:  # the machine's proposal, not reviewed
                rows.append(key | {"coder": "ana", "code_id": code, "action": "add",
                                   "source": "cluster", "decided_by": "ana"})  # fmt: skip
            else:
                rows.append(key | {"coder": "ana", "code_id": code, "action": "add",
                                   "source": "manual", "decided_by": "ana"})  # fmt: skip
                rows.append(key | {"coder": "ana", "code_id": None, "action": "review",
                                   "source": "manual", "decided_by": "ana"})  # fmt: skip
            if number % 2 == 0:
                other = ids[(number + 1) % CODES] if number % 10 == 0 else code
                rows.append(key | {"coder": "ben", "code_id": other, "action": "add",
                                   "source": "manual", "decided_by": "ben"})  # fmt: skip
                rows.append(key | {"coder": "ben", "code_id": None, "action": "review",
                                   "source": "manual", "decided_by": "ben"})  # fmt: skip
        db["coding_decisions"].insert_all(rows, batch_size=1000)
        question.codebook.start_consensus("ana", "ben", "ana")
        clustering_id, _ = question.cluster(CODES, 0, "ana")
        first = question.answers().iloc[0]
    return clustering_id, first.survey, int(first.response_id)


def timed(client, url: str) -> tuple[float, float, int]:
    """Return the first fetch's time, the median of the repeats (ms), and the status."""
    start = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times), response.status_code


def main():
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE": f"{folder}/b.db"})
        start = time.perf_counter()
        clustering_id, survey, response_id = seed(app, rng)
        print(
            f"seeded {sum(ANSWERS.values())} answers, {CODES} codes, two coders and a"
            f" clustering in {time.perf_counter() - start:.1f} s"
        )
        client = app.test_client()
        sign_in(client, "ana")
        base = "/evaluate/coding/constraints"
        one = f"{base}/answers/{survey}/{response_id}"
        pages = [
            ("open questions", "/evaluate/coding/"),
            ("workspace (codebook)", base),
            ("answers, page 1", f"{base}/answers"),
            ("answers, page 40", f"{base}/answers?page=40"),
            ("answers, search 'fiscal'", f"{base}/answers?q=fiscal"),
            ("answers, proposed only", f"{base}/answers?state=proposed"),
            ("answers, one code", f"{base}/answers?code=3"),
            ("answers, Africa, staff", f"{base}/answers?profile=region:africa&from_survey=staff"),
            ("one answer", one),
            ("one answer, among proposed", f"{one}?state=proposed"),
            ("clustering", f"{base}/clusterings/{clustering_id}"),
            ("suggestions", f"{base}/suggestions"),
            ("agreement and consensus", f"{base}/agreement?a=ana&b=ben"),
            ("frequency by survey", f"{base}/frequency?coder=ana"),
            ("frequency by region", f"{base}/frequency?coder=ana&by=region"),
            ("codebook history", f"{base}/history"),
        ]  # fmt: skip
        print(f"\npage (GET, median of {REPEATS} after a first fetch)   first ms  median ms")
        slowest = (0.0, "")
        for name, url in pages:
            first, median, status = timed(client, url)
            flag = "" if status == 200 else f"  (status {status})"
            print(f"  {name:<44} {first:>8.0f} {median:>9.0f}{flag}")
            if status == 200:
                slowest = max(slowest, (median, name))
        verdict = "within" if slowest[0] < TARGET_MS else "OVER"
        print(f"\nslowest page: {slowest[1]}, {slowest[0]:.0f} ms ({verdict} {TARGET_MS} ms)")


if __name__ == "__main__":
    main()

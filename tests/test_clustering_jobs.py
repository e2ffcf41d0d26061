"""Clustering in the background: the job, its progress page, and the same clusters whatever
the order of the surveys."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from surveyapp.analysis.open_answers import OpenQuestion
from surveyapp.store import jobs
from surveyapp.testing import CSRF, seed_responses

DATA = Path(__file__).resolve().parent / "data"
QUESTION = "constraints"
PAGE = f"/evaluate/coding/{QUESTION}"


@pytest.fixture
def answers(app, db):
    """Store the labelled constraint answers: 120 of staff, 68 of constituents, and a "N/A"."""
    labelled = pd.read_csv(DATA / "constraints_labelled.csv")
    texts = labelled.text.tolist()
    staff = [{"response_id": i + 1, QUESTION: text} for i, text in enumerate(texts[:120])]
    staff.append({"response_id": 121, QUESTION: "N/A"})
    constituents = [{"response_id": i + 1, QUESTION: text} for i, text in enumerate(texts[120:])]
    questionnaires = app.extensions["questionnaires"]
    seed_responses(db, questionnaires["staff"], staff)
    seed_responses(db, questionnaires["constituents"], constituents)
    return labelled


def _token(client, path=PAGE):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def _start(client, k="5", seed="0"):
    """Ask for a clustering; return the job page it redirects to."""
    response = client.post(
        f"{PAGE}/cluster", data={"csrf_token": _token(client), "k": k, "seed": seed}
    )
    assert response.status_code == 302
    return response.headers["Location"]


def _ended(client, job_page, polls=1200):
    """Poll the job's progress until it has ended; return the last answer and those seen."""
    seen = []
    for _ in range(polls):  # up to ten minutes: the model may load on a busy machine
        found = client.get(f"{job_page}/progress").get_json()
        seen.append(found)
        if found["state"] in (jobs.DONE, jobs.FAILED):
            return found, seen
        time.sleep(0.5)
    raise AssertionError(f"the job did not end: {seen[-1]}")


def test_clustering_runs_in_the_background_then_shows_the_clusters(client, auth, db, answers):
    auth.sign_in()
    job_page = _start(client)
    assert job_page.startswith(f"{PAGE}/jobs/")
    job_id = int(job_page.rsplit("/", 1)[1])
    row = db["coding_jobs"].get(job_id)
    assert row["question"] == QUESTION and row["created_by"] == "ana"
    assert row["surveys"] == "constituents,demo,staff"  # every survey that asks it
    found, seen = _ended(client, job_page)
    assert found["state"] == jobs.DONE, found
    assert found["percent"] == 100
    assert all(0 <= answer["percent"] <= 100 for answer in seen)
    clustering_id = db["coding_jobs"].get(job_id)["clustering_id"]
    run = db["clusterings"].get(clustering_id)
    assert run["k"] == 5 and run["created_by"] == "ana"
    assert run["surveys"] == "constituents,demo,staff"
    assert db["cluster_suggestions"].count == len(answers)  # the "N/A" left out
    done = client.get(job_page)
    assert done.status_code == 302
    assert done.headers["Location"] == f"{PAGE}/clusterings/{clustering_id}"
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cluster 5" in page
    assert "1 non-answer (&#39;N/A&#39;) left out; put it back from the Answers page" in page


def test_the_job_page_shows_progress_and_refreshes_itself_without_javascript(
    client, auth, db, answers
):
    auth.sign_in()
    job_id, new = jobs.start_job(
        db, QUESTION, ["constituents", "staff"], {"k": 5, "seed": 0}, "ana"
    )
    assert new
    jobs.JobReporter(db, job_id)("embedding", 640, 2000)
    page = client.get(f"{PAGE}/jobs/{job_id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "job.js" in page and "defer" in page
    assert "Embedding 640 of 2,000 answers" in page
    assert '<progress id="job-bar" max="100" value="' in page
    progress = client.get(f"{PAGE}/jobs/{job_id}/progress")
    assert progress.headers["Cache-Control"] == "no-store"
    found = progress.get_json()
    assert found["state"] == jobs.RUNNING
    assert found["words"] == "Embedding 640 of 2,000 answers"
    low, high = jobs.STAGE_SPAN["embedding"]
    assert found["percent"] == round(100 * (low + (high - low) * 640 / 2000))
    jobs.JobReporter(db, job_id)("choosing", 7, 12)
    assert "Choosing the number of clusters: trying 7" in client.get(
        f"{PAGE}/jobs/{job_id}"
    ).get_data(as_text=True)
    jobs.JobReporter(db, job_id)("checking", 1, 4)
    assert "Checking how steady the clusters are: 1 of 4 other fits done" in client.get(
        f"{PAGE}/jobs/{job_id}"
    ).get_data(as_text=True)


def test_a_second_request_goes_to_the_running_clustering(client, auth, db, answers):
    auth.sign_in()
    running, _ = jobs.start_job(
        db, QUESTION, ["constituents", "staff"], {"k": 5, "seed": 0}, "ben"
    )
    job_page = _start(client, k="3")
    assert job_page == f"{PAGE}/jobs/{running}"
    assert db["coding_jobs"].count == 1
    assert "already running" in client.get(job_page).get_data(as_text=True)


def test_the_workspace_links_to_the_running_clustering(client, auth, db, answers):
    auth.sign_in()
    assert "A clustering is running" not in client.get(PAGE).get_data(as_text=True)
    job_id, _ = jobs.start_job(db, QUESTION, ["staff"], {"k": 5, "seed": 0}, "ben")
    page = client.get(PAGE).get_data(as_text=True)
    assert f'href="{PAGE}/jobs/{job_id}">A clustering is running' in page


def test_a_failing_clustering_ends_failed_with_its_reason(client, auth, db, app):
    seed_responses(
        db,
        app.extensions["questionnaires"]["staff"],
        [{"response_id": i, QUESTION: f"answer number {i}"} for i in range(1, 6)],
    )
    auth.sign_in()
    job_page = _start(client, k="50")
    found, _ = _ended(client, job_page)
    assert found["state"] == jobs.FAILED
    assert "5 distinct answers cannot make 50 clusters; choose a smaller k" in found["words"]
    page = client.get(job_page).get_data(as_text=True)
    assert "Could not cluster: 5 distinct answers cannot make 50 clusters" in page
    assert "Back to the codebook, to cluster again" in page
    assert 'http-equiv="refresh"' not in page and "job.js" not in page
    assert db["clusterings"].count == 0


def test_a_job_whose_thread_died_is_shown_interrupted_and_may_start_again(
    client, auth, db, answers
):
    auth.sign_in()
    job_id, _ = jobs.start_job(db, QUESTION, ["constituents", "staff"], {"k": 5, "seed": 0}, "ana")
    db["coding_jobs"].update(
        job_id, {"state": jobs.RUNNING, "updated_at": "2020-01-01T00:00:00+00:00"}
    )
    assert jobs.active_job(db, QUESTION) is None
    page = client.get(f"{PAGE}/jobs/{job_id}").get_data(as_text=True)
    assert "The clustering was interrupted (the server stopped); start it again." in page
    assert client.get(f"{PAGE}/jobs/{job_id}/progress").get_json()["state"] == jobs.FAILED
    again, new = jobs.start_job(db, QUESTION, ["constituents", "staff"], {"k": 5}, "ana")
    assert new and again != job_id
    assert db["coding_jobs"].get(job_id)["state"] == jobs.FAILED
    assert jobs.active_job(db, QUESTION)["id"] == again


def test_jobs_of_another_question_or_none_are_not_found(client, auth, db, answers):
    auth.sign_in()
    job_id, _ = jobs.start_job(db, QUESTION, ["staff"], {"k": 5, "seed": 0}, "ana")
    assert client.get(f"{PAGE}/jobs/{job_id + 1}").status_code == 404
    assert client.get(f"{PAGE}/jobs/{job_id + 1}/progress").status_code == 404
    assert client.get(f"/evaluate/coding/nosuch/jobs/{job_id}").status_code == 404


def test_the_reporter_writes_each_new_stage_and_its_share_of_the_work(db, answers):
    job_id, _ = jobs.start_job(db, QUESTION, ["staff"], {"k": 5, "seed": 0}, "ana")
    reporter = jobs.JobReporter(db, job_id)
    shares = []
    for stage, done, total in [
        ("embedding", 0, 100),
        ("comparing", 20, 40),
        ("choosing", 12, 12),
        ("checking", 2, 4),
        ("naming", 0, 7),
        ("saving", 0, 1),
    ]:
        reporter(stage, done, total)
        row = jobs.job(db, QUESTION, job_id)
        assert row["state"] == jobs.RUNNING
        assert row["stage"] == {"stage": stage, "done": done, "total": total}
        shares.append(row["progress"])
    assert shares == sorted(shares) and 0 < shares[0] < shares[-1] < 1
    jobs.finish(db, job_id, 3, ["a note"])
    reporter("naming", 0, 7)  # a late report changes nothing once the job has ended
    assert jobs.job(db, QUESTION, job_id)["state"] == jobs.DONE


# -- the same clusters whatever the order of the surveys ------------------------------------------


def _clusters(proposal) -> dict:
    return dict(zip(proposal.assignments.answer, proposal.assignments.cluster, strict=True))


def test_the_order_of_the_surveys_does_not_change_the_clusters(app, db, answers):
    questionnaires = app.extensions["questionnaires"]
    first_id, first = OpenQuestion(
        db, questionnaires, QUESTION, ["staff", "constituents"]
    ).cluster("auto", 0, "cli")
    second_id, second = OpenQuestion(
        db, questionnaires, QUESTION, ["constituents", "staff"]
    ).cluster("auto", 0, "ana")
    one, other = _clusters(first), _clusters(second)
    assert set(one) == set(other) and len(one) == len(answers)
    keys = sorted(one)
    assert adjusted_rand_score([one[k] for k in keys], [other[k] for k in keys]) == 1.0
    assert one == other  # numbered alike, too
    surveys = {run["surveys"] for run in db["clusterings"].rows}
    assert surveys == {"constituents,staff"}
    assert first_id != second_id


def test_the_cli_and_the_browser_make_the_same_clusters(client, auth, db, answers, run, tmp_path):
    out = tmp_path / "clusters.csv"
    result = run("cluster", "staff,constituents", QUESTION, "--k", "auto", "-o", out)
    assert "embedding: 0 of" in result.output  # progress on stderr
    assert "1 non-answer ('N/A') left out" in result.output
    cli = pd.read_csv(out)
    auth.sign_in()
    found, _ = _ended(client, _start(client, k="auto"))
    assert found["state"] == jobs.DONE
    browser = dict(
        (
            (row["survey"], row["response_id"]),
            row["cluster"],
        )
        for row in db.query(
            "select survey, response_id, cluster from cluster_suggestions"
            " where clustering_id = (select max(id) from clusterings)"
        )
    )
    from_cli = dict(zip(zip(cli.survey, cli.response_id, strict=True), cli.cluster, strict=True))
    assert set(from_cli) == set(browser)
    keys = sorted(browser)
    assert adjusted_rand_score([from_cli[k] for k in keys], [browser[k] for k in keys]) == 1.0


def test_the_clustering_page_shows_the_k_curve_and_clusters_again_with_another_k(
    client, auth, db, answers
):
    auth.sign_in()
    job_page = _start(client, k="auto")
    found, _ = _ended(client, job_page)
    assert found["state"] == jobs.DONE, found
    clustering_id = db["coding_jobs"].get(int(job_page.rsplit("/", 1)[1]))["clustering_id"]
    questionnaires = client.application.extensions["questionnaires"]
    runs = OpenQuestion(db, questionnaires, QUESTION).codebook.clusterings()
    run = next(r for r in runs if r["id"] == clustering_id)
    scores = run["details"]["k_scores"]
    assert sorted(scores) == list(range(2, 13)) and run["details"]["k_score"] == "modularity"
    page = client.get(f"{PAGE}/clusterings/{clustering_id}").get_data(as_text=True)
    assert "How many clusters" in page and "<svg" in page and "<polyline" in page
    for k in scores:  # each k tried is in the table, and every other one can be chosen
        assert f"<td>{k}</td>" in page
        assert (f'name="k" value="{k}"' in page) == (k != run["k"])
    assert page.count("comes back whole with other seeds") == run["k"]
    assert page.count("In one line:") == run["k"]
    for cluster in run["details"]["clusters"].values():
        assert 0 < cluster["stability"] <= 1 and cluster["summary"] in page
    other = next(k for k in scores if k != run["k"])
    again = client.post(
        f"{PAGE}/cluster", data={"csrf_token": _token(client), "k": str(other), "seed": "0"}
    )
    found, _ = _ended(client, again.headers["Location"])
    job_id = int(again.headers["Location"].rsplit("/", 1)[1])
    newest = db["coding_jobs"].get(job_id)["clustering_id"]
    assert newest != clustering_id and db["clusterings"].get(newest)["k"] == other


def test_a_clusters_steadiness_agrees_with_the_share_shown(client, auth, db, answers):
    auth.sign_in()
    found, _ = _ended(client, _start(client, k="3"))
    assert found["state"] == jobs.DONE, found
    clustering_id = db["clusterings"].get(db["clusterings"].count)["id"]
    details = json.loads(db["clusterings"].get(clustering_id)["details"])
    for cluster, stability in zip(details["clusters"], (0.798, 0.496, 0.794), strict=True):
        details["clusters"][cluster]["stability"] = stability
    db["clusterings"].update(clustering_id, {"details": json.dumps(details)})
    page = client.get(f"{PAGE}/clusterings/{clustering_id}").get_data(as_text=True)
    shown = "of it comes back whole with other seeds"
    assert f"80% {shown} (steady)" in page  # 0.798 is shown as 80%: steady, as the hint says
    assert f"50% {shown} (moves somewhat)" in page
    assert f"79% {shown} (moves somewhat)" in page

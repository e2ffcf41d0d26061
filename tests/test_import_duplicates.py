"""The same file is never imported twice, and rows repeating a stored response are refused.

A file is known by the SHA-256 of its bytes, kept with when and how many responses it
brought. A row with the same answers in every export column as a stored response, or as
an earlier row, is refused by line unless --allow-duplicates is given. All or nothing.
"""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import UTC, datetime

import pytest

from surveyapp.response_import import ImportRejected, import_responses
from surveyapp.store.invitations import create_invitations
from surveyapp.store.responses import response_count
from surveyapp.testing import DEMO_ANSWERS, Respondent, responses_file


def test_the_same_file_is_not_imported_twice_with_response_ids_left_empty(app, db, run, tmp_path):
    paper = responses_file(
        app.extensions["questionnaires"]["demo"], tmp_path / "interviews.csv", 62
    )
    assert "62 responses imported" in run("import-responses", "demo", paper).output
    again = run("import-responses", "demo", paper, expect=1)
    assert re.search(
        r"interviews.csv: this file was imported already, on \d{4}-\d\d-\d\d at \d\d:\d\d:\d\d"
        r" UTC \(62 responses, from interviews.csv\)",
        again.output,
    ), again.output
    assert "rejected, nothing imported" in again.output
    forced = run("import-responses", "demo", paper, "--allow-duplicates", expect=1)
    assert "imported already" in forced.output  # rows may repeat; a file, never
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(paper.read_bytes())  # the same bytes under another name
    assert "imported already" in run("import-responses", "demo", renamed, expect=1).output
    assert response_count(db, "demo") == 62


def test_each_file_imported_is_kept_by_fingerprint_with_when_and_how_many(app, db, run, tmp_path):
    create_invitations(db, "demo", 5, {"region": "Africa"})
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 3)
    run("import-responses", "demo", paper, "--attr", "region=Africa")
    [record] = list(db["response_imports"].rows)
    assert record["sha256"] == hashlib.sha256(paper.read_bytes()).hexdigest()
    assert record["survey"] == "demo" and record["file_name"] == "paper.csv"
    assert record["responses"] == 3
    assert record["imported_at"].startswith(datetime.now(UTC).date().isoformat())
    assert record["invitation_attributes"] == '{"region": "Africa"}'


def test_rows_with_the_answers_of_stored_responses_are_refused_by_line(app, db, run, tmp_path):
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 3)
    run("import-responses", "demo", paper)
    resaved = tmp_path / "resaved.csv"  # the same rows, other bytes, and one new row
    new_row = (
        responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "new.csv", 1, seed=2)
        .read_text()
        .splitlines()[1]
    )
    resaved.write_text(paper.read_text().replace("\n", "\r\n") + new_row + "\r\n")
    result = run("import-responses", "demo", resaved, expect=1)
    for line, response in ((2, 1), (3, 2), (4, 3)):
        assert (
            f"resaved.csv: line {line}: the same answers in every column as response"
            f" {response}, stored already (--allow-duplicates imports it anyway)"
        ) in result.output
    assert "line 5" not in result.output
    assert response_count(db, "demo") == 3
    assert (
        "4 responses imported"
        in run("import-responses", "demo", resaved, "--allow-duplicates").output
    )
    assert response_count(db, "demo") == 7


def test_rows_with_the_answers_of_a_web_response_are_refused(app, db, client, run, tmp_path):
    for token in create_invitations(db, "demo", 2):
        person = Respondent(client, f"/s/demo/{token}")
        person.open()
        for page in DEMO_ANSWERS:
            person.submit(page)
    exported = tmp_path / "web.csv"
    run("export", "demo", "-o", exported)
    with exported.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with exported.open("w", newline="") as handle:  # ids left empty, as the README advises
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({**row, "response_id": ""} for row in rows)
    result = run("import-responses", "demo", exported, expect=1)
    assert "line 2: the same answers in every column as response 1, stored" in result.output
    assert "line 3: the same answers in every column as response 1, stored" in result.output
    assert response_count(db, "demo") == 2


def test_rows_repeated_within_a_file_are_refused_by_line(app, db, run, tmp_path):
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 2)
    lines = paper.read_text().splitlines()
    paper.write_text("\n".join([*lines, lines[1], lines[1]]) + "\n")
    result = run("import-responses", "demo", paper, expect=1)
    assert "paper.csv: line 4: the same answers in every column as line 2 of this file" in (
        result.output
    )
    assert "paper.csv: line 5: the same answers in every column as line 2 of this file" in (
        result.output
    )
    assert "line 3:" not in result.output
    assert response_count(db, "demo") == 0
    assert (
        "4 responses imported"
        in run("import-responses", "demo", paper, "--allow-duplicates").output
    )


def test_a_rejected_file_is_not_remembered(app, db, run, tmp_path):
    create_invitations(db, "demo", 2, {"region": "Africa"})
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 2)
    run("import-responses", "demo", paper, "--attr", "region=Afrika", expect=1)
    assert db["response_imports"].count == 0
    run("import-responses", "demo", paper, "--attr", "region=Africa")
    assert response_count(db, "demo") == 2


def test_a_file_imported_meanwhile_is_refused_whole(app, db, tmp_path, monkeypatch):
    """Two imports of one file at once: the fingerprint's unique index lets one through."""
    from surveyapp import response_import

    demo = app.extensions["questionnaires"]["demo"]
    paper = responses_file(app.extensions["questionnaires"]["demo"], tmp_path / "paper.csv", 2)
    monkeypatch.setattr(response_import, "earlier_import", lambda *args: None)
    assert import_responses(db, demo, paper) == 2
    with pytest.raises(ImportRejected, match="nothing was imported: UNIQUE constraint"):
        import_responses(db, demo, paper, allow_duplicates=True)
    assert response_count(db, "demo") == 2

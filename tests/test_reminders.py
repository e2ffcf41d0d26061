"""`surveyapp remind`: the rows of an invitation CSV whose links are not completed yet.

Links are matched by hashing their token (only hashes are stored); nothing is stored.
"""

from __future__ import annotations

import csv
import io

import pytest

from surveyapp.store.connection import connect
from surveyapp.testing import DEMO_ANSWERS, Respondent


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def path_of(link: str) -> str:
    return link.replace("http://127.0.0.1:5000", "")


@pytest.fixture
def fielded(app, client, run, tmp_path):
    """Five demo links for Africa (one completed, one started) and a staff link."""
    links = tmp_path / "africa.csv"
    run("invite", "demo", "--count", 5, "--attr", "region=Africa", "--attr", "team==lead", "-o",
        links)  # fmt: skip
    rows = read_csv(links)
    done = Respondent(client, path_of(rows[0]["link"]))
    done.open()
    for page in DEMO_ANSWERS:
        done.submit(page)
    assert "Thank you" in done.page.get_data(as_text=True)
    started = Respondent(client, path_of(rows[1]["link"]))
    started.open()
    started.submit(DEMO_ANSWERS[0])
    run("invite", "staff", "--count", 1, "-o", tmp_path / "staff.csv")
    return links


def database_dump(app) -> str:
    db = connect(app.config["DATABASE"])
    try:
        return "\n".join(db.conn.iterdump())
    finally:
        db.close()


def test_remind_keeps_the_links_not_completed_and_says_which_started(app, fielded, run, tmp_path):
    before = database_dump(app)
    out = tmp_path / "remind.csv"
    result = run("remind", "demo", "--links", fielded, "-o", out)
    sent = read_csv(fielded)
    assert read_csv(out) == [
        {**sent[1], "started": "yes"},
        *({**row, "started": "no"} for row in sent[2:]),
    ]
    lines = fielded.read_text().splitlines()  # the rows as invite wrote them, byte for byte
    assert out.read_text().splitlines() == [
        lines[0] + ",started",
        lines[2] + ",yes",
        *(line + ",no" for line in lines[3:]),
    ]
    assert "'=lead" in out.read_text()  # still protected against formulas
    assert "5 links read, 1 completed, 0 not kept; 4 to remind (1 started)" in result.output
    assert database_dump(app) == before  # nothing stored


def test_remind_keeps_columns_added_for_a_mail_merge(fielded, run, tmp_path):
    rows = read_csv(fielded)
    merged = tmp_path / "merge.csv"
    with merged.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "link", "region", "team"])
        for n, row in enumerate(rows):
            writer.writerow([f"person{n}@example.org", row["link"], row["region"], row["team"]])
    out = tmp_path / "remind.csv"
    run("remind", "demo", "--links", merged, "-o", out)
    kept = read_csv(out)
    assert list(kept[0]) == ["email", "link", "region", "team", "started"]
    assert [row["email"] for row in kept] == [f"person{n}@example.org" for n in range(1, 5)]


def test_links_unknown_or_of_another_survey_are_reported_not_kept(fielded, run, tmp_path):
    staff_link = read_csv(tmp_path / "staff.csv")[0]["link"]
    lines = fielded.read_text().splitlines()
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "\n".join(
            [
                *lines,
                f"{staff_link},Africa,x",
                "http://127.0.0.1:5000/s/demo/AAAAAAAAAAAAAAAAAAAAAAAA,Africa,x",
                "not a link,Africa,x",
                lines[3],
            ]
        )
        + "\n"
    )
    out = tmp_path / "remind.csv"
    result = run("remind", "demo", "--links", mixed, "-o", out)
    assert "mixed.csv: line 7: a link of survey 'staff', not demo: not kept" in result.output
    assert "mixed.csv: line 8: an unknown link" in result.output
    assert "mixed.csv: line 9: 'not a link' is not an invitation link" in result.output
    assert "mixed.csv: line 10: the same link as line 4: not kept" in result.output
    assert "9 links read, 1 completed, 4 not kept; 4 to remind" in result.output
    assert [row["link"] for row in read_csv(out)] == [row["link"] for row in read_csv(fielded)[1:]]


def test_remind_writes_to_standard_output_without_o(fielded, run):
    result = run("remind", "demo", "--links", fielded)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["started"] for row in rows] == ["yes", "no", "no", "no"]
    assert "written to standard output" in result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b"url,region\nhttp://x/s/demo/abc,Africa\n",
            "bad.csv: no column 'link' (its columns: url, region)",
        ),
        (b"link;region\nhttp://x/s/demo/abc;Africa\n", "separated by semicolons?"),
        (
            b"link,region\nhttp://x/s/demo/abc,Africa,extra\n",
            "bad.csv: line 2: more values than columns",
        ),
        (
            b"link,region\nhttp://x/s/demo/a,Africa\nhttp://x/s/demo/b\n",
            "bad.csv: line 3: fewer values than columns",
        ),
        (b"link,region\n\xff\xfe,Africa\n", "bad.csv: is not UTF-8 text (byte 12)"),
        (b"", "bad.csv: no column 'link' (its columns: none)"),
        (b"link,region\n", "bad.csv: holds no links"),
        (
            b"link,region\nhttp://x/s/demo/abc,Africa\n",
            "bad.csv: none of its links is a link of demo",
        ),
    ],
)
def test_a_file_that_is_not_an_invitation_csv_is_refused_with_its_line(
    fielded, run, tmp_path, content, message
):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    out = tmp_path / "remind.csv"
    result = run("remind", "demo", "--links", bad, "-o", out, expect=1)
    assert message in result.output
    assert "bad.csv: no reminders written" in result.output
    assert not out.exists()


def test_a_missing_file_or_survey_is_refused(fielded, run, tmp_path):
    result = run("remind", "demo", "--links", tmp_path / "nosuch.csv", expect=1)
    assert "nosuch.csv: cannot be read: No such file or directory" in result.output
    result = run("remind", "nosuch", "--links", fielded, expect=2)
    assert "no survey 'nosuch'" in result.output

"""The surveyapp command: set-up, invitations, schedule, status, export and import."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash

from surveyapp.cli import main
from surveyapp.store.connection import connect
from surveyapp.store.responses import response_count
from surveyapp.testing import DEMO_ANSWERS, Respondent
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path, questionnaire_dir):
    """Run a surveyapp command on a temporary database; return the click result."""
    database = tmp_path / "cli.db"

    def invoke(*args, db=database, expect=0):
        result = CliRunner().invoke(
            main, ["--db", str(db), "--questionnaires", str(questionnaire_dir), *map(str, args)]
        )
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

    invoke.db = database
    return invoke


def app_for(run, questionnaire_dir, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": str(run.db),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_init_db_creates_admin_once_with_a_hashed_random_password(run):
    first = run("init-db")
    password = re.search(r"shown only once\):\s+(\S+)", first.output).group(1)
    assert len(password) >= 12
    store = connect(str(run.db))
    [admin] = list(store["evaluators"].rows)
    assert admin["name"] == "admin"
    assert password not in admin["password_hash"]
    assert check_password_hash(admin["password_hash"], password)
    second = run("init-db")
    assert "password" not in second.output
    assert store["evaluators"].count == 1


def test_invite_writes_single_use_links_and_stores_only_hashes(run, tmp_path):
    out = tmp_path / "links.csv"
    run(
        "invite",
        "staff",
        "--count",
        5,
        "--attr",
        "region=Africa",
        "--attr",
        "office=country",
        "-o",
        out,
    )
    rows = read_csv(out)
    assert len(rows) == 5
    assert set(rows[0]) == {"link", "region", "office"}
    assert {row["region"] for row in rows} == {"Africa"}
    tokens = [row["link"].rsplit("/", 1)[1] for row in rows]
    assert len(set(tokens)) == 5
    assert all(len(token) >= 22 for token in tokens)
    dump = "\n".join(connect(str(run.db)).conn.iterdump())
    assert not any(token in dump for token in tokens)


def test_invitation_links_open_the_questionnaire(run, tmp_path, questionnaire_dir):
    out = tmp_path / "links.csv"
    run("invite", "staff", "--count", 1, "-o", out)
    link = read_csv(out)[0]["link"].replace("http://127.0.0.1:5000", "")
    client = app_for(run, questionnaire_dir, tmp_path).test_client()
    assert "About you" in client.get(link).get_data(as_text=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (("invite", "nosuch", "--count", 1), "no survey 'nosuch'"),
        (("invite", "staff", "--count", 0), "--count"),
        (("invite", "staff", "--count", 1, "--attr", "region"), "'region' is not KEY=VALUE"),
        (("schedule", "staff", "--opens", "next week"), "'next week' is not a date"),
        (
            ("schedule", "staff", "--opens", "2026-12-01", "--closes", "2026-11-01"),
            "open before it closes",
        ),
        (("export", "staff", "--format", "pdf"), "'pdf' is not"),
    ],
)
def test_bad_arguments_give_a_clear_message(run, args, message):
    result = run(*args, expect=2)
    assert message in result.output


def test_schedule_sets_dates_and_open_link(run, tmp_path, questionnaire_dir):
    result = run(
        "schedule", "staff", "--opens", "2020-11-02", "--closes", "2020-11-23", "--open-link"
    )
    assert "closes 2020-11-23T00:00:00+00:00" in result.output
    assert "open link on" in result.output
    client = app_for(run, questionnaire_dir, tmp_path).test_client()
    assert "This survey is closed" in client.get("/s/staff/open").get_data(as_text=True)
    run("schedule", "staff", "--no-dates")
    assert client.get("/s/staff/open").status_code == 302


def test_status_gives_response_rate_per_attribute(run, tmp_path, questionnaire_dir):
    out = tmp_path / "links.csv"
    run("invite", "demo", "--count", 2, "--attr", "region=Africa", "-o", out)
    run("invite", "demo", "--count", 2, "--attr", "region=Asia", "-o", tmp_path / "asia.csv")
    client = app_for(run, questionnaire_dir, tmp_path).test_client()
    complete(client, read_csv(out)[0]["link"])
    overall = run("status", "demo").output
    assert re.search(r"All\s+4\s+1\s+1\s+0\s+1\s+25%", overall), overall
    by_region = run("status", "demo", "--by", "region").output
    assert re.search(r"Africa\s+2\s+1\s+1\s+0\s+1\s+50%", by_region), by_region
    assert re.search(r"Asia\s+2\s+0\s+0\s+0\s+0\s+0%", by_region), by_region


def complete(client, link, answers=DEMO_ANSWERS):
    """Answer the demo questionnaire through the web form."""
    person = Respondent(client, link.replace("http://127.0.0.1:5000", ""))
    person.open()
    for page in answers:
        person.submit(page)
    assert "Thank you" in person.page.get_data(as_text=True)


@pytest.fixture
def answered(run, tmp_path, questionnaire_dir):
    """A database with two completed demo responses and one unfinished."""
    out = tmp_path / "links.csv"
    run("invite", "demo", "--count", 3, "-o", out)
    links = [row["link"] for row in read_csv(out)]
    client = app_for(run, questionnaire_dir, tmp_path).test_client()
    complete(client, links[0])
    second = [dict(DEMO_ANSWERS[0], region="other", region_other='=HYPERLINK("x"), "quoted"')]
    second += [DEMO_ANSWERS[1], {"constraints": "Lack of human resources\nand funds"}]
    complete(client, links[1], second)
    partial = client.get(links[2].replace("http://127.0.0.1:5000", ""))
    assert partial.status_code == 200
    return run


def test_export_writes_one_row_per_completed_response(answered, tmp_path):
    out = tmp_path / "demo.csv"
    answered("export", "demo", "--format", "csv", "-o", out)
    rows = read_csv(out)
    assert len(rows) == 2
    assert list(rows[0])[:7] == [
        "response_id",
        "language",
        "region",
        "region_other",
        "organisation",
        "topics.health",
        "topics.pensions",
    ]
    assert rows[0]["topics.media"] == "1" and rows[0]["topics.pensions"] == "0"
    assert rows[0]["statements.two"] == "dont_know"
    assert rows[0]["pillars.b"] == "1"
    assert rows[0]["countries"] == "3"
    assert rows[1]["countries"] == ""
    assert rows[1]["constraints"] == "Lack of human resources\nand funds"


def test_export_with_labels(answered, tmp_path):
    out = tmp_path / "labels.csv"
    answered("export", "demo", "--labels", "-o", out)
    rows = read_csv(out)
    assert rows[0]["region"] == "Africa"
    assert rows[0]["statements.two"] == "Do not know"
    assert rows[0]["organisation"] == "Workers' organization"
    assert rows[0]["topics.media"] == "chosen"


def test_dictionary_describes_every_export_column(answered, tmp_path):
    out = tmp_path / "dictionary.csv"
    answered("dictionary", "demo", "--format", "csv", "-o", out)
    rows = read_csv(out)
    assert list(rows[0]) == ["column", "question", "item", "type", "label", "choices"]
    answered("export", "demo", "-o", tmp_path / "demo.csv")
    assert [row["column"] for row in rows] == list(read_csv(tmp_path / "demo.csv")[0])
    statements = next(row for row in rows if row["column"] == "statements.one")
    assert statements["question"] == "statements"
    assert statements["item"] == "one"
    assert statements["type"] == "grid"
    assert statements["label"] == "Do you agree? - Statement one"
    assert statements["choices"] == "agree=Agree; disagree=Disagree; dont_know=Do not know"


def test_import_round_trip(answered, run, tmp_path):
    exported = tmp_path / "demo.csv"
    answered("export", "demo", "-o", exported)
    assert [row["language"] for row in read_csv(exported)] == ["en", "en"]  # as answered
    fresh = tmp_path / "fresh.db"
    result = run("import-responses", "demo", exported, db=fresh)
    assert "2 responses imported" in result.output
    again = tmp_path / "again.csv"
    run("export", "demo", "-o", again, db=fresh)
    assert again.read_text() == exported.read_text()
    imported = connect(str(fresh))
    assert {row["source"] for row in imported["responses_demo"].rows} == {"import"}
    assert {row["language"] for row in imported["responses_demo"].rows} == {"en"}


def test_import_of_the_same_file_twice_is_refused(answered, tmp_path):
    exported = tmp_path / "demo.csv"
    answered("export", "demo", "-o", exported)
    result = answered("import-responses", "demo", exported, expect=1)
    assert "response 1 exists already" in result.output
    assert response_count(connect(str(answered.db)), "demo") == 2


def _edit(path: Path, line: int, column: str, value: str, header=None):
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    fields = header or list(rows[0])
    rows[line - 2][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())


@pytest.mark.parametrize(
    "line, column, value, message",
    [
        (
            2,
            "region",
            "asia",
            "line 2, column 'region': 'asia' is not one of africa, other",
        ),
        (3, "region", "", "line 3, column 'region': Please answer this question."),
        (2, "topics.media", "2", "line 2, column 'topics.media': must be 0, 1 or empty"),
        (2, "countries", "99", "line 2, column 'countries': Please give a number from 1 to 54."),
        (2, "countries", "three", "line 2, column 'countries': Please give a whole number."),
        (
            3,
            "countries",
            "4",
            "line 3, column 'countries': answered, but the question is not shown",
        ),
        (2, "pillars.a", "1", "line 2, column 'pillars.a': Please use each rank only once."),
        (2, "statements.one", "", "line 2, column 'statements.one': Please answer this question."),
        (2, "constraints", "x" * 51, "line 2, column 'constraints': Please keep this under 50"),
        (2, "response_id", "abc", "line 2, column 'response_id': must be a whole number"),
    ],
)
def test_import_rejects_an_invalid_file_whole(
    answered, run, tmp_path, line, column, value, message
):
    exported = tmp_path / "demo.csv"
    answered("export", "demo", "-o", exported)
    _edit(exported, line, column, value)
    fresh = tmp_path / "fresh.db"
    result = run("import-responses", "demo", exported, db=fresh, expect=1)
    assert message in result.output
    assert "rejected, nothing imported" in result.output
    assert response_count(connect(str(fresh)), "demo") == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"region,bogus\nafrica,1\n", "column 'bogus' is not in the export"),
        (b"region\nafrica\n", "columns missing"),
        (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
        (b"", "columns missing"),
    ],
)
def test_import_rejects_files_of_the_wrong_shape(run, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run("import-responses", "demo", path, expect=1)
    assert message in result.output


def test_bad_questionnaire_stops_every_command_with_its_place(tmp_path):
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "broken.yaml").write_text(
        "id: broken\ntitle: B\npages:\n- name: p\n  questions:\n"
        "  - {name: q1, type: radio, label: Q}\n"
    )
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "x.db"), "--questionnaires", str(folder), "init-db"]
    )
    assert result.exit_code == 1
    assert "broken.yaml: question 'q1': type 'radio' is not one of" in result.output
    assert "Traceback" not in result.output


def test_check_validates_files_without_a_database(tmp_path):
    result = CliRunner().invoke(main, ["check", str(ROOT / "questionnaires" / "staff.yaml")])
    assert result.exit_code == 0
    assert "survey 'staff'" in result.output


def test_every_command_has_help_and_is_documented():
    readme = (ROOT / "README.md").read_text()
    for name, command in main.commands.items():
        assert command.help, name
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert f"surveyapp {name}" in readme, f"README does not document '{name}'"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "surveyapp", "--help"], capture_output=True, text=True, check=True
    )
    assert "import-responses" in result.stdout


def test_add_evaluator_reads_password_from_stdin(run, tmp_path, questionnaire_dir):
    result = CliRunner().invoke(
        main,
        [
            "--db",
            str(run.db),
            "--questionnaires",
            str(questionnaire_dir),
            "add-evaluator",
            "maria",
            "--password-stdin",
        ],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    [row] = list(connect(str(run.db))["evaluators"].rows_where("name = 'maria'"))
    assert check_password_hash(row["password_hash"], "correct horse battery")


def test_add_evaluator_refuses_a_short_password(run, questionnaire_dir):
    result = CliRunner().invoke(
        main,
        [
            "--db",
            str(run.db),
            "--questionnaires",
            str(questionnaire_dir),
            "add-evaluator",
            "x",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 2
    assert "at least 10 characters" in result.output

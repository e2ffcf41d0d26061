"""The SQLite store: WAL mode, named migrations, versions, and changed questionnaires."""

from __future__ import annotations

import sqlite3

import pytest
import yaml
from sqlite_utils.db import Table

from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.response_import import ImportRejected, import_responses
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations
from surveyapp.store.responses import response_count
from surveyapp.testing import DEMO_ANSWERS, Respondent, seed_responses
from surveyapp.web import create_app


def make_app(app):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": app.config["DATABASE"],
            "QUESTIONNAIRES": app.config["QUESTIONNAIRES"],
        }
    )


def test_database_uses_wal_and_named_migrations(db):
    assert db.journal_mode == "wal"
    from surveyapp.store.migrations import migrations

    names = [row["name"] for row in db["_sqlite_migrations"].rows]
    assert names[0] == "m001_core_tables"
    assert names == [m.name for m in migrations.applied(db)]
    assert not migrations.pending(db)


def test_every_survey_has_a_response_table_with_its_columns(app, db):
    for survey, questionnaire in app.extensions["questionnaires"].items():
        columns = set(db[f"responses_{survey}"].columns_dict)
        assert {c.name for c in questionnaire.columns()} <= columns
        assert {"response_id", "questionnaire_version", "submitted_on", "source"} <= columns


def test_starting_twice_changes_nothing(app, db):
    before = db["questionnaire_versions"].count
    make_app(app)
    assert db["questionnaire_versions"].count == before
    names = [r["name"] for r in db["_sqlite_migrations"].rows]
    assert len(names) == len(set(names))


def test_changed_questionnaire_keeps_collected_answers(
    app, db, invite, respondent, questionnaire_dir
):
    person = respondent(invite())
    for page in DEMO_ANSWERS:
        person.submit(page)
    old_version = app.extensions["questionnaires"]["demo"].version

    path = questionnaire_dir / "demo.yaml"
    definition = yaml.safe_load(path.read_text())
    last = definition["pages"][-1]["questions"]
    definition["pages"][-1]["questions"] = [q for q in last if q["name"] != "share"] + [
        {"name": "suggestions", "type": "text", "label": "Suggestions"}
    ]
    path.write_text(yaml.safe_dump(definition, allow_unicode=True))
    changed = make_app(app)
    new_version = changed.extensions["questionnaires"]["demo"].version
    assert new_version != old_version

    columns = set(db["responses_demo"].columns_dict)
    assert {"suggestions", "share"} <= columns  # added, and kept
    [row] = list(db["responses_demo"].rows)
    assert row["share"] == 12.5
    assert row["questionnaire_version"] == old_version
    versions = {r["version"] for r in db["questionnaire_versions"].rows_where("survey = 'demo'")}
    assert versions == {old_version, new_version}
    assert db["surveys"].get("demo")["version"] == new_version

    second = changed.test_client()
    link = invite()
    person = Respondent(second, link)
    person.open()
    for page in DEMO_ANSWERS[:-1]:
        person.submit(page)
    person.submit({"suggestions": "More webinars"})
    newest = list(db.query("select * from responses_demo order by response_id desc limit 1"))[0]
    assert newest["suggestions"] == "More webinars"
    assert newest["share"] is None
    assert newest["questionnaire_version"] == new_version


def test_unfinished_answers_live_only_on_the_invitation_until_submitted(db, invite, respondent):
    person = respondent(invite())
    person.submit(DEMO_ANSWERS[0])
    assert db["responses_demo"].count == 0
    assert "africa" in db["invitations"].get(1)["draft"]


def test_secret_key_is_generated_once_into_the_instance_folder(
    tmp_path, questionnaire_dir, monkeypatch
):
    monkeypatch.setenv("SURVEYAPP_INSTANCE", str(tmp_path / "instance"))
    config = {"QUESTIONNAIRES": str(questionnaire_dir)}
    first = create_app(None, overrides=config)
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 64
    second = create_app(None, overrides=config)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert first.config["DATABASE"] == str(tmp_path / "instance" / "surveyapp.db")


def test_database_path_from_environment(tmp_path, questionnaire_dir, monkeypatch):
    monkeypatch.setenv("SURVEYAPP_INSTANCE", str(tmp_path / "instance"))
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("SURVEYAPP_DB", str(target))
    app = create_app(None, overrides={"QUESTIONNAIRES": str(questionnaire_dir)})
    assert app.config["DATABASE"] == str(target)
    assert connect(str(target))["responses_staff"].exists()


def _fail_on_second_batch(monkeypatch):
    """Make sqlite-utils fail when it writes its second batch of rows."""
    batches = []
    insert_chunk = Table.insert_chunk

    def failing(self, *args, **kwargs):
        batches.append(1)
        if len(batches) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return insert_chunk(self, *args, **kwargs)

    monkeypatch.setattr(Table, "insert_chunk", failing)
    return batches


def test_invitations_made_in_several_batches_are_made_all_or_none(db, monkeypatch):
    batches = _fail_on_second_batch(monkeypatch)
    with pytest.raises(sqlite3.OperationalError):
        create_invitations(db, "staff", 600)
    assert len(batches) == 2
    assert db["invitations"].count == 0
    assert not db.conn.in_transaction


def test_an_import_that_fails_halfway_imports_nothing(app, db, monkeypatch, tmp_path):
    staff = app.extensions["questionnaires"]["staff"]
    path = tmp_path / "staff.csv"
    synthetic_responses(staff, 60, seed=1).to_csv(path, index=False, float_format="%g")
    batches = _fail_on_second_batch(monkeypatch)
    with pytest.raises(ImportRejected, match="nothing was imported: disk I/O error"):
        import_responses(db, staff, path)
    assert len(batches) == 2
    assert response_count(db, "staff") == 0


def test_responses_stored_in_several_batches_are_stored_all_or_none(app, db, monkeypatch):
    staff = app.extensions["questionnaires"]["staff"]
    batches = _fail_on_second_batch(monkeypatch)
    with pytest.raises(sqlite3.OperationalError):
        seed_responses(db, staff, [{"constraints": f"answer {n}"} for n in range(600)])
    assert len(batches) == 2
    assert response_count(db, "staff") == 0
    assert not db.conn.in_transaction


def test_an_import_that_fails_halfway_leaves_no_fingerprint(app, db, monkeypatch, tmp_path):
    """The file's record is written with its responses: a failed import can be run again."""
    staff = app.extensions["questionnaires"]["staff"]
    path = tmp_path / "staff.csv"
    synthetic_responses(staff, 60, seed=1).to_csv(path, index=False, float_format="%g")
    insert_chunk = Table.insert_chunk
    _fail_on_second_batch(monkeypatch)
    with pytest.raises(ImportRejected, match="nothing was imported"):
        import_responses(db, staff, path)
    assert db["response_imports"].count == 0
    monkeypatch.setattr(Table, "insert_chunk", insert_chunk)
    assert import_responses(db, staff, path) == 60
    assert db["response_imports"].count == 1


def test_an_invitation_keeps_its_language_until_the_response_records_it(app, db):
    from surveyapp.store.invitations import find_invitation, remember_language
    from surveyapp.store.responses import submit_response, texts_given

    questionnaire = app.extensions["questionnaires"]["demo"]
    invited, chosen_later = create_invitations(db, "demo", 2, language="fr")
    assert find_invitation(db, "demo", invited).language == "fr"
    link = find_invitation(db, "demo", chosen_later)
    remember_language(db, link, "es")
    assert find_invitation(db, "demo", chosen_later).language == "es"  # kept for a resume
    answers = {name: value for page in DEMO_ANSWERS for name, value in page.items()}
    answers["constraints"] = "Espacio fiscal"
    assert submit_response(db, questionnaire, link, answers, "es")
    remember_language(db, find_invitation(db, "demo", chosen_later), "en")  # used: no change
    assert find_invitation(db, "demo", chosen_later).language == "es"
    [row] = db.execute("select language from responses_demo").fetchall()
    assert row == ("es",)
    texts = texts_given(db, "demo", "constraints")
    assert texts[["text", "language"]].values.tolist() == [["Espacio fiscal", "es"]]

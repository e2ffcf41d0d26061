"""The schema has one owner: frozen migrations upgrade a deployed database with nothing lost."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.store import migrations as migrations_module
from surveyapp.store.codings import Codebook
from surveyapp.store.connection import connect
from surveyapp.store.embeddings import EmbeddingCache
from surveyapp.store.migrations import (
    DatabaseNewer,
    DatabaseOutdated,
    migrations,
    pending,
    release,
    release_schema,
)
from surveyapp.testing import PASSWORD, sign_in
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "tests" / "data" / "release-0.1.0.db"
# The current schema (m008), made after 0.1.0 without a version bump: tests/data/schema-m008.md
SCHEMA_M008 = ROOT / "tests" / "data" / "schema-m008.db"
RELEASE_MIGRATIONS = [
    "m001_core_tables",
    "m002_sign_in_failures",
    "m003_codebook",
    "m004_failed_attempts",
]


@pytest.fixture
def deployed(tmp_path):
    """A copy of the database made by release 0.1.0 (tests/data/release-0.1.0.md)."""
    path = tmp_path / "deployed.db"
    shutil.copy(RELEASE, path)
    return path


def rows_of(path) -> dict[str, list[tuple]]:
    """Return every row of every table, sorted, by table name."""
    db = connect(str(path))
    try:
        return {
            table: sorted(db.execute(f'select * from "{table}"').fetchall(), key=repr)
            for table in db.table_names()
        }
    finally:
        db.close()


def schema_of(path) -> set[tuple[str, str, str]]:
    """Return each table's and index's type, name and normalised SQL (response tables aside)."""
    db = connect(str(path))
    try:
        found = db.execute(
            "select type, name, sql from sqlite_master"
            " where name not like 'responses_%' and name not like 'sqlite_%'"
        ).fetchall()
    finally:
        db.close()
    return {(kind, name, re.sub(r"\s+", " ", sql or "")) for kind, name, sql in found}


def init_db(path, questionnaire_dir):
    """Run `surveyapp init-db` on a database; return the click result."""
    return CliRunner().invoke(
        main, ["--db", str(path), "--questionnaires", str(questionnaire_dir), "init-db"]
    )


def test_the_release_database_has_only_the_migrations_it_shipped_with(deployed):
    db = connect(str(deployed))
    assert [m.name for m in migrations.applied(db)] == RELEASE_MIGRATIONS
    assert pending(db) == [m.name for m in migrations._migrations[len(RELEASE_MIGRATIONS) :]]


def test_a_database_that_needs_upgrading_is_refused_with_the_command_to_run(
    deployed, questionnaire_dir
):
    config = {"TESTING": True, "SECRET_KEY": "t", "DATABASE": str(deployed)}
    with pytest.raises(DatabaseOutdated, match="surveyapp init-db"):
        create_app({**config, "QUESTIONNAIRES": str(questionnaire_dir)})
    before = rows_of(deployed)
    for command in (["serve"], ["status"], ["export", "demo"]):
        result = CliRunner().invoke(
            main, ["--db", str(deployed), "--questionnaires", str(questionnaire_dir), *command]
        )
        assert result.exit_code == 1, result.output
        assert "needs upgrading" in result.output and "surveyapp init-db" in result.output
        assert "Traceback" not in result.output
    assert rows_of(deployed) == before  # refused without touching it


def test_init_db_upgrades_the_release_database_with_nothing_lost(
    deployed, tmp_path, questionnaire_dir
):
    before = rows_of(deployed)
    result = init_db(deployed, questionnaire_dir)
    assert result.exit_code == 0, result.output
    assert "survey demo: version" in result.output and "8 responses" in result.output
    assert "password" not in result.output  # the release's evaluators are still there
    after = rows_of(deployed)
    assert_nothing_lost(before, after)
    assert not pending(connect(str(deployed)))
    # Every later migration ran, and the result is the schema a new database gets.
    fresh = tmp_path / "fresh.db"
    assert init_db(fresh, questionnaire_dir).exit_code == 0
    assert schema_of(deployed) == schema_of(fresh)


def assert_nothing_lost(before: dict, after: dict):
    """Check that every row of an upgraded database is still there, whole."""
    # A questionnaire changed since the release (the shipped ones are now in French and
    # Spanish too) gets a new version: its old version is kept beside the new one.
    versions = {row[0]: row[1] for row in after["questionnaire_versions"]}
    assert set(before["questionnaire_versions"]) <= set(after["questionnaire_versions"])
    assert {row[0] for row in after["surveys"]} == {row[0] for row in before["surveys"]}
    assert all(row[4] in versions.values() for row in after["surveys"])
    for table, rows in before.items():
        if table == "_sqlite_migrations":
            assert after[table][: len(rows)] == rows
        elif table == "questionnaire_versions":
            continue  # checked above: every old version kept
        elif table == "surveys":  # the dates and open link kept; the version may be new
            assert [row[:4] for row in after[table]] == [row[:4] for row in rows]
        elif rows:  # every row kept, whole; columns added later come after the old ones
            assert [row[: len(rows[0])] for row in after[table]] == rows, table


def test_init_db_names_the_migrations_it_applied_then_says_up_to_date(deployed, questionnaire_dir):
    later = [m.name for m in migrations._migrations[len(RELEASE_MIGRATIONS) :]]
    first = init_db(deployed, questionnaire_dir)
    assert f"migrations applied: {', '.join(later)}\n" in first.output
    second = init_db(deployed, questionnaire_dir)
    assert "migrations applied" not in second.output
    assert f"database up to date: no migration to apply ({release_schema()})" in second.output


def test_a_database_of_the_current_schema_opens_with_nothing_lost(tmp_path, questionnaire_dir):
    current = tmp_path / "current.db"
    shutil.copy(SCHEMA_M008, current)
    db = connect(str(current))
    names = [m.name for m in migrations.applied(db)]
    db.close()
    assert names[-1] == "m008_coding_review"
    later = [m.name for m in migrations._migrations[len(names) :]]
    before = rows_of(current)
    result = init_db(current, questionnaire_dir)
    assert result.exit_code == 0, result.output
    if later:  # a release after this one: its migrations named
        assert f"migrations applied: {', '.join(later)}\n" in result.output
    else:
        assert "database up to date" in result.output
    assert "survey demo: version" in result.output and "8 responses" in result.output
    assert_nothing_lost(before, rows_of(current))
    fresh = tmp_path / "fresh.db"
    assert init_db(fresh, questionnaire_dir).exit_code == 0
    assert schema_of(current) == schema_of(fresh)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": str(current),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )
    client = app.test_client()
    assert sign_in(client, "ben", PASSWORD).status_code == 302
    workspace = client.get("/evaluate/coding/constraints").get_data(as_text=True)
    assert "Money" in workspace and "Politics" in workspace
    codebook = Codebook(connect(str(current)), "constraints")
    assert codebook.consensus()["coder_a"] == "ana"
    assert len(codebook.coding("ben")) == 8


@pytest.fixture
def newer(tmp_path, questionnaire_dir):
    """A database that a newer release has upgraded: one migration this release lacks."""
    path = tmp_path / "newer.db"
    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": str(path),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )
    db = connect(str(path))
    db["_sqlite_migrations"].insert(
        {"migration_set": "surveyapp", "name": "m999_from_a_newer_release", "applied_at": "2027"}
    )
    db.close()
    return path


def test_a_database_of_a_newer_release_is_refused_by_every_command_and_the_server(
    newer, questionnaire_dir
):
    before = rows_of(newer)
    config = {"TESTING": True, "SECRET_KEY": "t", "DATABASE": str(newer)}
    for upgrade in (False, True):  # serving, and init-db's upgrade
        with pytest.raises(DatabaseNewer) as refused:
            create_app({**config, "QUESTIONNAIRES": str(questionnaire_dir)}, upgrade=upgrade)
        message = str(refused.value)
        assert message.startswith(f"{newer}: made by a newer release of surveyapp")
        assert "schema version is m999_from_a_newer_release" in message
        assert f"surveyapp {release()} reads up to {release_schema()}" in message
    for command in (
        ["init-db"],
        ["serve"],
        ["status"],
        ["export", "demo"],
        ["add-evaluator", "x"],
    ):
        result = CliRunner().invoke(
            main, ["--db", str(newer), "--questionnaires", str(questionnaire_dir), *command]
        )
        assert result.exit_code == 1, result.output
        assert f"{newer}: made by a newer release" in result.output, command
        assert "Traceback" not in result.output
    assert rows_of(newer) == before  # refused without touching it


def test_the_upgraded_database_serves_its_respondents_and_evaluators(deployed, questionnaire_dir):
    assert init_db(deployed, questionnaire_dir).exit_code == 0
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": str(deployed),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )
    client = app.test_client()
    assert sign_in(client, "ana", PASSWORD).status_code == 302
    workspace = client.get("/evaluate/coding/constraints").get_data(as_text=True)
    assert "Money" in workspace and "Politics" in workspace
    db = connect(str(deployed))
    codebook = Codebook(db, "constraints")
    assert set(codebook.coders()) == {"ana", "ben"}
    assert len(codebook.coding("ana")) == 8
    assert db["embeddings"].count == 8


def test_a_new_database_file_is_built_whole(tmp_path, questionnaire_dir):
    path = tmp_path / "new.db"
    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE": str(path),
            "QUESTIONNAIRES": str(questionnaire_dir),
        }
    )
    db = connect(str(path))
    assert not pending(db)
    assert {"codes", "coding_decisions", "embeddings", "evaluators"} <= set(db.table_names())


def test_codebook_and_embedding_cache_create_no_tables(tmp_path):
    db = sqlite_utils.Database(tmp_path / "empty.db")
    Codebook(db, "constraints")
    EmbeddingCache(db)
    assert db.table_names() == []


def test_migrations_are_frozen():
    """A migration holds its own DDL: it calls nothing of surveyapp, coding or exports."""
    tree = ast.parse(Path(migrations_module.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {
        name
        for name in imported
        if name and name.split(".")[0] in {"surveyapp", "coding", "exports"}
    }
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "id", "") == "migrations"
            for d in node.decorator_list
        ):
            called = {
                n.func.id
                for statement in node.body
                for n in ast.walk(statement)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            }
            assert not called, (node.name, called)


def test_only_the_migrations_create_tables():
    """Outside store/migrations.py no code creates a table, but the response tables' own."""
    creating = re.compile(r"create\s+table|\.create\(", re.IGNORECASE)
    allowed = {
        Path("surveyapp/store/migrations.py"),
        Path("surveyapp/store/responses.py"),  # widen_response_table: one table per survey
    }
    found = []
    for folder in ("surveyapp", "coding", "exports"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if relative not in allowed and creating.search(path.read_text()):
                found.append(str(relative))
    assert not found
    responses = (ROOT / "surveyapp/store/responses.py").read_text()
    assert len(creating.findall(responses)) == 1

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
from surveyapp.store.migrations import DatabaseOutdated, migrations, pending
from surveyapp.testing import PASSWORD, sign_in
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "tests" / "data" / "release-0.1.0.db"
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
        else:  # every row kept, whole; columns added later come after the old ones
            assert [row[: len(rows[0])] for row in after[table]] == rows, table
    assert not pending(connect(str(deployed)))
    # Every later migration ran, and the result is the schema a new database gets.
    fresh = tmp_path / "fresh.db"
    assert init_db(fresh, questionnaire_dir).exit_code == 0
    assert schema_of(deployed) == schema_of(fresh)


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

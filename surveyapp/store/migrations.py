"""Every table of the store, created and changed only by the named migrations below.

Each migration is frozen: it holds its own DDL and never calls code that may change later,
so a database made by any release upgrades the same way a new one is built. To change a
table, add a migration at the end; never edit one that has shipped. The response tables
(one per survey, a column per export column) are the one exception: they follow the
questionnaires, and `store.responses.widen_response_table` creates and widens them.

At start-up (`web.create_app`) a new, empty database file gets every migration; a database
that lacks some is refused with `DatabaseOutdated`, and `surveyapp init-db` upgrades it. A
database that has had a migration this release does not know (made or upgraded by a newer
release) is refused with `DatabaseNewer` by every path that opens the app, `init-db` included:
this release's code would write to tables whose shape it does not know.

A database's schema version is the name of the last migration it has had; a release's is the
name of its last migration (0.1.0 shipped with m004_failed_attempts).
"""

from __future__ import annotations

from importlib import metadata

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("surveyapp")


class DatabaseOutdated(Exception):
    """A database this release does not open as it is: made by an earlier release, which
    `surveyapp init-db` must upgrade first (or by a newer one: DatabaseNewer)."""


class DatabaseNewer(DatabaseOutdated):
    """A database made or upgraded by a newer release: refused, never opened or changed.

    (A kind of DatabaseOutdated, so that whatever refuses an outdated database with its
    message refuses this one too.)
    """


@migrations(name="m001_core_tables")
def _core_tables(db: sqlite_utils.Database):
    db["surveys"].create(
        {"id": str, "opens": str, "closes": str, "open_link": int, "version": str},
        pk="id",
        not_null={"open_link"},
        defaults={"open_link": 0},
    )
    db["questionnaire_versions"].create(
        {"survey": str, "version": str, "definition": str, "loaded_at": str},
        pk=("survey", "version"),
    )
    db["invitations"].create(
        {
            "id": int,
            "survey": str,
            "token_hash": str,
            "channel": str,
            "attributes": str,
            "created_on": str,
            "started": int,
            "completed": int,
            "page": int,
            "furthest": int,
            "draft": str,
        },
        pk="id",
        not_null={"survey", "token_hash", "channel", "started", "completed"},
        defaults={"started": 0, "completed": 0, "page": 0, "furthest": 0, "attributes": "{}"},
    )
    db["invitations"].create_index(["token_hash"], unique=True)
    db["invitations"].create_index(["survey"])
    db["evaluators"].create(
        {"id": int, "name": str, "password_hash": str, "created_at": str},
        pk="id",
        not_null={"name", "password_hash"},
    )
    db["evaluators"].create_index(["name"], unique=True)


@migrations(name="m002_sign_in_failures")
def _sign_in_failures(db: sqlite_utils.Database):
    db["sign_in_failures"].create({"key": str, "at": float}, not_null={"key", "at"})
    db["sign_in_failures"].create_index(["key", "at"])


@migrations(name="m003_codebook")
def _codebook(db: sqlite_utils.Database):
    # Frozen copy of what coding.codebook.ensure_tables and EmbeddingCache created when this
    # migration shipped (release 0.1.0); they no longer create tables.
    db["clusterings"].create(
        {
            "id": int,
            "question": str,
            "surveys": str,
            "method": str,
            "embedder": str,
            "k": int,
            "seed": int,
            "created_by": str,
            "created_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["cluster_suggestions"].create(
        {
            "clustering_id": int,
            "survey": str,
            "response_id": int,
            "cluster": int,
            "cluster_label": str,
        },
        pk=("clustering_id", "survey", "response_id"),
        foreign_keys=[("clustering_id", "clusterings", "id")],
        if_not_exists=True,
    )
    db["codes"].create(
        {
            "id": int,
            "question": str,
            "name": str,
            "description": str,
            "origin": str,
            "merged_into": int,
            "created_by": str,
            "created_at": str,
        },
        pk="id",
        not_null={"question", "name"},
        if_not_exists=True,
    )
    db["codes"].create_index(["question"], if_not_exists=True)
    db["coding_decisions"].create(
        {
            "id": int,
            "question": str,
            "survey": str,
            "response_id": int,
            "code_id": int,
            "coder": str,
            "action": str,
            "source": str,
            "confidence": float,
            "decided_by": str,
            "at": str,
        },
        pk="id",
        not_null={"question", "survey", "response_id", "coder", "action"},
        if_not_exists=True,
    )
    db["coding_decisions"].create_index(["question", "coder"], if_not_exists=True)
    db["codebook_events"].create(
        {
            "id": int,
            "question": str,
            "code_id": int,
            "evaluator": str,
            "event": str,
            "detail": str,
            "at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.execute(
        "create table if not exists embeddings (model text not null, text_key text not null,"
        " vector blob not null, primary key (model, text_key))"
    )


@migrations(name="m004_failed_attempts")
def _failed_attempts(db: sqlite_utils.Database):
    db["failed_attempts"].create({"key": str, "at": float}, not_null={"key", "at"})
    db["failed_attempts"].create_index(["key", "at"])
    db["sign_in_failures"].drop(ignore=True)


@migrations(name="m005_coding_decisions_by_answer")
def _coding_decisions_by_answer(db: sqlite_utils.Database):
    # An answer's codes are read on every save of the Answers page: find its decisions
    # without scanning every decision of the question.
    db["coding_decisions"].create_index(
        ["question", "survey", "response_id", "coder"],
        index_name="idx_coding_decisions_answer",
    )


@migrations(name="m006_response_imports")
def _response_imports(db: sqlite_utils.Database):
    # One row per file of responses imported: the SHA-256 of its bytes, so that the same
    # file is never imported twice, with when, how many responses and the invitation
    # attributes they answered under (JSON).
    db["response_imports"].create(
        {
            "id": int,
            "survey": str,
            "sha256": str,
            "file_name": str,
            "imported_at": str,
            "responses": int,
            "invitation_attributes": str,
        },
        pk="id",
        not_null={"survey", "sha256", "imported_at", "responses"},
    )
    db["response_imports"].create_index(["survey", "sha256"], unique=True)


@migrations(name="m007_invitation_language")
def _invitation_language(db: sqlite_utils.Database):
    # The language a respondent chose (or was invited in), kept with their unfinished
    # answers so that it survives a resume without a cookie. Null: not chosen yet.
    db.execute("alter table invitations add column language text")


@migrations(name="m008_coding_review")
def _coding_review(db: sqlite_utils.Database):
    # A code deleted by an evaluator stays in the table for the audit trail, marked.
    db.execute("alter table codes add column deleted_at text")
    db.execute("alter table codes add column deleted_by text")
    # Why a decision was taken, in the evaluator's words (a settled disagreement's note).
    db.execute("alter table coding_decisions add column note text")
    # An evaluator's word on whether an answer goes into clustering: a non-answer ("N/A")
    # put back (included 1), or an answer taken out (0). No row: the machine's judgement.
    db["answer_inclusions"].create(
        {
            "question": str,
            "survey": str,
            "response_id": int,
            "included": int,
            "decided_by": str,
            "at": str,
        },
        pk=("question", "survey", "response_id"),
        not_null={"question", "survey", "response_id", "included"},
    )
    # Merges of one code into another, with the answers each coder had moved, so that a
    # merge can be undone: moved is JSON [[survey, response_id, coder, had_target], ...].
    db["code_merges"].create(
        {
            "id": int,
            "question": str,
            "source_id": int,
            "target_id": int,
            "moved": str,
            "merged_by": str,
            "merged_at": str,
            "undone_by": str,
            "undone_at": str,
        },
        pk="id",
        not_null={"question", "source_id", "target_id", "moved"},
    )
    # The consensus coding of a question: the two coders it settles between, who began it.
    # Its decisions are in coding_decisions under the coder name 'consensus'.
    db["consensus_codings"].create(
        {
            "question": str,
            "coder_a": str,
            "coder_b": str,
            "started_by": str,
            "started_at": str,
        },
        pk="question",
    )
    # Clusterings run in the background: state queued, running, done or failed; progress
    # from 0 to 1 with the stage in words; params as JSON; the clustering made when done.
    db["coding_jobs"].create(
        {
            "id": int,
            "question": str,
            "surveys": str,
            "params": str,
            "state": str,
            "stage": str,
            "progress": float,
            "message": str,
            "clustering_id": int,
            "created_by": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"question", "state"},
    )
    db["coding_jobs"].create_index(["question", "id"])


@migrations(name="m009_clustering_details")
def _clustering_details(db: sqlite_utils.Database):
    # What a clustering showed beside its clusters, as JSON: the score of each k tried
    # ("k_scores", k=auto), each cluster's stability between seeds and its summary.
    db.execute("alter table clusterings add column details text")


def release() -> str:
    """Return this release's version, as installed (setup.cfg's)."""
    try:
        return metadata.version("surveyapp")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def release_schema() -> str:
    """Return the schema version of this release: the name of its last migration."""
    return migrations._migrations[-1].name


def applied(db: sqlite_utils.Database) -> list[str]:
    """Return the names of the migrations this database has had, in the order applied."""
    return [migration.name for migration in migrations.applied(db)]


def unknown(db: sqlite_utils.Database) -> list[str]:
    """Return the migrations this database has had that this release does not know."""
    known = {migration.name for migration in migrations._migrations}
    return [name for name in applied(db) if name not in known]


def check_not_newer(db: sqlite_utils.Database, path: str):
    """Refuse a database made or upgraded by a newer release (DatabaseNewer), untouched."""
    newer = unknown(db)
    if newer:
        raise DatabaseNewer(
            f"{path}: made by a newer release of surveyapp (its schema version is"
            f" {applied(db)[-1]}; surveyapp {release()} reads up to {release_schema()} and does"
            f" not know {', '.join(newer)}): refused, nothing changed. Run the release that made"
            " it, or restore a backup taken before the upgrade (`surveyapp restore`)"
        )


def pending(db: sqlite_utils.Database) -> list[str]:
    """Return the names of the migrations this database has not had yet, in order."""
    return [migration.name for migration in migrations.pending(db)]


def is_new(db: sqlite_utils.Database) -> bool:
    """Whether the database holds no table at all (a file just made)."""
    return not db.table_names()


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not had yet; return their names.

    Refuses a database of a newer release (DatabaseNewer) before changing anything.
    """
    check_not_newer(db, db_path(db))
    names = pending(db)
    migrations.apply(db)
    return names


def check_current(db: sqlite_utils.Database, path: str):
    """Build a new database whole; refuse one that an earlier release made (DatabaseOutdated)."""
    if is_new(db):
        migrate(db)
        return
    check_not_newer(db, path)
    missing = pending(db)
    if missing:
        raise DatabaseOutdated(
            f"{path}: the database was made by an earlier release and needs upgrading"
            f" ({', '.join(missing)}): back it up, then run `surveyapp init-db`"
        )


def db_path(db: sqlite_utils.Database) -> str:
    """Return the file of a database connection, as named in messages."""
    found = db.execute("select file from pragma_database_list where name = 'main'").fetchone()
    return found[0] if found and found[0] else "(database in memory)"

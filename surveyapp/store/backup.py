"""Backups of the live database that are known to restore, and putting one back in place.

A backup is taken with SQLite's online backup API (`sqlite3.Connection.backup`) inside a
read transaction that this module opens itself: the rows of every table are counted in that
same transaction, so the counts are those of the copy's moment, and the copy is checked
against them (and with `PRAGMA integrity_check`) before it gets its name. `VACUUM INTO`
would give a smaller file, but it cannot run inside a transaction, so its copy and a count
of the source could never be known to be of the same moment; it also rebuilds every table
and index, more CPU taken from a server that is answering. In WAL mode a reader never holds
up a writer: respondents keep submitting while the copy is made.

A file is never left half-written: the copy is made under a temporary name beside the
target, checked, flushed to disk and only then renamed (a rename is atomic).

`surveyapp serve` holds a shared lock (`flock`) on a file beside the database
(`surveyapp.db.serving`) for as long as the server or any of its processes runs; the kernel
drops it when they end, however they end, so it is never stale. A restore takes the lock
exclusively, without waiting: if it cannot, a server is using the database and the restore
is refused. While a restore holds it, a server that starts waits for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from surveyapp.store import migrations

STAMP = "%Y-%m-%dT%H%M%SZ"  # in backup file names: they sort by time
STAMP_PATTERN = r"\d{4}-\d\d-\d\dT\d{6}Z"


class BackupError(Exception):
    """A backup or restore refused or failed, said in plain words naming the file."""


@dataclass
class Copy:
    """What a backup holds: its file, size, rows per table and schema version."""

    path: Path
    size: int
    rows: dict[str, int] = field(default_factory=dict)
    schema: str = ""
    newer: list[str] = field(default_factory=list)  # migrations this release does not know
    pending: list[str] = field(default_factory=list)  # migrations it has not had yet

    def describe(self) -> str:
        """Say what the copy holds, in one paragraph."""
        held = sorted((-count, table) for table, count in self.rows.items() if count)
        listed = ", ".join(f"{table} {-count:,}" for count, table in held)
        return (
            f"{len(self.rows)} tables ({len(self.rows) - len(held)} empty),"
            f" {sum(self.rows.values()):,} rows ({listed or 'none'}); {self.size:,} bytes;"
            f" schema version {self.schema or '(none)'}"
        )


@dataclass
class Restored:
    """What a restore did: the backup put in place, and where the file it replaced went."""

    copy: Copy
    database: Path
    replaced: Path | None


# --- the serving lock -------------------------------------------------------------------


def serving_lock(database: str | os.PathLike) -> Path:
    """Return the file whose lock says a server is using the database."""
    return Path(f"{database}.serving")


@contextlib.contextmanager
def serving(database: str | os.PathLike) -> Iterator[None]:
    """Hold the serving lock (shared) while a server runs; wait for a restore under way.

    The lock is taken on an open file, which the server's processes inherit when forked: it
    lasts until the last of them ends, and the kernel drops it however they end.
    """
    path = serving_lock(database)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        print(
            f"warning: {path}: cannot be made ({error.strerror}): `surveyapp restore` will"
            " not know that this server is using the database",
            file=sys.stderr,
        )
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{database}: a restore is under way; waiting for it to end", file=sys.stderr)
            fcntl.flock(descriptor, fcntl.LOCK_SH)
        yield
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def not_served(database: Path) -> Iterator[None]:
    """Hold the serving lock exclusively, or refuse (BackupError) if a server holds it."""
    path = serving_lock(database)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"{database}: a server is using it (`surveyapp serve` holds {path.name}):"
                " nothing restored. Stop the server first, then restore, then start it again"
            ) from None
        yield
    finally:
        os.close(descriptor)


# --- reading a database -----------------------------------------------------------------


def _open(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """Open a database file that must exist, in autocommit mode (transactions are ours)."""
    if not path.is_file():
        raise BackupError(f"{path}: no database file there")
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    try:
        conn = sqlite3.connect(target, uri=True, timeout=10, isolation_level=None)
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path}: not an SQLite database that can be read ({error})") from None
    return conn


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Return the number of rows of every table, by name, as the connection sees them."""
    tables = [
        name
        for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
            " order by name"
        )
    ]
    return {
        table: conn.execute(
            f'select count(*) from "{table.replace(chr(34), chr(34) * 2)}"'
        ).fetchone()[0]
        for table in tables
    }


def _integrity(conn: sqlite3.Connection) -> str:
    """Return what PRAGMA integrity_check found: "ok", or its first problems."""
    try:
        found = [row[0] for row in conn.execute("pragma integrity_check").fetchmany(5)]
    except sqlite3.DatabaseError as error:
        return str(error)
    return "ok" if found == ["ok"] else "; ".join(found)


def examine(path: Path) -> Copy:
    """Check a backup file whole: an intact surveyapp database; say what it holds.

    Raises BackupError if it is not an SQLite file, fails the integrity check, or is not a
    surveyapp database. A database of a newer release is described (`newer`), not refused:
    the caller decides.
    """
    conn = _open(path, read_only=True)
    try:
        problems = _integrity(conn)
        if problems != "ok":
            raise BackupError(f"{path}: damaged (PRAGMA integrity_check: {problems})")
        db = sqlite_utils.Database(conn)
        try:
            applied = migrations.applied(db)
        except sqlite3.DatabaseError:
            applied = []
        if not applied:
            raise BackupError(f"{path}: not a surveyapp database (it has had no migration)")
        return Copy(
            path,
            path.stat().st_size,
            row_counts(conn),
            applied[-1],
            migrations.unknown(db),
            migrations.pending(db),
        )
    finally:
        conn.close()


# --- backing up -------------------------------------------------------------------------


def backup_name(database: Path, moment: datetime) -> str:
    """Return the name of a backup in a folder: the database's name and the UTC time."""
    return f"{database.stem}-{moment.astimezone(UTC).strftime(STAMP)}.db"


def _flush(path: Path):
    """Make a file's content (or a folder's entries) durable on disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _copy_into(source: sqlite3.Connection, temporary: Path):
    """Copy the source's snapshot, page by page, into a new single-file database."""
    destination = sqlite3.connect(temporary, isolation_level=None)
    try:
        source.backup(destination)  # one step: every page from the source's snapshot
        # The copy is one file, without a -wal beside it, whatever mode the source is in.
        destination.execute("pragma journal_mode = delete")
    finally:
        destination.close()


def back_up(database: Path, target: Path) -> Copy:
    """Copy the live database to target consistently, check the copy, then name it target.

    The rows are counted and the pages copied in one read transaction of the source; the
    copy must pass PRAGMA integrity_check and hold the same number of rows in every table.
    """
    database, target = Path(database), Path(target)
    if target.resolve() == database.resolve():
        raise BackupError(f"{target}: is the database itself; give another file or a folder")
    temporary = target.with_name(f".{target.name}.partial-{os.getpid()}")
    source = _open(database)
    try:
        source.execute("begin")  # deferred: the first read below fixes the snapshot
        counted = row_counts(source)
        _copy_into(source, temporary)
        source.execute("commit")
    except (sqlite3.Error, OSError) as error:
        temporary.unlink(missing_ok=True)
        raise BackupError(f"{database}: no backup made in {target} ({error})") from None
    finally:
        source.close()
    try:
        copy = examine(temporary)
        if copy.rows != counted:
            differ = sorted(
                table
                for table in counted.keys() | copy.rows.keys()
                if counted.get(table) != copy.rows.get(table)
            )
            raise BackupError(
                f"{target}: not written: the copy's rows differ from the database's in"
                f" {', '.join(differ)}"
            )
        _flush(temporary)
        os.replace(temporary, target)
        _flush(target.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    copy.path = target
    return copy


def prune(folder: Path, database: Path, keep: int) -> list[Path]:
    """Delete this database's timestamped backups in folder but the newest `keep`."""
    pattern = re.compile(rf"{re.escape(database.stem)}-{STAMP_PATTERN}\.db")
    backups = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name) and p.is_file())
    removed = backups[: max(len(backups) - keep, 0)]
    for path in removed:
        path.unlink()
    return removed


# --- restoring --------------------------------------------------------------------------


def _set_aside(database: Path, moment: datetime) -> Path:
    """Keep the database about to be replaced as one whole file beside it; return its name.

    Its journal is folded into it first (journal mode DELETE), which SQLite does only when
    no other connection has it open: a program still using it is caught here.
    """
    try:
        conn = sqlite3.connect(database, timeout=2, isolation_level=None)
        try:
            mode = conn.execute("pragma journal_mode = delete").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as error:
        mode = str(error)
    if mode != "delete":
        raise BackupError(
            f"{database}: another program has it open ({mode}): nothing restored. Stop what"
            " uses it (a server, a `surveyapp` command), then restore"
        )
    for leftover in ("-wal", "-shm"):
        Path(f"{database}{leftover}").unlink(missing_ok=True)
    replaced = database.with_name(f"{database.name}.replaced-{moment.strftime(STAMP)}")
    if replaced.exists():
        raise BackupError(f"{replaced}: exists already: nothing restored; try again")
    try:
        os.link(database, replaced)  # the old file stays whole under its new name
    except OSError:  # a file system without hard links
        shutil.copy2(database, replaced)
    return replaced


def restore(backup: Path, database: Path, moment: datetime | None = None) -> Restored:
    """Check a backup and put it in place of the database, keeping the file it replaces.

    Refused (BackupError), with nothing changed, if the backup is damaged, not a surveyapp
    database or from a newer release, or if a server or another program uses the database.
    """
    backup, database = Path(backup), Path(database)
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    copy = examine(backup)
    if copy.newer:
        raise BackupError(
            f"{backup}: made by a newer release of surveyapp (its schema version is"
            f" {copy.schema}; surveyapp {migrations.release()} reads up to"
            f" {migrations.release_schema()} and does not know {', '.join(copy.newer)}):"
            " nothing restored"
        )
    if backup.resolve() == database.resolve():
        raise BackupError(f"{backup}: is the database itself: nothing to restore")
    if not database.parent.is_dir():
        raise BackupError(f"{database.parent}: no such folder for the database: nothing restored")
    temporary = database.with_name(f".{database.name}.restoring-{os.getpid()}")
    with not_served(database):
        source = _open(backup, read_only=True)
        try:
            _copy_into(source, temporary)
            if examine(temporary).rows != copy.rows:
                raise BackupError(f"{backup}: its copy differs from it: nothing restored")
            _flush(temporary)
            replaced = _set_aside(database, moment) if database.exists() else None
            os.replace(temporary, database)
            _flush(database.parent)
        finally:
            source.close()
            temporary.unlink(missing_ok=True)
    return Restored(copy, database, replaced)


def pending_migrations(database: Path) -> list[str]:
    """Return the migrations a database file has not had yet (all of them for a new file)."""
    if not database.is_file() or not database.stat().st_size:
        return [migration.name for migration in migrations.migrations._migrations]
    conn = _open(database)
    try:
        return migrations.pending(sqlite_utils.Database(conn))
    finally:
        conn.close()

"""`fieldcrm backup PATH` and `fieldcrm restore PATH`.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the live database in
one read transaction, so the copy is a consistent snapshot even while the app writes
(WAL lets writers go on meanwhile). The copy is integrity-checked and foreign-key-checked
before it is moved into place, and written as a single self-contained file.
Restore refuses a damaged backup, and refuses a target database that another process
is using (stop the app and the workers first), then checks the result the same way.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists
--single-transaction` with the password passed in the environment (never on the command
line). Without the client tools installed, the commands are printed for the operator.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from fieldcrm.extensions import db


class BackupError(RuntimeError):
    """A backup or restore that could not be done safely; nothing was changed."""


def sqlite_file(uri: str) -> Path | None:
    """The database file of a SQLite URI, None for PostgreSQL or in-memory SQLite."""
    url = sa.engine.make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _check(conn: sqlite3.Connection, what: str) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        raise BackupError(f"{what} failed the integrity check: {result[:3]}")
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise BackupError(f"{what} has broken foreign keys: {problems[:3]}")


def table_checksums(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """{table: (row count, sha256 of its rows in rowid or primary-key order)} for a SQLite
    database."""
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    out = {}
    for table, sql in tables:
        digest = hashlib.sha256()
        count = 0
        for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {_row_order(conn, table, sql)}'):
            digest.update(repr(row).encode())
            count += 1
        out[table] = (count, digest.hexdigest())
    return out


def _row_order(conn: sqlite3.Connection, table: str, sql: str | None) -> str:
    """rowid, or the primary key's columns for a WITHOUT ROWID table (which has no rowid)."""
    if "WITHOUT ROWID" not in (sql or "").upper():
        return "rowid"
    keys = sorted(
        (row[5], row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")') if row[5]
    )
    return ", ".join(f'"{name}"' for _, name in keys)


def backup_sqlite(source: Path, dest: Path) -> dict[str, tuple[int, str]]:
    """Copy the live database `source` to `dest`; returns the copy's table checksums."""
    if not source.exists():
        raise BackupError(f"No database at {source}.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    out = sqlite3.connect(partial)
    try:
        src.backup(out)  # all pages in one step: one consistent read snapshot
        out.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        _check(out, "The backup")
        sums = table_checksums(out)
    finally:
        out.close()
        src.close()
    partial.replace(dest)
    return sums


def _refuse_if_in_use(target: Path) -> None:
    conn = sqlite3.connect(target, timeout=1)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as exc:
        raise BackupError(
            f"{target} is in use by another process; stop the app and workers first."
        ) from exc
    finally:
        conn.close()
    if busy:
        raise BackupError(f"{target} is in use by another process; stop the app and workers first.")


def restore_sqlite(backup: Path, target: Path) -> dict[str, tuple[int, str]]:
    """Replace the database `target` with `backup`; returns the result's checksums."""
    if not backup.exists():
        raise BackupError(f"No backup at {backup}.")
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _check(src, "The backup")
        if target.exists():
            _refuse_if_in_use(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        out = sqlite3.connect(target, timeout=30)
        try:
            src.backup(out)
            _check(out, "The restored database")
            sums = table_checksums(out)
        finally:
            out.close()
    finally:
        src.close()
    return sums


def _pg_target(uri: str) -> tuple[str, dict[str, str]]:
    """(libpq URL without the password, environment carrying the password)."""
    url = sa.engine.make_url(uri)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    bare = sa.engine.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False), env


def pg_dump_command(uri: str, path: Path) -> tuple[list[str], dict[str, str]]:
    target, env = _pg_target(uri)
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={path}", target], env


def pg_restore_command(uri: str, path: Path) -> tuple[list[str], dict[str, str]]:
    target, env = _pg_target(uri)
    return [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={target}",
        str(path),
    ], env


def _run_or_print(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        click.echo(f"{command[0]} is not installed here. Run this where it is:")
        click.echo("  " + " ".join(command))
        raise SystemExit(2)
    result = subprocess.run(command, env=env, check=False, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise click.ClickException(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def _summary(sums: dict[str, Any]) -> str:
    return f"{len(sums)} tables, {sum(count for count, _ in sums.values())} rows"


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database to PATH (safe while the app runs)."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    source = sqlite_file(uri)
    if source is None and uri.startswith("sqlite"):
        raise click.ClickException("An in-memory database cannot be backed up.")
    if source is None:
        command, env = pg_dump_command(uri, path)
        _run_or_print(command, env)
        click.echo(f"PostgreSQL dump written to {path}.")
        return
    try:
        sums = backup_sqlite(source, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path}: {_summary(sums)}, integrity ok.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the app and workers first)."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not yes:
        click.confirm("This replaces every record in the configured database. Go on?", abort=True)
    db.engine.dispose()  # this process holds no connection while the file is replaced
    target = sqlite_file(uri)
    if target is None:
        command, env = pg_restore_command(uri, path)
        _run_or_print(command, env)
        click.echo("PostgreSQL database restored.")
        return
    try:
        sums = restore_sqlite(path, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {target} from {path}: {_summary(sums)}, integrity ok.")

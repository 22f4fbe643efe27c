"""`fieldcrm backup` and `restore`: consistent under write load, checked, refused when unsafe."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade

from fieldcrm import create_app
from fieldcrm.backup import pg_dump_command, pg_restore_command, table_checksums
from fieldcrm.extensions import db


def _file_app(path: Path):
    return create_app(
        "config.TestConfig", overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    """A migrated SQLite file with the demo program loaded (built once per module)."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite"
    app = _file_app(path)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture
def live(seeded_file, tmp_path):
    """A copy of the seeded database and an app on it."""
    path = tmp_path / "live.sqlite"
    with sqlite3.connect(seeded_file) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    app = _file_app(path)
    yield app, path
    with app.app_context():
        db.engine.dispose()


def _writer(path: Path, stop: threading.Event, written: list[int]) -> None:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    while not stop.is_set():
        with conn:
            conn.execute(
                "INSERT INTO audit_events (at, action, details) VALUES "
                "('2026-01-01 00:00:00', 'test.write', '{}')"
            )
        written.append(1)
    conn.close()


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_backup__under_write_load_restores_identical_and_checked(live, tmp_path):
    app, path = live
    stop, written = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(path, stop, written))
    thread.start()
    try:
        while len(written) < 50:
            time.sleep(0.01)
        before = _count(path, "SELECT count(*) FROM audit_events")
        backup = tmp_path / "backups" / "snap.sqlite"
        result = app.test_cli_runner().invoke(args=["backup", str(backup)])
        assert result.exit_code == 0, result.output
        assert "integrity ok" in result.output
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    after = _count(path, "SELECT count(*) FROM audit_events")
    in_backup = _count(backup, "SELECT count(*) FROM audit_events")
    assert before <= in_backup < after  # a snapshot taken while writes went on
    assert _count(backup, "SELECT count(*) FROM contacts") > 0

    target = tmp_path / "restored.sqlite"
    restored_app = _file_app(target)
    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(backup) as a, sqlite3.connect(target) as b:
        assert table_checksums(a) == table_checksums(b)
        assert b.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert b.execute("PRAGMA foreign_key_check").fetchall() == []


def test_restore__refuses_a_damaged_backup(live, tmp_path):
    app, path = live
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    before = table_checksums(sqlite3.connect(path))
    result = app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
    assert table_checksums(sqlite3.connect(path)) == before


def test_restore__refuses_a_database_in_use(live, tmp_path):
    app, path = live
    backup = tmp_path / "b.sqlite"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code != 0
    assert "in use" in result.output


def test_backup__in_memory_database_refused(tmp_path):
    app = create_app("config.TestConfig", overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "never.sqlite")])
    assert result.exit_code != 0
    assert "in-memory" in result.output


def test_pg_commands__password_kept_off_the_command_line():
    command, env = pg_dump_command(
        "postgresql+psycopg://crm:s3cret@db.internal:5432/fieldcrm", Path("/b/x.dump")
    )
    assert command[:2] == ["pg_dump", "--format=custom"]
    assert "s3cret" not in " ".join(command)
    assert env["PGPASSWORD"] == "s3cret"
    assert command[-1] == "postgresql://crm@db.internal:5432/fieldcrm"
    restore, _ = pg_restore_command("postgresql+psycopg://crm@db/fieldcrm", Path("/b/x.dump"))
    assert "--single-transaction" in restore
    assert "--clean" in restore


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL not configured")
def test_backup__postgres_dump_is_written(tmp_path):
    app = create_app("config.TestConfig")
    out = tmp_path / "pg.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"PGDMP")

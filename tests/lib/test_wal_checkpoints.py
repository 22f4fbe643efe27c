"""The log copies of a long run's transactions, in a thread of their own (SQLite files)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from fieldcrm.lib import sqlite_setup, wal_checkpoints


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'run.sqlite'}")
    sqlite_setup.configure_engine(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    with engine.connect() as conn:  # the table in the database file itself
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    yield engine
    engine.dispose()


def _autocheckpoint(conn: sa.Connection) -> int:
    return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()


def _write(conn: sa.Connection, rows: int = 2000) -> None:
    conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 500}] * rows)


def _rows_in_database_file(path: str) -> int:
    """Rows of t in the database file itself, not counting the log (immutable: the log is
    neither read nor copied)."""
    other = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return other.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        other.close()


def test_inside__the_run_thread_leaves_copies_to_the_checkpointer(engine):
    with wal_checkpoints.background(engine) as checkpointer:
        assert checkpointer is not None
        with engine.begin() as conn:
            assert _autocheckpoint(conn) == 0  # this thread's transactions do not copy
            _write(conn)
        assert checkpointer.wait(10)  # copied while the block still runs
        assert _rows_in_database_file(engine.url.database) == 2000
        with engine.connect() as conn:
            assert _autocheckpoint(conn) == 0
    # the thread ended, and a connection checked out afterwards copies as SQLite does
    assert not any(t.name == "wal-checkpoints" for t in threading.enumerate())
    with engine.connect() as conn:
        assert _autocheckpoint(conn) == wal_checkpoints.AUTOCHECKPOINT_PAGES


def test_inside__every_committed_frame_is_copied_before_the_block_ends(engine):
    path = engine.url.database
    with wal_checkpoints.background(engine):
        for _ in range(3):
            with engine.begin() as conn:
                _write(conn)
    assert _rows_in_database_file(path) == 6000


def test_outside__a_small_log_stays_uncopied(engine):
    """What the test above tells apart: SQLite alone copies only past 1,000 pages."""
    with engine.begin() as conn:
        _write(conn)
    assert _rows_in_database_file(engine.url.database) == 0


def test_other_threads_keep_sqlites_own_copies(engine):
    seen: list[int] = []

    def save() -> None:
        with engine.begin() as conn:
            seen.append(_autocheckpoint(conn))

    with wal_checkpoints.background(engine):
        other = threading.Thread(target=save)
        other.start()
        other.join()
    assert seen == [wal_checkpoints.AUTOCHECKPOINT_PAGES]


def test_a_long_log_makes_the_next_transaction_wait_for_the_copy(engine, monkeypatch):
    monkeypatch.setattr(wal_checkpoints, "LOG_LIMIT", 0)
    waits: list[bool] = []
    with wal_checkpoints.background(engine) as checkpointer:
        original = checkpointer.wait
        monkeypatch.setattr(checkpointer, "wait", lambda *a: waits.append(original(*a)) or True)
        with engine.begin() as conn:
            _write(conn)
        with engine.begin() as conn:  # the log is past the limit: waits for the copy first
            _write(conn, 10)
    assert waits
    assert all(waits)


def test_an_error_in_the_block_still_ends_the_thread(engine):
    def run() -> None:
        with wal_checkpoints.background(engine), engine.begin() as conn:
            _write(conn, 10)
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        run()
    assert not any(t.name == "wal-checkpoints" for t in threading.enumerate())


def test_nested_blocks_share_the_outer_checkpointer(engine):
    with wal_checkpoints.background(engine) as outer:
        with wal_checkpoints.background(engine) as inner:
            assert inner is None
        with engine.connect() as conn:
            assert _autocheckpoint(conn) == 0
    assert outer is not None


def test_in_memory_and_other_databases__nothing():
    engine = sa.create_engine("sqlite://")
    sqlite_setup.configure_engine(engine)
    with wal_checkpoints.background(engine) as checkpointer:
        assert checkpointer is None
    assert not any(t.name == "wal-checkpoints" for t in threading.enumerate())


def test_a_grown_log_is_cut_back_when_it_starts_over(engine):
    with engine.connect() as conn:
        limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
    assert limit == sqlite_setup.JOURNAL_SIZE_LIMIT


def test_a_checkpointer_that_cannot_connect__the_run_copies_as_sqlite_does(engine, monkeypatch):
    def refuse(_path: str) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(wal_checkpoints, "_connect", refuse)
    monkeypatch.setattr(wal_checkpoints, "LOG_LIMIT", 0)
    with wal_checkpoints.background(engine) as checkpointer:
        checkpointer.ask()
        assert checkpointer.wait(10)  # the thread gave up: nothing to wait for
        assert not checkpointer.working
        with engine.begin() as conn:
            assert _autocheckpoint(conn) == wal_checkpoints.AUTOCHECKPOINT_PAGES
            _write(conn, 10)
    assert not any(t.name == "wal-checkpoints" for t in threading.enumerate())

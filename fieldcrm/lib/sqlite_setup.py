"""SQLite pragmas for concurrent use: WAL, a busy timeout, foreign keys on; prompt write locks.

SQLite has one writer at a time. A connection that finds the write lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5 … then 100 ms between tries: a save waiting
behind an import's part sleeps through most of the gap the import leaves after it, and the
import takes the lock again (saves waited seconds under load). So a transaction's first
write (INSERT, UPDATE, DELETE, REPLACE) first takes the write lock itself with
``BEGIN IMMEDIATE``, trying again every few milliseconds (WRITE_LOCK_POLL) for up to the
busy timeout: a waiting save gets in within milliseconds of the lock coming free. Reads
never wait (WAL) and stay outside that transaction until the first write, as before.

Also one driver setting: Python's sqlite3 binds ``None`` through its slow adaptation path
(it is not one of the types it binds directly), which made NULLs about six times dearer than
integers to bind; voter-file rows are mostly NULLs. An identity adapter for ``NoneType``
takes the fast path and still binds NULL.
"""

from __future__ import annotations

import random
import sqlite3
import time
from typing import Any

import sqlalchemy as sa

from fieldcrm.lib import wal_checkpoints


def configure_engine(engine: sa.Engine) -> None:
    """Install a connect hook setting the pragmas on every new SQLite connection."""
    if engine.dialect.name != "sqlite":
        return
    sqlite3.register_adapter(type(None), _null)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # a log grown by a long run (fieldcrm.lib.wal_checkpoints) is cut back to this
            # when it starts over, instead of keeping its largest size on disk
            cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.close()

    if engine.url.database not in (None, "", ":memory:"):
        sa.event.listen(engine, "before_cursor_execute", _take_write_lock_first)
        wal_checkpoints.install(engine)


BUSY_TIMEOUT_MS = 30000
JOURNAL_SIZE_LIMIT = 64 << 20  # bytes
WRITE_LOCK_POLL = (0.001, 0.005)  # seconds between tries for the write lock: min, max
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _take_write_lock_first(conn: sa.Connection, cursor: Any, statement: str, *_args: Any) -> None:
    """Before a transaction's first write, take the write lock promptly (module docstring)."""
    raw = cursor.connection
    if raw.in_transaction or statement.lstrip()[:6].upper() not in _WRITES:
        return
    take_write_lock(raw)


def take_write_lock(raw: sqlite3.Connection, timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """BEGIN IMMEDIATE on `raw`, trying every few ms until `timeout`; then raises the
    "database is locked" OperationalError (which callers retry)."""
    deadline = time.monotonic() + timeout
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
            time.sleep(random.uniform(*WRITE_LOCK_POLL))  # noqa: S311 - jitter only
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _null(_value: None) -> None:
    return None

"""SQLite pragmas for concurrent use: WAL, a busy timeout, foreign keys on.

Also one driver setting: Python's sqlite3 binds ``None`` through its slow adaptation path
(it is not one of the types it binds directly), which made NULLs about six times dearer than
integers to bind; voter-file rows are mostly NULLs. An identity adapter for ``NoneType``
takes the fast path and still binds NULL.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa


def configure_engine(engine: sa.Engine) -> None:
    """Install a connect hook setting the pragmas on every new SQLite connection."""
    if engine.dialect.name != "sqlite":
        return
    sqlite3.register_adapter(type(None), _null)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _null(_value: None) -> None:
    return None

"""SQLite pragmas for concurrent use: WAL, a busy timeout, foreign keys on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def configure_engine(engine: sa.Engine) -> None:
    """Install a connect hook setting the pragmas on every new SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

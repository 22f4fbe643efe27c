"""Retrying a unit of work that lost a race for a lock.

Two people saving on the same person, or an organizer saving while an import holds
SQLite's write lock, is ordinary traffic, not an error. When the database answers "busy",
"locked", a serialization failure or a deadlock, or a guarded update finds that someone
else changed the row first (ConcurrentChange), the whole unit of work is rolled back and
run again from the start, so it re-reads what the other transaction wrote. The request
dispatcher (fieldcrm.create_app) runs every view this way; a job or a CLI command can call
`retrying` itself.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc

from fieldcrm.extensions import db

T = TypeVar("T")

# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_LOCK_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
# Attempts and the longest total time spent retrying (each attempt may also wait for a
# lock itself: SQLite's busy timeout, PostgreSQL's row locks).
# 16 attempts: under CPU contention a PostgreSQL deadlock can recur several times for one
# request (each detection waits deadlock_timeout), and 8 were seen to run out.
ATTEMPTS = 16
BACKOFF_SECONDS = 0.02
MAX_BACKOFF_SECONDS = 0.5


class ConcurrentChange(Exception):
    """A guarded update found the row changed by another transaction: run the work again."""


def is_retryable(error: BaseException) -> bool:
    """True when `error` means "another transaction got there first; try again"."""
    if isinstance(error, ConcurrentChange | orm_exc.StaleDataError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in SQLITE_LOCK_CODES
        text = str(orig).lower()
        return "database is locked" in text or "database table is locked" in text
    return False


def retrying(
    work: Callable[[], T],
    attempts: int = ATTEMPTS,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Run `work()`; on a retryable error roll the session back and run it again.

    Waits a short, growing, jittered time between attempts (so two losers do not collide
    again in step), and calls `before_retry` (e.g. to rewind uploaded files). The last
    attempt's error propagates.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as error:
            if attempt == attempts or not is_retryable(error):
                raise
            db.session.rollback()
            if before_retry is not None:
                before_retry()
            backoff = min(BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
            time.sleep(random.uniform(0.5, 1.5) * backoff)  # noqa: S311
    raise AssertionError("unreachable")

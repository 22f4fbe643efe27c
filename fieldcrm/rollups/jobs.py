"""Background upkeep of the rollups."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from fieldcrm import jobs
from fieldcrm.extensions import db
from fieldcrm.rollups import maintain

#: Extra delta rows a reader saw before it asks for a fold, and the least time between asks.
COMPACT_AFTER = 20_000
COMPACT_EVERY_SECONDS = 60.0
_last_request = 0.0
_lock = threading.Lock()


def compact_rollups() -> None:
    """Fold the rollups' delta rows (fieldcrm.rollups.maintain.compact), in a transaction of
    its own."""
    bind = db.engine
    if isinstance(bind, sa.Engine):
        with bind.begin() as connection:
            maintain.compact(connection)
        return
    with bind.begin_nested():  # a test's connection-bound engine
        maintain.compact(bind)


def note_extra_rows(extra: int) -> bool:
    """A reader summed `extra` more rows than keys: past COMPACT_AFTER, queue a fold (at
    most once a minute per process). True when one was queued."""
    global _last_request
    if extra < COMPACT_AFTER:
        return False
    with _lock:
        now = time.monotonic()
        if now - _last_request < COMPACT_EVERY_SECONDS:
            return False
        _last_request = now
    jobs.enqueue(compact_rollups)
    return True

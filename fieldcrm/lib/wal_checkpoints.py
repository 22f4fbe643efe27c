"""SQLite log checkpoints in a thread of their own while a long run of large transactions
writes (an import).

In WAL mode a commit appends the transaction's pages to the log, and the committing
connection then copies the log into the database file (SQLite's auto-checkpoint, past 1,000
pages), with an fsync on each side. An import's part is a large transaction, so that copy
followed every part, on the import's own thread: measured on a re-import of 1M voters with
10% changed, the commits took 2.3 s of 10.5 s, and the run wrote 1 GB of log.

While ``background(engine)`` is open, the connections this thread checks out of the pool do
not copy the log themselves (``wal_autocheckpoint`` is 0 until they are checked in); a
thread with a connection of its own copies it (a PASSIVE checkpoint, which never waits for
a lock nor makes anyone wait) after each transaction, while the run plans and writes its
next part. SQLite and the sqlite3 module run the copy without holding the GIL, so it takes
the other core.

SQLite starts the log over from its beginning only when a writer begins with all of it
copied, so a writer that never waited would grow it to everything the run writes. Once the
log passes LOG_LIMIT bytes a checkout waits for the copy in progress, and every connection
cuts the file back to JOURNAL_SIZE_LIMIT when the log starts over (sqlite_setup).

Other threads (people's saves during an import) keep SQLite's auto-checkpoint as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)

#: the log's size past which a run's next transaction waits for the copy in progress
LOG_LIMIT = 256 << 20
#: SQLite's own auto-checkpoint threshold (pages), restored when a connection is checked in
AUTOCHECKPOINT_PAGES = 1000
#: longest wait for a copy, in seconds: a PASSIVE checkpoint takes no lock that could hold it
WAIT_SECONDS = 60.0
_INFO_KEY = "fieldcrm_wal_autocheckpoint_off"

_local = threading.local()


class Checkpointer:
    """A thread copying the log of the database at ``path`` into it each time it is asked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.wal_path = f"{path}-wal"
        self._cond = threading.Condition()
        self._asked = 0
        self._done = 0
        self._stopping = False
        #: False once the thread has ended (or could not open its connection): then
        #: nothing is left to it
        self.working = True
        self._thread = threading.Thread(target=self._loop, name="wal-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def ask(self) -> None:
        """Copy what the log holds now (a transaction ended)."""
        with self._cond:
            self._asked += 1
            self._cond.notify_all()

    def wait(self, timeout: float = WAIT_SECONDS) -> bool:
        """Wait for every copy asked so far; whether they are done."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._done >= self._asked or not self.working, timeout
            )

    def wait_if_long(self) -> None:
        """Before a transaction: wait for the copy in progress once the log is past
        LOG_LIMIT, so that the transaction starts the log over."""
        try:
            size = os.path.getsize(self.wal_path)
        except OSError:
            return
        if size > LOG_LIMIT:
            self.wait()

    def stop(self) -> None:
        """Copy what is left, then end the thread."""
        with self._cond:
            self._stopping = True
            self._asked += 1
            self._cond.notify_all()
        self._thread.join(WAIT_SECONDS)

    def _loop(self) -> None:
        try:
            self._copy_when_asked()
        except sqlite3.Error as exc:
            log.warning("background checkpoints stopped: %s", exc)
        finally:
            # however the thread ends, nobody waits for it any more
            with self._cond:
                self.working = False
                self._cond.notify_all()

    def _copy_when_asked(self) -> None:
        connection = _connect(self.path)
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._asked > self._done)
                    target = self._asked
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the next commit's copy catches up
                    log.warning("background checkpoint failed: %s", exc)
                with self._cond:
                    self._done = target
                    self._cond.notify_all()
                    if self._stopping and self._done >= self._asked:
                        return
        finally:
            connection.close()


def _connect(path: str) -> sqlite3.Connection:
    """The checkpointing thread's own connection (never waits for a lock)."""
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def _database_path(engine: sa.Engine) -> str | None:
    """The file of an SQLite engine's database (None: another database, or in memory)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return os.path.abspath(engine.url.database)


@contextmanager
def background(engine: sa.Engine) -> Iterator[Checkpointer | None]:
    """Leave the log's copies of this thread's transactions on ``engine`` to a thread of
    their own while the block runs (module docstring). Nothing on other databases."""
    path = _database_path(engine)
    if path is None or getattr(_local, "checkpointer", None) is not None:
        yield None
        return
    checkpointer = Checkpointer(path)
    checkpointer.start()
    _local.checkpointer = checkpointer
    try:
        yield checkpointer
    finally:
        _local.checkpointer = None
        checkpointer.stop()


def install(engine: sa.Engine) -> None:
    """Pool hooks: a connection checked out by a thread inside ``background`` leaves the copy
    to its thread until it is checked in."""
    path = _database_path(engine)
    if path is None:
        return

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checkpointer = getattr(_local, "checkpointer", None)
        if checkpointer is None or checkpointer.path != path or not checkpointer.working:
            return
        checkpointer.wait_if_long()
        dbapi_connection.execute("PRAGMA wal_autocheckpoint = 0")
        record.info[_INFO_KEY] = checkpointer

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        checkpointer = record.info.pop(_INFO_KEY, None)
        if checkpointer is None:
            return
        checkpointer.ask()
        if dbapi_connection is not None:
            try:
                dbapi_connection.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
            except sqlite3.Error:  # a broken connection, which the pool discards
                log.warning("could not restore the auto-checkpoint of a pooled connection")

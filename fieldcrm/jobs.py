"""Background jobs: one seam, `enqueue`, inline without Redis and on RQ with it.

Job functions live in `<feature>/jobs.py`, take primitive ids, re-load what they need,
commit per chunk and record progress on a row the UI can show (an ImportBatch or a JobRun).

* No `REDIS_URL`, inside a web request: `enqueue` starts the function on a background
  thread of this process, in an app context of its own, and the request returns at once
  (JOB_RUNNER "thread", the default). A restarted web process stops such a job; imports
  then show as interrupted (resumable) and checks as stalled (re-runnable).
* No `REDIS_URL`, elsewhere (a `fieldcrm` command, a job, JOB_RUNNER "inline" as in the
  test suite): the function runs inline, in the current app context and session.
  Either way the caller must have committed whatever the job reads.
* `REDIS_URL` set: the function is queued on RQ; `fieldcrm jobs worker` runs it inside an
  app built by the factory (nothing builds an app at import time).

`enqueue_in` runs a function later (a retry with backoff): on RQ's scheduler (the worker
runs it) with Redis; without Redis on a timer thread of this process (JOB_RUNNER "thread"),
which a restart loses, so such work must also be findable by a sweeper; with JOB_RUNNER
"inline" only a zero delay runs (at once), anything later is left to the sweeper.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, has_request_context

from fieldcrm.database import UTCDateTime, utcnow
from fieldcrm.extensions import db


class JobRun(db.Model):
    """Progress and outcome of a background job that has no richer row of its own."""

    __tablename__ = "job_runs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="queued")
    progress_done: so.Mapped[int] = so.mapped_column(default=0)
    progress_total: so.Mapped[int | None]
    message: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    result: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    params: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == "completed" else 0
        return min(100, int(100 * self.progress_done / self.progress_total))


def _dotted(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(dotted: str) -> Callable[..., Any]:
    """Turn 'package.module:function' back into the function."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def run_in_app(dotted: str, *args: Any) -> Any:
    """RQ entry point: run a job function inside the worker's app context."""
    lower_cpu_priority()
    return resolve(dotted)(*args)


def lower_cpu_priority(*, database: bool = True) -> None:
    """Let this process's background work yield the CPU to web requests.

    Raises the nice value to JOB_NICE (default 10; 0 leaves it alone); never lowers it.
    Called by RQ jobs (in the worker's own process: fieldcrm.worker runs them without
    forking) and by the import CLI, never inline in a web worker, whose requests must keep
    their priority. Threads and processes started afterwards (the reader of a large voter
    file) inherit it. With `database` (a whole process doing
    background work, not one thread of a web worker), PostgreSQL backends serving this
    process get the same nice value where the OS allows it (see `_nice_backend`).
    """
    wanted = int(current_app.config.get("JOB_NICE", 10))
    if wanted <= 0 or not hasattr(os, "nice"):
        return
    try:
        current = os.nice(0)
        if current < wanted:
            os.nice(wanted - current)
    except OSError:  # pragma: no cover - a platform that refuses; run at normal priority
        return
    if database:
        _lower_database_priority(wanted)


#: Hosts on which a PostgreSQL backend is a process of this machine (empty: a Unix socket).
_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


def _lower_database_priority(nice: int) -> None:
    """Renice the PostgreSQL backends this process connects with from now on.

    A PostgreSQL connection's work (parsing, COPY, index updates, commit) runs in a server
    process of its own, which this process's nice value does not reach: an import's writes
    would compete with web requests at full priority. When the server runs on this machine
    and the OS lets this user change the backend's priority (the same user as the server,
    or a privileged one), each new connection's backend gets `nice`; otherwise nothing
    changes. Pooled connections are dropped so every later one is covered.
    """
    engine = db.engine
    if not isinstance(engine, sa.Engine) or engine.dialect.name != "postgresql":
        return
    host = engine.url.host or ""
    if not (host in _LOCAL_HOSTS or host.startswith("/")) or not hasattr(os, "setpriority"):
        return
    if not sa.event.contains(engine, "connect", _nice_backend):
        engine.dispose()
        sa.event.listen(engine, "connect", _nice_backend)
    _backend_nice[id(engine)] = nice


_backend_nice: dict[int, int] = {}


def _nice_backend(dbapi_connection: Any, _record: Any) -> None:
    """`connect` listener: give the new connection's backend process the job's nice value
    (only a PostgreSQL process of this machine, and only ever lower its priority)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    finally:
        cursor.close()
        dbapi_connection.rollback()
    nice = max(_backend_nice.values(), default=0)
    try:
        with open(f"/proc/{pid}/comm", encoding="ascii") as comm:  # noqa: PTH123
            if not comm.read().startswith("postgres"):
                return  # another machine's process id (a container, a forwarded port)
        if os.getpriority(os.PRIO_PROCESS, pid) < nice:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError:  # not permitted here (another user's server), or no /proc: leave it
        return


def redis_connection():  # pragma: no cover - trivial
    """A Redis client for REDIS_URL (imported lazily: the embedded path needs no Redis)."""
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def queue():
    """The RQ queue jobs go on."""
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def _run_on_thread(app: Flask, func: Callable[..., Any], args: tuple) -> None:
    with app.app_context():
        try:
            if sys.platform.startswith("linux"):
                # Linux keeps a nice value per thread: this lowers the job's thread only,
                # never the requests this process serves.
                lower_cpu_priority(database=False)
            func(*args)
        except Exception:
            app.logger.exception("background job %s failed", _dotted(func))
        finally:
            db.session.remove()
            with _threads_lock:
                _threads.discard(threading.current_thread())


def wait_for_threads(timeout: float | None = None) -> None:
    """Wait until the jobs running on background threads of this process have finished."""
    with _threads_lock:
        running = list(_threads)
    for thread in running:
        thread.join(timeout)


def enqueue(func: Callable[..., Any], *args: Any, timeout: int = 6 * 3600) -> str | None:
    """Run `func(*args)` in the background; returns the RQ job id, or None without Redis.

    Arguments must be primitives (ids, strings); the job commits its own work. Without
    REDIS_URL a web request's job runs on a background thread (JOB_RUNNER "thread") and
    anything else's inline, in the caller's app context and session.
    """
    if not current_app.config.get("REDIS_URL"):
        if current_app.config.get("JOB_RUNNER", "thread") == "thread" and has_request_context():
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            thread = threading.Thread(
                target=_run_on_thread,
                args=(app, func, args),
                name=f"job-{func.__name__}",
                daemon=True,
            )
            with _threads_lock:
                _threads.add(thread)
            thread.start()
            return None
        func(*args)
        return None
    job = queue().enqueue(run_in_app, _dotted(func), *args, job_timeout=timeout)
    return job.id


def enqueue_in(delay_seconds: float, func: Callable[..., Any], *args: Any) -> str | None:
    """Run `func(*args)` in the background after `delay_seconds`; the RQ job id or None.

    With REDIS_URL the job goes to RQ's scheduler (the worker runs it when due). Without
    it: JOB_RUNNER "thread" starts a timer thread in this process (lost if the process
    ends: callers keep the work findable for a sweeper); "inline" runs a zero delay at once
    and leaves anything later to the caller's sweeper (a command, a test never sleeps).
    """
    if current_app.config.get("REDIS_URL"):
        job = queue().enqueue_in(
            timedelta(seconds=max(delay_seconds, 0)), run_in_app, _dotted(func), *args
        )
        return job.id
    if current_app.config.get("JOB_RUNNER", "thread") == "thread":
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        timer = threading.Timer(max(delay_seconds, 0), _run_on_thread, args=(app, func, args))
        timer.daemon = True
        timer.name = f"job-later-{func.__name__}"
        with _threads_lock:
            _threads.add(timer)
        timer.start()
        return None
    if delay_seconds <= 0:
        func(*args)
    return None

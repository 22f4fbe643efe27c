"""The RQ worker: `python -m fieldcrm.worker` (REDIS_URL must be set).

It builds the app with the factory (FIELDCRM_CONFIG, production by default), pushes its
context once, and runs queued jobs in that process (rq SimpleWorker: no fork, so no
database connection crosses a fork), removing the database session after each job.
It also runs RQ's scheduler, which moves jobs queued for later (`jobs.enqueue_in`: webhook
retries) onto the queue when due; that is a forked process that only talks to Redis and
ends with `os._exit`, so the database connections it inherits are never used or closed.

A failed job is logged (and kept in RQ's failed-job registry) with its scrubbed traceback
(`fieldcrm.logging_setup.scrubbed_traceback`): frames and exception types, never the
exception's message or the job's arguments, which may hold personal data (PostgreSQL's
`DETAIL: Key (email)=(…)`, a value a parser quotes).
"""

from __future__ import annotations

import os
import sys

from flask import Flask
from rq import SimpleWorker
from rq.job_lifecycle import call_exception_handlers

from fieldcrm.extensions import db
from fieldcrm.logging_setup import scrubbed_traceback


class AppWorker(SimpleWorker):
    """A SimpleWorker that leaves a clean database session after every job and never
    writes an exception message or a job's arguments into its log or its failure record."""

    _scrubbed: dict[str, str]

    def perform_job(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - rq's signature
        try:
            return super().perform_job(*args, **kwargs)
        finally:
            db.session.remove()

    def handle_exception(self, job, *exc_info):  # noqa: ANN001, ANN002, ANN201 - rq's signature
        """rq's version logs `format_exception` (messages) and the job's arguments."""
        exc = exc_info[1]
        text = scrubbed_traceback(exc) if exc is not None else "(no exception)"
        self._scrubbed = {job.id: text}
        self.log.error(
            "Worker %s: job %s: exception raised while executing (%s)\n%s",
            self.name,
            job.id,
            _func_name(job),
            text,
            extra={"queue": job.origin, "job_id": job.id},
        )
        call_exception_handlers(self._exc_handlers, job, *exc_info)

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string="", **kwargs):  # noqa: ANN001, ANN003, ANN201
        """Record the failure with the scrubbed traceback `handle_exception` just logged."""
        scrubbed = getattr(self, "_scrubbed", {}).pop(job.id, None)
        return super().handle_job_failure(
            job,
            queue,
            started_job_registry=started_job_registry,
            exc_string=scrubbed if scrubbed is not None else exc_string,
            **kwargs,
        )


def _func_name(job) -> str:  # noqa: ANN001 - an rq Job
    try:
        return job.func_name
    except Exception:  # noqa: BLE001 - a job that cannot be deserialised still gets logged
        return "<unreadable job>"


def build_worker(app: Flask) -> AppWorker:
    """A worker on the app's queue and Redis (call inside the app context)."""
    from fieldcrm.jobs import redis_connection

    if not app.config.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is not set: jobs run inline, no worker is needed.")
    return AppWorker([app.config["RQ_QUEUE"]], connection=redis_connection())


def main(argv: list[str] | None = None) -> None:
    from fieldcrm import create_app

    argv = sys.argv[1:] if argv is None else argv
    app = create_app(os.environ.get("FIELDCRM_CONFIG", "config.ProductionConfig"))
    with app.app_context():
        build_worker(app).work(burst="--burst" in argv, with_scheduler=True)


if __name__ == "__main__":
    main()

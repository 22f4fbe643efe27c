"""The RQ worker: `python -m fieldcrm.worker` (REDIS_URL must be set).

It builds the app with the factory (FIELDCRM_CONFIG, production by default), pushes its
context once, and runs queued jobs in that process (rq SimpleWorker: no fork, so no
database connection crosses a fork), removing the database session after each job.
"""

from __future__ import annotations

import os
import sys

from flask import Flask
from rq import SimpleWorker

from fieldcrm.extensions import db


class AppWorker(SimpleWorker):
    """A SimpleWorker that leaves a clean database session after every job."""

    def perform_job(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - rq's signature
        try:
            return super().perform_job(*args, **kwargs)
        finally:
            db.session.remove()


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
        build_worker(app).work(burst="--burst" in argv, with_scheduler=False)


if __name__ == "__main__":
    main()

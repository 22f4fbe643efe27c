"""`fieldcrm jobs worker`: an RQ worker running jobs inside an app built by the factory."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

group = AppGroup("jobs", help="Background jobs (RQ on REDIS_URL).")


@group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for the app's queue (needs REDIS_URL)."""
    if not current_app.config.get("REDIS_URL"):
        click.echo("REDIS_URL is not set: jobs run inline, no worker needed.", err=True)
        raise SystemExit(1)
    from rq import Worker

    from fieldcrm.extensions import db
    from fieldcrm.jobs import queue, redis_connection

    # each job runs in a forked work horse: it must not share the parent's DB connections
    for engine in db.engines.values():
        engine.dispose()
    Worker([queue()], connection=redis_connection()).work(burst=burst)

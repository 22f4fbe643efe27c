"""`fieldcrm jobs worker`: the RQ worker (fieldcrm.worker) inside the CLI's app."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

group = AppGroup("jobs", help="Background jobs (RQ on REDIS_URL).")


@group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued jobs (needs REDIS_URL); same worker as `python -m fieldcrm.worker`."""
    if not current_app.config.get("REDIS_URL"):
        click.echo("REDIS_URL is not set: jobs run inline, no worker needed.", err=True)
        raise SystemExit(1)
    from fieldcrm.worker import build_worker

    build_worker(current_app._get_current_object()).work(burst=burst, with_scheduler=True)

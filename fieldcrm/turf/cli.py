"""`fieldcrm turf …`: geocode contacts and reassign them to turfs from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun, enqueue
from fieldcrm.turf import jobs

group = AppGroup("turf", help="Turfs: geocoding and contact reassignment.")


def _run(kind: str, func, params: dict) -> None:
    run = jobs.create_job_run(kind, params)
    db.session.commit()
    job_id = enqueue(func, run.id)
    if job_id:
        click.echo(f"Queued job {run.id} ({job_id}).")
        return
    run = db.session.get(JobRun, run.id)
    click.echo(f"Job {run.id} {run.status}: {run.message or ''}")


@group.command("geocode")
@click.option("--min-id", type=int, default=None, help="First contact id to consider.")
@click.option("--max-id", type=int, default=None, help="Last contact id to consider.")
def geocode_command(min_id: int | None, max_id: int | None) -> None:
    """Geocode contacts without coordinates (GEOCODER in config; offline ZIP centroids)."""
    _run("geocode", jobs.geocode_contacts, {"min_id": min_id, "max_id": max_id})


@group.command("reassign")
def reassign_command() -> None:
    """Recompute every contact's turf from the turf definitions."""
    _run("reassign", jobs.reassign_contacts, {})

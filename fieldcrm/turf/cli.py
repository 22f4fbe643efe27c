"""`fieldcrm turf …`: geocode contacts, reassign them to turfs, load precinct/ZIP shapes."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun, enqueue
from fieldcrm.turf import jobs, outlines

group = AppGroup("turf", help="Turfs: geocoding, contact reassignment, map shapes.")


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


@group.command("boundaries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(outlines.KINDS), required=True, help="Shapes of what.")
@click.option(
    "--code-property",
    required=True,
    help="The feature property holding the precinct code or ZIP (as turfs list them).",
)
@click.option("--name-property", default=None, help="A property with a readable name.")
def boundaries_command(
    path: Path, kind: str, code_property: str, name_property: str | None
) -> None:
    """Load precinct or ZIP shapes (a GeoJSON FeatureCollection in longitude/latitude) to
    draw the outlines of turfs defined by those codes. Loading again replaces shapes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} is not GeoJSON: {exc}") from exc
    try:
        result = outlines.load_boundaries(None, kind, data, code_property, name_property)
    except ValidationFailed as exc:
        features = data.get("features") if isinstance(data, dict) else None
        first = (features[0].get("properties") or {}) if features else {}
        hint = f" (the first feature's properties: {', '.join(first)})" if first else ""
        raise click.ClickException("; ".join(str(m) for _f, m in exc.errors) + hint) from exc
    db.session.commit()
    click.echo(f"{kind} shapes: {result.added} added, {result.replaced} replaced.")
    for problem in result.skipped[:20]:
        click.echo(f"skipped {problem}", err=True)
    if len(result.skipped) > 20:
        click.echo(f"… and {len(result.skipped) - 20} more skipped", err=True)

"""`fieldcrm rollups …`: recount, check and fold the per-turf rollups from the shell."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from fieldcrm.extensions import db
from fieldcrm.rollups import ddl, maintain

group = AppGroup("rollups", help="Per-turf rollups behind the coverage report.")


@group.command("rebuild")
def rebuild_command() -> None:
    """Reinstall the triggers, set people's last attempt / conversation from their
    conversations, and recount every turf (after a restore, a TRUNCATE, or a bulk write
    made with the triggers dropped)."""
    connection = db.session.connection()
    ddl.install(connection)
    fixed = maintain.rebuild(connection)
    db.session.commit()
    click.echo(f"Rollups recounted; {fixed} people's last contact times corrected.")


@group.command("check")
def check_command() -> None:
    """Compare the rollups with a full recount; exit 1 and list the differences if any."""
    found = maintain.differences(db.session.connection())
    db.session.rollback()
    for line in found[:50]:
        click.echo(line)
    if found:
        click.echo(f"{len(found)} difference(s); `fieldcrm rollups rebuild` recounts.")
        sys.exit(1)
    click.echo("Rollups agree with a full recount.")


@group.command("compact")
def compact_command() -> None:
    """Fold each key's delta rows into one (the report asks for this by itself)."""
    connection = db.session.connection()
    before = {
        t: connection.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()  # noqa: S608
        for t in ("turf_people", "turf_days")
    }
    if not maintain.compact(connection):
        db.session.rollback()
        click.echo("Another fold or recount is running; nothing done.")
        return
    after = {
        t: connection.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()  # noqa: S608
        for t in before
    }
    db.session.commit()
    click.echo(", ".join(f"{t}: {before[t]} → {after[t]} rows" for t in before))

"""`fieldcrm commitments …`: the daily follow-up digest."""

from __future__ import annotations

import smtplib
from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from fieldcrm import programtime
from fieldcrm.commitments import digest as digests
from fieldcrm.extensions import db

group = AppGroup("commitments", help="Follow-ups and their daily digest.")


@group.command("digest")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today (local).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
def digest_command(day: datetime | None, dry_run: bool) -> None:
    """Send each owner their due-today and overdue follow-ups (once per day)."""
    the_day: date = day.date() if day else programtime.today()
    pending = digests.pending_digests(the_day)
    if dry_run:
        for item in pending:
            subject, body = item.render()
            click.echo(f"To: {item.user.email}\nSubject: {subject}\n\n{body}")
        click.echo(f"{len(pending)} digest(s) would be sent for {the_day.isoformat()}.")
        return
    sent = 0
    for item in pending:
        try:
            digests.send_digest(
                item, current_app.config, echo=click.echo, smtp_factory=smtplib.SMTP
            )
        except OSError as exc:
            db.session.rollback()
            click.echo(f"Could not mail {item.user.email}: {exc}", err=True)
            continue
        db.session.commit()  # one owner at a time: a crash never re-sends the ones done
        sent += 1
    click.echo(f"{sent} digest(s) sent for {the_day.isoformat()}.")

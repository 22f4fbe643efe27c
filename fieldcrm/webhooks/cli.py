"""`fieldcrm webhooks`: list endpoints, send the deliveries that are due."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from fieldcrm.extensions import db
from fieldcrm.webhooks.delivery import deliver_due
from fieldcrm.webhooks.models import WebhookEndpoint
from fieldcrm.webhooks.services import status_counts

group = AppGroup("webhooks", help="Outgoing webhooks: list endpoints, send due deliveries.")


@group.command("list")
def list_endpoints() -> None:
    """One endpoint per line: id, on/off, URL, events, last answer, deliveries by status."""
    counts = status_counts()
    for e in db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)):
        by_status = ", ".join(f"{k} {v}" for k, v in sorted(counts.get(e.id, {}).items()))
        click.echo(
            f"{e.id}\t{'on' if e.active else 'off'}\t{e.url}\t{','.join(e.events or [])}"
            f"\t{e.last_status or '-'}\t{by_status or 'no deliveries'}"
        )


@group.command("deliver-due")
def deliver_due_command() -> None:
    """Send every delivery whose (next) try is due: after a restart, or from cron without
    Redis (a web process's retry timers end with it)."""
    counts = deliver_due()
    total = sum(counts.values())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    click.echo(f"Tried {total} deliveries" + (f": {summary}." if summary else "."))

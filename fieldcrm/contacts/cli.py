"""`fieldcrm contacts`: operator commands for contacts (export)."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from fieldcrm.auth.models import User
from fieldcrm.contacts.export import COLUMN_SETS, export_contacts
from fieldcrm.errors import PermissionDenied
from fieldcrm.extensions import db

group = AppGroup("contacts", help="Contacts: export.")


@group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--as", "as_email", help="Export what this user may see (default: everything).")
@click.option(
    "--columns",
    "column_set",
    type=click.Choice(sorted(COLUMN_SETS)),
    default="default",
    show_default=True,
    help="default: the standard columns; full: followed by every other voter-file field.",
)
@click.option("--excel", is_flag=True, help="Start the file with a BOM so Excel shows accents.")
def export(path: Path, as_email: str | None, column_set: str, excel: bool) -> None:
    """Write contacts to PATH as spreadsheet-safe CSV (columns in README "Exports")."""
    actor = None
    if as_email:
        actor = db.session.scalar(sa.select(User).where(User.email == as_email.strip().lower()))
        if actor is None:
            click.echo(f"Refused: no user {as_email}", err=True)
            raise SystemExit(1)
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            count = export_contacts(actor, handle, column_set, excel=excel)
    except PermissionDenied as exc:
        db.session.commit()  # keep the audit row of the refusal
        path.unlink(missing_ok=True)
        click.echo(f"Refused: {exc}", err=True)
        raise SystemExit(1) from exc
    db.session.commit()
    click.echo(f"Exported {count} contacts to {path}.")

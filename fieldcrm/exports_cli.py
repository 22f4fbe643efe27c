"""`fieldcrm exports`: files for other tools (VAN's bulk upload of canvass results)."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from fieldcrm.auth.models import User
from fieldcrm.errors import PermissionDenied
from fieldcrm.exports import check_export, record_export
from fieldcrm.extensions import db
from fieldcrm.lib.csvsafe import write_csv
from fieldcrm.van import services as van

group = AppGroup("exports", help="Exports for other tools (VAN canvass results).")


@group.command("van-canvass")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First local date (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last local date (YYYY-MM-DD).")
@click.option("--as", "as_email", help="Export what this user may see (default: everything).")
@click.option("--excel", is_flag=True, help="Start the file with a BOM so Excel shows accents.")
def van_canvass(path: Path, since, until, as_email: str | None, excel: bool) -> None:  # noqa: ANN001
    """Write canvass results for VAN's bulk upload to PATH (README "VAN canvass results")."""
    actor = None
    if as_email:
        actor = db.session.scalar(sa.select(User).where(User.email == as_email.strip().lower()))
        if actor is None:
            click.echo(f"Refused: no user {as_email}", err=True)
            raise SystemExit(1)
    first, last = (since.date() if since else None), (until.date() if until else None)
    count = van.count_canvass(actor, first, last)
    try:
        if actor is not None:
            check_export(actor, count.with_vanid, "van_canvass")
    except PermissionDenied as exc:
        db.session.commit()  # keep the audit row of the refusal
        click.echo(f"Refused: {exc}", err=True)
        raise SystemExit(1) from exc
    header, rows = van.canvass_rows(actor, first, last)
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, header, rows, excel=excel)
    record_export(actor, "van_canvass", len(rows), since=first, until=last, no_vanid=count.left_out)
    db.session.commit()
    click.echo(f"Exported {len(rows)} attempts to {path}.")
    if count.left_out:
        click.echo(f"Left out {count.left_out} attempts of people with no VANID.", err=True)

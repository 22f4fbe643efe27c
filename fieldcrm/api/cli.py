"""`fieldcrm api-tokens …`: an operator makes, lists and revokes personal API tokens."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from fieldcrm.api import tokens
from fieldcrm.auth.models import User
from fieldcrm.database import utcnow
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db

group = AppGroup("api-tokens", help="Personal API tokens (README “API”).")


@group.command("create")
@click.option("--as", "email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What will use it, e.g. “Parsons sync”.")
@click.option(
    "--expires-in-days",
    type=int,
    default=None,
    help=f"Days until it stops working (1 to {tokens.MAX_DAYS}); default: never.",
)
def create(email: str, name: str, expires_in_days: int | None) -> None:
    """Make a token for a user and print it once (it is stored only hashed)."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    now = utcnow()
    try:
        expires = tokens.expiry_from_days(expires_in_days, now)
        token, raw = tokens.create_token(None, user, name, now=now, expires_at=expires)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(raw)
    click.echo(
        f"Token {token.id} for {user.email} ({user.role}). Copy it now: it is not shown again.",
        err=True,
    )


@group.command("list")
def list_tokens() -> None:
    """Print every token, one a line: id, status, user, role, name, start, expiry, last use."""
    now = utcnow()
    for token in db.session.scalars(tokens.all_tokens()):
        expires = token.expires_at.isoformat(timespec="minutes") if token.expires_at else "never"
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        click.echo(
            "\t".join(
                [
                    str(token.id),
                    token.status(now),
                    token.user.email,
                    token.user.role,
                    token.name,
                    f"{token.prefix}…",
                    f"expires={expires}",
                    f"last_used={used}",
                ]
            )
        )


@group.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by its id: it stops working at once."""
    token = db.session.get(tokens.ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        raise click.ClickException(f"No token {token_id}.")
    tokens.revoke_token(None, token, now=utcnow())
    db.session.commit()
    click.echo(f"Revoked token {token.id} ({token.name}) of {token.user.email}.")

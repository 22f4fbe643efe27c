"""`fieldcrm users …`: create the first admin, list users."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from fieldcrm.auth import services
from fieldcrm.auth.models import User
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db

group = AppGroup("users", help="Manage user accounts.")


@group.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account (the first one, or another)."""
    try:
        user = services.create_user(
            None, services.UserInput(email=email, name=name, role="admin", password=password)
        )
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created admin {user.email} (id {user.id}).")


@group.command("list")
def list_users() -> None:
    """Print every user with role and status."""
    for user in db.session.scalars(sa.select(User).order_by(User.role, User.email)):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.id}\t{user.role}\t{state}\t{user.email}\t{user.name}")

"""The `fieldcrm` command: the Flask CLI with the app preloaded, plus every feature's group."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from fieldcrm import create_app

    return create_app(os.environ.get("FIELDCRM_CONFIG", "config.DevelopmentConfig"))


class _Commands(FlaskGroup):
    """The app's commands, and Flask-Migrate's ``db`` group loaded only when asked for
    (it imports Alembic: fieldcrm.migrating)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "db"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "db":
            from fieldcrm.migrating import db_group

            return db_group()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, create_app=_create_app, load_dotenv=False)
def main() -> None:
    """FieldCRM operator commands (db upgrade, seed, run, imports, contacts, users…)."""


def register(app: Flask) -> None:
    """Add each feature's command group to the app's CLI."""
    from fieldcrm.api.cli import group as api_tokens_group
    from fieldcrm.auth.cli import group as users_group
    from fieldcrm.backup import backup_command, restore_command
    from fieldcrm.commitments.cli import group as commitments_group
    from fieldcrm.contacts.cli import group as contacts_group
    from fieldcrm.exports_cli import group as exports_group
    from fieldcrm.imports.cli import group as imports_group
    from fieldcrm.jobs_cli import group as jobs_group
    from fieldcrm.rollups.cli import group as rollups_group
    from fieldcrm.seed import seed_command
    from fieldcrm.turf.cli import group as turf_group
    from fieldcrm.votes.cli import group as votes_group
    from fieldcrm.webhooks.cli import group as webhooks_group

    app.cli.add_command(users_group)
    app.cli.add_command(api_tokens_group)
    app.cli.add_command(commitments_group)
    app.cli.add_command(seed_command)
    app.cli.add_command(imports_group)
    app.cli.add_command(contacts_group)
    app.cli.add_command(exports_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(turf_group)
    app.cli.add_command(votes_group)
    app.cli.add_command(webhooks_group)
    app.cli.add_command(rollups_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)

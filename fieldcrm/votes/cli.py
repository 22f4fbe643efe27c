"""`fieldcrm votes …`: elections on file, and universe sizes per turf by vote history.

Vote-history files themselves are imported with `fieldcrm imports voter-file` (alone or in
the voter file's zip).
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.turf.models import Turf
from fieldcrm.turf.services import DEFAULT_STALE_DAYS, UNIVERSES, universe_clause
from fieldcrm.votes import queries
from fieldcrm.votes.models import Election, Vote

group = AppGroup("votes", help="Vote history: elections on file, universes by vote history.")


@group.command("elections")
def elections_command() -> None:
    """List the elections on file (newest first) with their kind and vote count."""
    rows = db.session.execute(
        sa.select(Election.id, Election.name, Election.kind, sa.func.count(Vote.voter_id))
        .outerjoin(Vote, Vote.election_id == Election.id)
        .group_by(Election.id, Election.name, Election.kind, Election.election_date)
        .order_by(Election.election_date.desc(), Election.name)
    ).all()
    if not rows:
        click.echo("No elections on file: import a vote-history file first.")
    for election_id, name, kind, votes in rows:
        click.echo(f"{election_id:>6}  {name}  [{kind}]  {votes} votes")


def _parse_voted(text: str) -> tuple[int, int]:
    try:
        n, m = (int(part) for part in text.lower().split("-of-"))
    except ValueError as exc:
        raise click.BadParameter("write N-of-M, e.g. 2-of-4") from exc
    return n, m


@group.command("universe")
@click.option("--universe", type=click.Choice(sorted(UNIVERSES)), default="all", show_default=True)
@click.option("--stale-days", type=int, default=DEFAULT_STALE_DAYS, show_default=True)
@click.option("--voted", "voted", help="Voted in N of the last M general elections, e.g. 2-of-4.")
@click.option("--voted-in", "voted_in", type=int, help="Voted in this election (id).")
@click.option("--not-voted-in", "not_voted_in", type=int, help="Did not vote in this election.")
@click.option("--never", is_flag=True, help="No vote on file.")
def universe_command(
    universe: str,
    stale_days: int,
    voted: str | None,
    voted_in: int | None,
    not_voted_in: int | None,
    never: bool,
) -> None:
    """Count each turf's people in a universe narrowed by vote history (the same rule as
    turf cutting and the coverage report)."""
    chosen = [x for x in (voted, voted_in, not_voted_in, never or None) if x is not None]
    if len(chosen) > 1:
        raise click.UsageError("Give one vote-history filter.")
    flt = None
    if voted:
        n, m = _parse_voted(voted)
        flt = queries.VoteFilter("n_of_m_general", voted=n, of_last=m)
    elif voted_in is not None:
        flt = queries.VoteFilter("voted_in", election_id=voted_in)
    elif not_voted_in is not None:
        flt = queries.VoteFilter("not_voted_in", election_id=not_voted_in)
    elif never:
        flt = queries.VoteFilter("never")
    try:
        clause = universe_clause(universe, utcnow(), stale_days, flt)
    except ValidationFailed as exc:
        raise click.UsageError("; ".join(m for _f, m in exc.errors)) from exc
    rows = db.session.execute(
        sa.select(Turf.name, sa.func.count(Contact.id))
        .join(Contact, Contact.turf_id == Turf.id)
        .where(clause)
        .group_by(Turf.id, Turf.name)
        .order_by(Turf.name)
    ).all()
    total = 0
    for name, count in rows:
        click.echo(f"{name}: {count}")
        total += count
    click.echo(f"Total: {total}")

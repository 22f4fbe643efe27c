"""Vote-history reads: a contact's recent votes, the elections, and the one vote-history rule
used by turf cutting, the coverage report and the CLI (``vote_history_clause``).

A contact's votes are the votes of its (source, voter id). Contacts without a voter id
(entered by hand) have no vote history: they match no vote-history filter, not even
"never voted" (we do not know).

Leaders do not see vote history: a follow-up needs a name, a door and a phone, not a
turnout record (``can_see_vote_history``).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Contact
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.votes.models import Election, Vote

VOTE_HISTORY_ROLES = (Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)
RECENT_VOTES = 12

#: Vote-history filter kinds (labels for people: fieldcrm.votes.forms.VOTE_FILTER_CHOICES).
VOTE_FILTER_KINDS = ("n_of_m_general", "voted_in", "not_voted_in", "never")
MAX_GENERALS = 20


@dataclass(frozen=True)
class VoteFilter:
    """A vote-history filter: its kind (VOTE_FILTER_KINDS), N and M, or the election."""

    kind: str = ""
    voted: int = 1  # N
    of_last: int = 4  # M
    election_id: int | None = None

    def describe(self) -> dict:
        """JSON for a packet's stored universe."""
        return {
            "kind": self.kind,
            "voted": self.voted,
            "of_last": self.of_last,
            "election_id": self.election_id,
        }


def can_see_vote_history(actor: User | None) -> bool:
    """Admins, directors and organizers see vote history; leaders and others do not."""
    return actor is not None and actor.active and actor.role in VOTE_HISTORY_ROLES


def contact_votes(actor: User | None, contact: Contact, limit: int = RECENT_VOTES) -> list:
    """The contact's most recent votes (election, method, party), newest first.

    The caller has already checked the actor may see `contact`; leaders get an empty list.
    """
    if not can_see_vote_history(actor) or not contact.voter_id:
        return []
    return list(
        db.session.execute(
            sa.select(
                Election.election_date,
                Election.name,
                Election.kind,
                Vote.method,
                Vote.party,
            )
            .join(Election, Election.id == Vote.election_id)
            .where(Vote.source == contact.source, Vote.voter_id == contact.voter_id)
            .order_by(Election.election_date.desc(), Election.name)
            .limit(limit)
        )
    )


def elections(limit: int = 200) -> list[Election]:
    """Elections on file, newest first (for choosing "voted in ELECTION")."""
    return list(
        db.session.scalars(
            sa.select(Election).order_by(Election.election_date.desc(), Election.name).limit(limit)
        )
    )


def election_choices(limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) pairs of the elections on file, newest first."""
    return [(e.id, e.name) for e in elections(limit)]


def last_general_elections(count: int, today: date) -> dict[date, list[int]]:
    """The last `count` general-election dates on file (up to `today`), newest first, with
    the ids of the general elections held on each."""
    dates = list(
        db.session.scalars(
            sa.select(Election.election_date)
            .where(Election.kind == "general", Election.election_date <= today)
            .group_by(Election.election_date)
            .order_by(Election.election_date.desc())
            .limit(count)
        )
    )
    out: dict[date, list[int]] = {day: [] for day in dates}
    if dates:
        rows = db.session.execute(
            sa.select(Election.election_date, Election.id).where(
                Election.kind == "general", Election.election_date.in_(dates)
            )
        )
        for day, election_id in rows:
            out[day].append(election_id)
    return out


def check_vote_filter(flt: VoteFilter | None) -> VoteFilter | None:
    """The filter when it is well formed (None for no filter). Raises ValidationFailed."""
    if flt is None or not flt.kind:
        return None
    if flt.kind not in VOTE_FILTER_KINDS:
        raise ValidationFailed([("vote_filter", _("Unknown vote-history filter."))])
    if flt.kind == "n_of_m_general":
        if not 1 <= flt.of_last <= MAX_GENERALS:
            raise ValidationFailed(
                [
                    (
                        "vote_of_last",
                        _("Look back over 1 to %(n)d general elections.", n=MAX_GENERALS),
                    )
                ]
            )
        if not 0 <= flt.voted <= flt.of_last:
            raise ValidationFailed([("vote_voted", _("N must be between 0 and M."))])
    if flt.kind in ("voted_in", "not_voted_in") and (
        flt.election_id is None or db.session.get(Election, flt.election_id) is None
    ):
        raise ValidationFailed([("vote_election", _("Pick an election."))])
    return flt


def _votes_of_contact() -> sa.ColumnElement[bool]:
    return sa.and_(Vote.source == Contact.source, Vote.voter_id == Contact.voter_id)


def vote_history_clause(flt: VoteFilter | None, today: date) -> sa.ColumnElement[bool]:
    """WHERE clause on Contact for a vote-history filter (true for no filter).

    * ``n_of_m_general``: voted in at least N of the last M general elections on file (by
      date, up to `today`); with fewer than M on file, of those there are;
    * ``voted_in`` / ``not_voted_in``: a vote in that election on file, or none;
    * ``never``: no vote on file at all.

    Every kind needs a voter id (a contact entered by hand matches none). Raises
    ValidationFailed for a malformed filter.
    """
    flt = check_vote_filter(flt)
    if flt is None:
        return sa.true()
    has_id = Contact.voter_id.is_not(None)
    if flt.kind == "never":
        return sa.and_(has_id, ~sa.exists().where(_votes_of_contact()))
    if flt.kind in ("voted_in", "not_voted_in"):
        voted = sa.exists().where(_votes_of_contact(), Vote.election_id == flt.election_id)
        return sa.and_(has_id, voted if flt.kind == "voted_in" else ~voted)
    generals = last_general_elections(flt.of_last, today)
    if flt.voted == 0:
        return has_id
    if len(generals) < flt.voted:
        return sa.false()
    # one primary-key probe per election date (a vote in any general election held that
    # day counts once), added up per contact
    voted_days = [
        sa.case(
            (sa.exists().where(_votes_of_contact(), Vote.election_id.in_(ids)), 1),
            else_=0,
        )
        for ids in generals.values()
    ]
    return sa.and_(has_id, functools.reduce(operator.add, voted_days) >= flt.voted)

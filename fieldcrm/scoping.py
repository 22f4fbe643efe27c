"""Who may see what: the one place that scopes contacts (and their records) to an actor.

* admin: everything;
* director: contacts in the turfs of their regions;
* organizer: contacts in their turfs;
* leader: the people on their list (assigned by an organizer), those whose
  commitments they own, and the residents of walk packets assigned to them;
* an inactive or unknown actor: nothing.

Every list, detail, search, export, report and job that acts for a user goes through
these functions, so a record outside the actor's scope is simply not found (404).
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from fieldcrm.auth.models import LeaderAssignment, Role, User, user_regions, user_turfs
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.errors import NotFound
from fieldcrm.extensions import db
from fieldcrm.rollups.models import TurfPeople
from fieldcrm.turf.models import Region, Turf


class _InList(ColumnElement[bool]):
    """``value IN (SELECT ...)`` as a test of each row against a list read once.

    PostgreSQL plans an IN as a join, and when it misjudges how many rows reach it (a name
    range of thousands taken for one) re-runs the subquery for each of them; against
    ``ARRAY(SELECT ...)``, read once before the scan, the test stays a filter. SQLite
    already reads the list once.
    """

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, value: sa.ColumnElement[Any], select: sa.Select[Any]) -> None:
        self.value, self.select = value, select


@compiles(_InList)
def _in_list(element: _InList, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.value.in_(element.select), **kw)  # type: ignore[no-any-return]


@compiles(_InList, "postgresql")
def _in_list_postgresql(element: _InList, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.value, **kw)
    return f"{value} = ANY(ARRAY({compiler.process(element.select.scalar_subquery(), **kw)}))"


def turf_ids_subquery(actor: User) -> sa.Select[Any]:
    """SELECT of the turf ids the actor works in (directors: every turf of their regions)."""
    if actor.role == Role.DIRECTOR:
        return sa.select(Turf.id).where(
            Turf.region_id.in_(
                sa.select(user_regions.c.region_id).where(user_regions.c.user_id == actor.id)
            )
        )
    return sa.select(user_turfs.c.turf_id).where(user_turfs.c.user_id == actor.id)


TurfTest = Literal["in", "list", "walk"]


def contact_scope(actor: User | None, turfs: TurfTest = "in") -> sa.ColumnElement[bool]:
    """A WHERE clause on Contact limiting rows to what `actor` may see.

    ``turfs``: how a director's or organizer's turfs are tested. "in": ``IN (SELECT ...)``,
    which a planner may read through the turf index or join. "list": each row against the
    list of turfs read once (``_InList``), for a query another index drives whose size the
    planner may misjudge. "walk": the same, kept off the turf index (``turf_id + 0``), for
    a query that walks another index in its order past other people's contacts
    (``walks_past_scope``).
    """
    if actor is None or not actor.active:
        return sa.false()
    if actor.role == Role.ADMIN:
        return sa.true()
    if actor.role in (Role.DIRECTOR, Role.ORGANIZER):
        if turfs == "in":
            return Contact.turf_id.in_(turf_ids_subquery(actor))
        turf = Contact.turf_id + 0 if turfs == "walk" else Contact.turf_id
        return _InList(turf, turf_ids_subquery(actor))
    if actor.role == Role.LEADER:
        return sa.or_(
            Contact.id.in_(
                sa.select(LeaderAssignment.contact_id).where(LeaderAssignment.leader_id == actor.id)
            ),
            Contact.id.in_(sa.select(Commitment.contact_id).where(Commitment.owner_id == actor.id)),
            Contact.id.in_(_packet_residents(actor.id)),
        )
    return sa.false()


def scope_sizes(actor: User) -> sa.Select[Any]:
    """SELECT (people placed in the actor's turfs, the span of contact ids): two index
    lookups and the rollups of their turfs, never a read of the contacts table."""
    return sa.select(
        sa.select(sa.func.sum(TurfPeople.people))
        .where(TurfPeople.turf_id.in_(turf_ids_subquery(actor)))
        .scalar_subquery(),
        # two subqueries: SQLite finds a lone min() or max() at the end of the key, but
        # reads the whole table for both in one SELECT
        sa.select(sa.func.max(Contact.id)).scalar_subquery()
        - sa.select(sa.func.min(Contact.id)).scalar_subquery()
        + 1,
    )


def walks_past_scope(actor: User, rows: int) -> bool:
    """Whether to read `rows` of the actor's contacts by walking an index in its order (the
    key, the name index), passing over other people's contacts, rather than reading the
    actor's turfs through the turf index and sorting them.

    A walk visits about rows × all / in-scope contacts; reading the turfs visits the
    contacts in scope. The planner cannot tell which is cheaper (it does not know how many
    people a subquery's turfs hold; SQLite, without statistics, takes whichever index its
    fixed guesses favour): for an organizer's 5,000 people among 1,000,000, a walk of the
    key reads the rest of the table to find the end of their last page, and a director's
    region read through its turfs to show 50 names gathers and sorts all of it. So a scope
    smaller than sqrt(rows × all) is read through its turfs and a larger one walks. The
    sizes come from the turf rollups and the range of ids (the span a walk passes over):
    estimates are enough. Admins and leaders always walk (no turf test, or a short list).
    """
    if actor.role not in (Role.DIRECTOR, Role.ORGANIZER):
        return True
    in_scope, everyone = db.session.execute(scope_sizes(actor)).one()
    return (in_scope or 0) ** 2 >= rows * (everyone or 0)


def contact_id_order(actor: User, rows: int) -> sa.ColumnElement[Any]:
    """The ORDER BY for reading `rows` of the actor's contacts in id order (keyset pages):
    the key itself when walking it is cheaper (``walks_past_scope``), else ``id + 0``, which
    keeps the key out of the ORDER BY so that the scope is read through its turfs."""
    return Contact.id if walks_past_scope(actor, rows) else Contact.id + 0


def _packet_residents(user_id: int) -> sa.Select[Any]:
    """Ids of contacts living at a door of a packet assigned to `user_id` (same turf)."""
    resident = so.aliased(Contact)  # an alias, so the outer query's contacts don't correlate
    return (
        sa.select(resident.id)
        .join(PacketDoor, PacketDoor.household_key == resident.household_key)
        .join(
            WalkPacket,
            sa.and_(WalkPacket.id == PacketDoor.packet_id, WalkPacket.turf_id == resident.turf_id),
        )
        .where(WalkPacket.assigned_user_id == user_id)
    )


def visible_contacts(actor: User | None, turfs: TurfTest = "in") -> sa.Select[tuple[Contact]]:
    """SELECT Contact rows the actor may see (``turfs``: see ``contact_scope``)."""
    return sa.select(Contact).where(contact_scope(actor, turfs))


def is_id(value: int) -> bool:
    """True when `value` can be a row id: ids are 32-bit, and a larger number (from a
    query string or form) would overflow the database driver rather than match nothing."""
    return isinstance(value, int) and 0 < value < 2**31


def get_contact(actor: User | None, contact_id: int) -> Contact:
    """The contact if the actor may see it. Raises NotFound otherwise (exists or not)."""
    if not is_id(contact_id):
        raise NotFound("contact")
    contact = db.session.scalar(visible_contacts(actor).where(Contact.id == contact_id))
    if contact is None:
        raise NotFound("contact")
    return contact


def can_see_contact(actor: User | None, contact_id: int) -> bool:
    """True when `contact_id` is inside the actor's scope."""
    if not is_id(contact_id):
        return False
    stmt = sa.select(Contact.id).where(Contact.id == contact_id, contact_scope(actor))
    return db.session.scalar(stmt) is not None


def visible_conversations(actor: User | None) -> sa.Select[tuple[Conversation]]:
    """SELECT conversations whose contact the actor may see."""
    return (
        sa.select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(contact_scope(actor))
    )


def visible_commitments(actor: User | None) -> sa.Select[tuple[Commitment]]:
    """SELECT commitments whose contact the actor may see."""
    return (
        sa.select(Commitment)
        .join(Contact, Contact.id == Commitment.contact_id)
        .where(contact_scope(actor))
    )


def visible_turfs(actor: User | None) -> sa.Select[tuple[Turf]]:
    """SELECT turfs the actor works in (admins: all)."""
    if actor is None or not actor.active:
        return sa.select(Turf).where(sa.false())
    if actor.role == Role.ADMIN:
        return sa.select(Turf)
    return sa.select(Turf).where(Turf.id.in_(turf_ids_subquery(actor)))


def visible_regions(actor: User | None) -> sa.Select[tuple[Region]]:
    """SELECT regions the actor covers (organizers and leaders: those of their turfs)."""
    if actor is None or not actor.active:
        return sa.select(Region).where(sa.false())
    if actor.role == Role.ADMIN:
        return sa.select(Region)
    if actor.role == Role.DIRECTOR:
        return sa.select(Region).where(
            Region.id.in_(
                sa.select(user_regions.c.region_id).where(user_regions.c.user_id == actor.id)
            )
        )
    return sa.select(Region).where(
        Region.id.in_(sa.select(Turf.region_id).where(Turf.id.in_(turf_ids_subquery(actor))))
    )


def get_turf(actor: User | None, turf_id: int) -> Turf:
    """The turf if the actor works in it. Raises NotFound otherwise."""
    if not is_id(turf_id):
        raise NotFound("turf")
    turf = db.session.scalar(visible_turfs(actor).where(Turf.id == turf_id))
    if turf is None:
        raise NotFound("turf")
    return turf


def visible_users(actor: User | None) -> sa.Select[tuple[User]]:
    """SELECT users the actor may pick as owners or see on team pages.

    Admins: all; directors: users assigned to their regions or to turfs in them;
    organizers: themselves, leaders and organizers sharing a turf; leaders: themselves.
    """
    if actor is None or not actor.active:
        return sa.select(User).where(sa.false())
    if actor.role == Role.ADMIN:
        return sa.select(User)
    turf_ids = turf_ids_subquery(actor)
    in_turfs = sa.select(user_turfs.c.user_id).where(user_turfs.c.turf_id.in_(turf_ids))
    if actor.role == Role.DIRECTOR:
        in_regions = sa.select(user_regions.c.user_id).where(
            user_regions.c.region_id.in_(
                sa.select(user_regions.c.region_id).where(user_regions.c.user_id == actor.id)
            )
        )
        return sa.select(User).where(sa.or_(User.id.in_(in_turfs), User.id.in_(in_regions)))
    if actor.role == Role.ORGANIZER:
        return sa.select(User).where(
            sa.or_(User.id == actor.id, User.id.in_(in_turfs)),
            User.role.in_((Role.ORGANIZER, Role.LEADER)),
        )
    return sa.select(User).where(User.id == actor.id)

"""Read queries for organizations: the list with people in scope, members with their latest talk."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Affiliation, Contact, Organization
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope


def organizations_with_counts(actor: User) -> list[tuple[Organization, int]]:
    """Every organization with how many of its people the actor may see (one query)."""
    in_scope = (
        sa.select(Affiliation.organization_id, sa.func.count().label("people"))
        .join(Contact, Contact.id == Affiliation.contact_id)
        .where(contact_scope(actor))
        .group_by(Affiliation.organization_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Organization, sa.func.coalesce(in_scope.c.people, 0))
        .outerjoin(in_scope, in_scope.c.organization_id == Organization.id)
        .order_by(Organization.name)
    ).all()
    return [(r[0], r[1]) for r in rows]


def members(actor: User, org_id: int) -> sa.Select[Any]:
    """SELECT Affiliation rows (contact loaded) of the organization's people in scope."""
    return (
        sa.select(Affiliation)
        .join(Contact, Contact.id == Affiliation.contact_id)
        .where(Affiliation.organization_id == org_id, contact_scope(actor))
        .options(so.contains_eager(Affiliation.contact).joinedload(Contact.ladder_stage))
        .order_by(Affiliation.role != "leader", Contact.last_name, Contact.first_name, Contact.id)
    )


def latest_conversations(contact_ids: list[int]) -> dict[int, Conversation]:
    """Each contact's latest logged attempt or conversation (two queries, no N+1)."""
    if not contact_ids:
        return {}
    latest = (
        sa.select(Conversation.contact_id, sa.func.max(Conversation.occurred_at).label("at"))
        .where(Conversation.contact_id.in_(contact_ids))
        .group_by(Conversation.contact_id)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(Conversation)
        .join(
            latest,
            sa.and_(
                latest.c.contact_id == Conversation.contact_id,
                latest.c.at == Conversation.occurred_at,
            ),
        )
        .options(so.joinedload(Conversation.user))
    ).all()
    return {c.contact_id: c for c in rows}


def affiliations_of(contact_id: int) -> list[Affiliation]:
    """A contact's organizations with their role, by organization name."""
    return list(
        db.session.scalars(
            sa.select(Affiliation)
            .join(Organization, Organization.id == Affiliation.organization_id)
            .where(Affiliation.contact_id == contact_id)
            .options(so.contains_eager(Affiliation.organization))
            .order_by(Organization.name)
        )
    )

"""Organization services: create and edit groups, link people to them with a role."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Affiliation, Contact, Organization
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.scoping import can_see_contact, visible_regions
from fieldcrm.turf.models import Region

KINDS = ("union", "congregation", "campus", "tenants", "community", "coalition", "other")
ROLES = ("member", "leader", "staff", "contact_person")
EDITORS = (Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)


@dataclass(frozen=True)
class OrganizationInput:
    name: str
    kind: str = "other"
    description: str | None = None
    region_id: int | None = None


def _check(actor: User, data: OrganizationInput, current: Organization | None) -> None:
    if actor.role not in EDITORS:
        raise PermissionDenied("Only staff edit organizations.")
    errors: list[tuple[str | None, str]] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(("name", _("Name the organization.")))
    elif db.session.scalar(
        sa.select(Organization.id).where(
            sa.func.lower(Organization.name) == name.lower(),
            Organization.id != (current.id if current else -1),
        )
    ):
        errors.append(("name", _("An organization has that name already.")))
    if data.kind not in KINDS:
        errors.append(("kind", _("Pick a kind.")))
    if data.region_id and not db.session.scalar(
        visible_regions(actor).where(Region.id == data.region_id)
    ):
        errors.append(("region_id", _("Pick one of your regions.")))
    if errors:
        raise ValidationFailed(errors)


def create_organization(actor: User, data: OrganizationInput) -> Organization:
    """Create an organization. Raises PermissionDenied, ValidationFailed. Flushes; audits."""
    _check(actor, data, None)
    org = Organization(
        name=data.name.strip()[:200],
        kind=data.kind,
        description=(data.description or "").strip() or None,
        region_id=data.region_id,
    )
    db.session.add(org)
    db.session.flush()
    audit.record("organization.create", actor=actor, entity=org, name=org.name)
    return org


def update_organization(actor: User, org: Organization, data: OrganizationInput) -> Organization:
    """Edit an organization. Raises PermissionDenied, ValidationFailed. Flushes; audits."""
    _check(actor, data, org)
    before = f"{org.name}|{org.kind}|{org.region_id}"
    org.name = data.name.strip()[:200]
    org.kind = data.kind
    org.description = (data.description or "").strip() or None
    org.region_id = data.region_id
    db.session.flush()
    audit.record(
        "organization.update",
        actor=actor,
        entity=org,
        before=before,
        after=f"{org.name}|{org.kind}|{org.region_id}",
    )
    return org


def link_contact(actor: User, contact: Contact, org: Organization, role: str) -> Affiliation:
    """Link a contact to an organization with a role (updating the role if already linked).

    Raises NotFound (contact out of scope), PermissionDenied (leaders), ValidationFailed
    (unknown role). Flushes; audits.
    """
    if not can_see_contact(actor, contact.id):
        raise NotFound("contact")
    if actor.role not in EDITORS:
        raise PermissionDenied("Only staff link people to organizations.")
    if role not in ROLES:
        raise ValidationFailed([("role", _("Pick a role."))])
    link = db.session.scalar(
        sa.select(Affiliation).where(
            Affiliation.contact_id == contact.id, Affiliation.organization_id == org.id
        )
    )
    if link is None:
        link = Affiliation(contact_id=contact.id, organization_id=org.id, role=role)
        db.session.add(link)
    else:
        link.role = role
    db.session.flush()
    audit.record("organization.link", actor=actor, entity=org, contact_id=contact.id, role=role)
    return link


def unlink_contact(actor: User, contact: Contact, org: Organization) -> None:
    """Remove a contact from an organization. Raises NotFound, PermissionDenied. Flushes; audits."""
    if not can_see_contact(actor, contact.id):
        raise NotFound("contact")
    if actor.role not in EDITORS:
        raise PermissionDenied("Only staff link people to organizations.")
    link = db.session.scalar(
        sa.select(Affiliation).where(
            Affiliation.contact_id == contact.id, Affiliation.organization_id == org.id
        )
    )
    if link is None:
        raise NotFound("affiliation")
    db.session.delete(link)
    db.session.flush()
    audit.record("organization.unlink", actor=actor, entity=org, contact_id=contact.id)

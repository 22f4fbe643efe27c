"""Turf services: regions, turfs, and assigning contacts to turfs by definition."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.turf.models import Region, Turf


def _clean_codes(codes: Iterable[str]) -> list[str]:
    return sorted({c.strip().upper() for c in codes if c and c.strip()})


def create_region(actor: User | None, name: str) -> Region:
    """Create a region. Raises ValidationFailed on a blank or duplicate name. Flushes."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([("name", "Name the region.")])
    if db.session.scalar(sa.select(Region.id).where(Region.name == name)):
        raise ValidationFailed([("name", "A region with this name exists.")])
    region = Region(name=name)
    db.session.add(region)
    db.session.flush()
    audit.record("region.create", actor=actor, entity=region)
    return region


def create_turf(
    actor: User | None,
    region: Region,
    name: str,
    precinct_codes: Iterable[str] = (),
    zip_codes: Iterable[str] = (),
    geojson: dict | None = None,
) -> Turf:
    """Create a turf in a region. Raises ValidationFailed (blank/duplicate name, empty
    definition). Flushes. Contacts are assigned separately (assign_contacts_to_turfs)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([("name", "Name the turf.")])
    precincts, zips = _clean_codes(precinct_codes), _clean_codes(zip_codes)
    if not (precincts or zips or geojson):
        raise ValidationFailed([(None, "Define the turf by precincts, ZIP codes or an area.")])
    clash = db.session.scalar(
        sa.select(Turf.id).where(Turf.region_id == region.id, Turf.name == name)
    )
    if clash:
        raise ValidationFailed([("name", "This region already has a turf with that name.")])
    turf = Turf(region=region, name=name, precinct_codes=precincts, zip_codes=zips, geojson=geojson)
    db.session.add(turf)
    db.session.flush()
    audit.record("turf.create", actor=actor, entity=turf)
    return turf


def assign_contacts_to_turfs(contact_ids: sa.Select | None = None) -> int:
    """Recompute Contact.turf_id from every turf's definition; returns rows changed.

    Precedence when definitions overlap: a precinct match wins over a ZIP match; among
    turfs of the same kind, the lowest turf id wins (turfs should not overlap; the turf
    pages warn when they do). Contacts matching no turf get turf_id NULL.
    `contact_ids` limits the work to a SELECT of contact ids (e.g. one import batch).
    Flushes nothing: it issues UPDATEs directly in the session's transaction.
    """
    turfs = db.session.execute(
        sa.select(Turf.id, Turf.precinct_codes, Turf.zip_codes).order_by(Turf.id)
    ).all()
    precinct_map: dict[str, int] = {}
    zip_map: dict[str, int] = {}
    for turf_id, precincts, zips in turfs:
        for code in precincts or []:
            precinct_map.setdefault(code, turf_id)
        for code in zips or []:
            zip_map.setdefault(code, turf_id)
    cases = []
    if precinct_map:
        cases.append(
            (
                sa.func.upper(Contact.precinct_code).in_(list(precinct_map)),
                sa.case(precinct_map, value=sa.func.upper(Contact.precinct_code)),
            )
        )
    if zip_map:
        cases.append(
            (Contact.res_zip5.in_(list(zip_map)), sa.case(zip_map, value=Contact.res_zip5))
        )
    new_turf = sa.case(*cases, else_=sa.null()) if cases else sa.null()
    stmt = sa.update(Contact)
    if contact_ids is not None:
        stmt = stmt.where(Contact.id.in_(contact_ids))
    stmt = (
        stmt.where(
            sa.or_(
                sa.and_(Contact.turf_id.is_(None), new_turf.is_not(None)),
                sa.and_(Contact.turf_id.is_not(None), new_turf.is_(None)),
                Contact.turf_id != new_turf,
            )
        )
        .values(turf_id=new_turf)
        .execution_options(synchronize_session=False)
    )
    result = db.session.execute(stmt)
    return result.rowcount or 0

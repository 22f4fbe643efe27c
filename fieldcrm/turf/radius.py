"""Who's nearby: the radius search, where it starts, and how far each person really is.

A location is *exact* when it is on the building or its street: coordinates from the voter
file (or entered), or a geocoder's rooftop / street answer. A contact the geocoder could only
place at its ZIP code's centre (``geo_precision`` "zip_centroid", or coarser) has no distance
of its own: everybody in that ZIP sits on the same point, which is how a search once showed
200 people "0.00 mi" away. So a result says which people are placed only by ZIP, and ranks
by what it knows:

1. people with an exact location, by their real distance;
2. then people placed only at a ZIP centre, by that centre's distance, and within one ZIP
   first those on the starting point's street, nearest house number first.

When the starting point itself is only a ZIP centre, every distance is approximate and the
page says so.

The search starts from a point, a contact (picked by name: ``find_centre`` returns the
matches to pick from when a name fits several people) or an address (the geocode cache, else
a person in scope living there, else the ZIP's centre). Nothing here touches the network.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.search import search_clause
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.lib.addresses import split_street_address
from fieldcrm.lib.geo import EARTH_RADIUS_MILES, bounding_box, haversine_miles, zip_centroid
from fieldcrm.lib.geocode import normalize_address_key
from fieldcrm.scoping import contact_scope, get_contact
from fieldcrm.turf.models import GeocodeCacheEntry

EXACT_PRECISIONS = frozenset({"rooftop", "street"})
MAX_MILES = 50
MAX_CANDIDATES = 12
_ZIP = re.compile(r"(?:^|[\s,])([0-9]{5})(?:-[0-9]{4})?\s*$")
_STATE = re.compile(r"(?:^|[\s,])([A-Za-z]{2})\s*$")
_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP",
))  # fmt: skip


def located_exactly(geo_source: str | None, geo_precision: str | None) -> bool:
    """True when a stored location is on the building or its street (see the module doc)."""
    return geo_source == "voterfile" or geo_precision is None or geo_precision in EXACT_PRECISIONS


@dataclass(frozen=True)
class Centre:
    """Where a radius search starts, and how well that point is known."""

    lat: float
    lon: float
    source: str  # "point" | "contact" | "cache" | "resident" | "zip_centroid"
    exact: bool = True
    label: str = ""
    contact_id: int | None = None
    zip5: str | None = None
    street: str | None = None  # upper case, as addresses are stored
    house_number: int | None = None

    @classmethod
    def point(cls, lat: float, lon: float) -> Centre:
        return cls(lat, lon, "point")


@dataclass(frozen=True)
class NearbyContact:
    """What a radius result (or a name match to start from) shows of a contact."""

    id: int
    display_name: str
    address: str
    located: bool = True


@dataclass(frozen=True)
class Nearby:
    """A contact (or a door's first resident) and how far it is from the centre.

    ``zip_only``: the person is placed only at their ZIP code's centre, so ``miles`` is the
    distance of that centre; ``exact``: both points are exact, so ``miles`` is real.
    """

    contact: NearbyContact
    miles: float
    people: int = 1
    zip_only: bool = False
    exact: bool = True
    zip5: str | None = None


# -- the starting point ------------------------------------------------------------------


def resolve_address(
    line1: str | None, city: str | None, state: str | None, zip5: str | None
) -> tuple[float, float, str] | None:
    """A point for an address without touching the network: the geocode cache, else the
    ZIP centroid. Returns (lat, lon, "cache" | "zip_centroid") or None."""
    entry = _cached(line1, city, state, zip5)
    if entry is not None:
        return entry.latitude, entry.longitude, "cache"  # type: ignore[return-value]
    point = zip_centroid(zip5)
    if point is not None:
        return point[0], point[1], "zip_centroid"
    return None


def _cached(
    line1: str | None, city: str | None, state: str | None, zip5: str | None
) -> GeocodeCacheEntry | None:
    key = normalize_address_key(line1, city, state, zip5)
    entry = db.session.scalar(
        sa.select(GeocodeCacheEntry).where(GeocodeCacheEntry.address_key == key)
    )
    if entry is None or entry.latitude is None or entry.longitude is None:
        return None
    return entry


def split_typed_address(text: str) -> tuple[str, str | None, str | None, str | None]:
    """(line1, city, state, zip5) of an address typed on one line:
    ``"12 Oak St, Burlington, NC 27215"``, ``"12 Oak St 27215"``, ``"12 Oak St"``."""
    text = " ".join(text.split())
    zip5 = state = city = None
    found = _ZIP.search(text)
    if found:
        zip5, text = found.group(1), text[: found.start()].rstrip(" ,")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    line1 = parts[0] if parts else ""
    rest = parts[1:]
    if rest:
        state_found = _STATE.search(rest[-1])
        if state_found and state_found.group(1).upper() in _STATES:
            state = state_found.group(1).upper()
            rest[-1] = rest[-1][: state_found.start()].strip()
        city = ", ".join(p for p in rest if p) or None
    return line1, city, state, zip5


def contact_centre(actor: User | None, contact_id: int) -> Centre:
    """Start at a contact the actor may see. Raises NotFound, or ValidationFailed when the
    contact has no location yet."""
    contact = get_contact(actor, contact_id)
    if contact.latitude is None or contact.longitude is None:
        raise ValidationFailed([("near", _("That person has no location yet."))])
    return Centre(
        contact.latitude,
        contact.longitude,
        "contact",
        exact=located_exactly(contact.geo_source, contact.geo_precision),
        label=contact.display_name,
        contact_id=contact.id,
        zip5=contact.res_zip5,
        street=contact.res_street_name,
        house_number=contact.res_house_number,
    )


def address_centre(
    actor: User | None,
    line1: str | None,
    city: str | None = None,
    state: str | None = None,
    zip5: str | None = None,
) -> Centre:
    """Start at an address: the geocode cache, else where a person in the actor's scope at
    that address is placed, else the ZIP's centre. Raises ValidationFailed when none fits."""
    parts = split_street_address(line1)
    label = ", ".join(p for p in (line1, city, " ".join(filter(None, (state, zip5)))) if p)
    known = {
        "label": label,
        "zip5": zip5,
        "street": parts.street_name,
        "house_number": parts.house_number,
    }
    entry = _cached(line1, city, state, zip5)
    if entry is not None:
        exact = entry.precision is None or entry.precision in EXACT_PRECISIONS
        return Centre(entry.latitude, entry.longitude, "cache", exact, **known)  # type: ignore[arg-type]
    resident = _resident(actor, line1, zip5) if line1 else None
    if resident is not None:
        return Centre(
            resident.latitude,
            resident.longitude,
            "resident",
            located_exactly(resident.geo_source, resident.geo_precision),
            **{**known, "zip5": zip5 or resident.res_zip5},
        )
    point = zip_centroid(zip5)
    if point is not None:
        return Centre(point[0], point[1], "zip_centroid", False, **known)
    raise ValidationFailed([("near", _("We can't place that address: add its ZIP code."))])


def _resident(actor: User | None, line1: str, zip5: str | None) -> sa.Row | None:
    """A located person in scope living at this address line (exact locations first)."""
    clause = search_clause(line1)
    if clause is None:
        return None
    where = [clause, contact_scope(actor), Contact.latitude.is_not(None)]
    if zip5:
        where.append(Contact.res_zip5 == zip5)
    rows = db.session.execute(
        sa.select(
            Contact.latitude,
            Contact.longitude,
            Contact.geo_source,
            Contact.geo_precision,
            Contact.res_zip5,
        )
        .where(*where)
        .limit(20)
    ).all()
    rows.sort(key=lambda r: not located_exactly(r.geo_source, r.geo_precision))
    return rows[0] if rows else None


def people_named(actor: User | None, text: str) -> list[NearbyContact]:
    """Contacts in the actor's scope matching a typed name (the contacts search), to pick a
    starting point from; ``located`` says which can be one. At most MAX_CANDIDATES."""
    clause = search_clause(text)
    if clause is None:
        return []
    rows = db.session.execute(
        sa.select(
            Contact.id,
            Contact.display_name,
            Contact.res_line1,
            Contact.res_city,
            Contact.res_state,
            Contact.res_zip5,
            Contact.latitude.is_not(None).label("located"),
        )
        .where(clause, contact_scope(actor))
        .order_by(Contact.search_name.concat(""), Contact.id)
        .limit(MAX_CANDIDATES)
    ).all()
    return [
        NearbyContact(
            r.id,
            r.display_name,
            _address(r.res_line1, r.res_city, r.res_state, r.res_zip5),
            bool(r.located),
        )
        for r in rows
    ]


def find_centre(actor: User | None, near: str) -> Centre | list[NearbyContact]:
    """Start at what was typed: an address (it starts with a house number or ends with a ZIP
    code), else a person's name. A name fitting one located person is that person; several
    people come back as a list to pick from. Raises ValidationFailed when nothing fits."""
    text = " ".join((near or "").split())
    if not text:
        raise ValidationFailed([("near", _("Type a name or an address."))])
    if text[0].isdigit() or _ZIP.search(text):
        return address_centre(actor, *split_typed_address(text))
    people = people_named(actor, text)
    if not people:
        raise ValidationFailed([("near", _("Nobody you can see has that name."))])
    if len(people) == 1:
        return contact_centre(actor, people[0].id)
    return people


# -- the search ---------------------------------------------------------------------------


def radius_search(
    actor: User,
    centre: Centre,
    miles: float,
    *,
    doors: bool = False,
    limit: int = 200,
) -> list[Nearby]:
    """Contacts (or doors) in the actor's scope within `miles` of the centre, ranked as the
    module docstring says.

    An indexed bounding-box prefilter on (latitude, longitude), then the distance
    (fieldcrm.lib.geo.haversine_miles). With `doors`, residents of one household are one
    row (the best-ranked resident stands for it). Raises ValidationFailed for a bad point or
    radius. Two queries.
    """
    if not 0 < miles <= MAX_MILES:
        raise ValidationFailed([("miles", _("Search within 0 to 50 miles."))])
    try:
        min_lat, max_lat, min_lon, max_lon = bounding_box(centre.lat, centre.lon, miles)
    except ValueError as exc:
        raise ValidationFailed([(None, str(exc))]) from exc
    candidates = db.session.execute(
        sa.select(
            Contact.id,
            Contact.latitude,
            Contact.longitude,
            Contact.household_key,
            Contact.geo_source,
            Contact.geo_precision,
            Contact.res_zip5,
            Contact.res_street_name,
            Contact.res_house_number,
        ).where(
            Contact.latitude.between(min_lat, max_lat),
            Contact.longitude.between(min_lon, max_lon),
            contact_scope(actor),
        )
    ).all()
    approx = _great_circle_miles(
        centre.lat, centre.lon, [c.latitude for c in candidates], [c.longitude for c in candidates]
    )
    ranked = []
    for row, rough in zip(candidates, approx, strict=True):
        if rough <= miles * (1 + 1e-9):
            ranked.append((_rank(centre, row, float(rough)), row))
    ranked.sort(key=lambda item: item[0])
    people: dict[str, int] = {}
    if doors:
        picked = []
        for item in ranked:
            door = item[1].household_key or f"contact:{item[1].id}"
            people[door] = people.get(door, 0) + 1
            if people[door] == 1:
                picked.append(item)
        ranked = picked
    found = []
    for _rank_key, row in ranked[:limit]:
        distance = haversine_miles((centre.lat, centre.lon), (row.latitude, row.longitude))
        if distance <= miles:
            found.append((distance, row))
    shown = _shown_contacts([row.id for _d, row in found])
    out = []
    for distance, row in found:
        zip_only = not located_exactly(row.geo_source, row.geo_precision)
        out.append(
            Nearby(
                shown[row.id],
                distance,
                people.get(row.household_key or f"contact:{row.id}", 1),
                zip_only=zip_only,
                exact=centre.exact and not zip_only,
                zip5=row.res_zip5,
            )
        )
    return out


def _rank(centre: Centre, row: sa.Row, miles: float) -> tuple:
    """Exact locations by distance; then ZIP-only ones by their centre's distance, the
    starting point's street first (nearest house number), then by id."""
    if located_exactly(row.geo_source, row.geo_precision):
        return (0, miles, 0, 0, row.id)
    same_street = bool(centre.street) and row.res_street_name == centre.street
    gap = (
        abs(row.res_house_number - centre.house_number)
        if same_street and row.res_house_number is not None and centre.house_number is not None
        else math.inf
    )
    return (1, round(miles, 3), not same_street, gap, row.id)


def _shown_contacts(ids: list[int]) -> dict[int, NearbyContact]:
    if not ids:
        return {}
    return {
        r.id: NearbyContact(
            r.id, r.display_name, _address(r.res_line1, r.res_city, r.res_state, r.res_zip5)
        )
        for r in db.session.execute(
            sa.select(
                Contact.id,
                Contact.display_name,
                Contact.res_line1,
                Contact.res_city,
                Contact.res_state,
                Contact.res_zip5,
            ).where(Contact.id.in_(ids))
        )
    }


def _address(line1: str | None, city: str | None, state: str | None, zip5: str | None) -> str:
    text = ", ".join(p for p in (line1, city, state) if p)
    return f"{text} {zip5 or ''}".strip()


def _great_circle_miles(lat: float, lon: float, lats: list, lons: list) -> np.ndarray:
    """geopy's great_circle formula over arrays (same radius, same atan2 form), in miles."""
    if not lats:
        return np.zeros(0)
    lat1, lng1 = math.radians(lat), math.radians(lon)
    lat2, lng2 = (
        np.radians(np.asarray(lats, dtype=float)),
        np.radians(np.asarray(lons, dtype=float)),
    )
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin_lat2, cos_lat2 = np.sin(lat2), np.cos(lat2)
    delta = lng2 - lng1
    cos_d, sin_d = np.cos(delta), np.sin(delta)
    d = np.arctan2(
        np.sqrt((cos_lat2 * sin_d) ** 2 + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_d) ** 2),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_d,
    )
    return d * EARTH_RADIUS_MILES

"""Turf outlines for the maps, and the precinct and ZIP shapes they are drawn from.

A turf's outline is what the program knows of its extent:

1. its drawn area (always, when it has one), merged with
2. the shapes of its precincts and ZIP codes that the program loaded
   (`fieldcrm turf boundaries`, `load_boundaries`);
3. with neither, the convex hull of where its people live. Only geocoded addresses count:
   people placed at their ZIP code's centre pile up on one point and say nothing about the
   turf's extent. Longitudes are bucketed to 0.001° (about 90 m) and latitudes rounded to
   0.001°, so the database returns a few hundred extreme points per turf, not every person,
   and no corner of the outline is anyone's exact home.

A turf with none of these has no outline; the maps mark it at the centre of its people.
Outlines only draw maps: who is in a turf is decided by its codes and drawn area.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit, datacache
from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.lib.geo import GeoJSONArea
from fieldcrm.lib.outline import hull_polygon, label_point, merge_areas
from fieldcrm.turf.models import Boundary, Turf

KINDS = ("precinct", "zip")
HULL_BUCKETS_PER_DEGREE = 1000


@dataclass(frozen=True)
class Outline:
    """A turf's outline: GeoJSON (None when nothing is known), what it was drawn from
    ("area", "shapes", "area+shapes", "people" or ""), and where its label goes."""

    geojson: dict[str, Any] | None
    source: str
    label_at: tuple[float, float] | None


@dataclass(frozen=True)
class BoundaryLoad:
    """What `load_boundaries` did: shapes added and replaced, and features skipped (why)."""

    added: int
    replaced: int
    skipped: list[str]


def normalise_code(kind: str, value: Any) -> str:
    """A precinct or ZIP code as turfs store it: trimmed, upper case; ZIPs as 5 digits (a
    number that lost its leading zero in a spreadsheet gets it back)."""
    code = str(value if value is not None else "").strip().upper()
    if kind == "zip":
        code = code[:5]
        if code.isdigit() and len(code) < 5:
            code = code.zfill(5)
    return code


def load_boundaries(
    actor: User | None,
    kind: str,
    data: Mapping[str, Any],
    code_property: str,
    name_property: str | None = None,
) -> BoundaryLoad:
    """Store the shapes of a GeoJSON FeatureCollection as precinct or ZIP boundaries, keyed
    by each feature's `code_property` (replacing a shape already stored under that code).

    Several features with one code (a precinct in two parts) become one shape. Features
    without the code, or whose geometry is not a valid polygon in longitude/latitude, are
    skipped and reported. Raises ValidationFailed for an unknown kind, something that is
    not a FeatureCollection, or a file no feature of which is usable. Flushes; writes a
    `boundaries.load` audit row.
    """
    if kind not in KINDS:
        raise ValidationFailed([("kind", _("Shapes are of precincts or ZIP codes."))])
    features = data.get("features") if isinstance(data, Mapping) else None
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise ValidationFailed(
            [(None, _("Give a GeoJSON FeatureCollection, one feature per %(kind)s.", kind=kind))]
        )
    parts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    skipped: list[str] = []
    for i, feature in enumerate(features):
        props = (feature.get("properties") if isinstance(feature, Mapping) else None) or {}
        code = normalise_code(kind, props.get(code_property))
        if not code or len(code) > 40:
            skipped.append(f"feature {i}: no usable {code_property!r} property")
            continue
        try:
            GeoJSONArea(feature)
        except ValueError as exc:
            skipped.append(f"feature {i} ({code}): {exc}")
            continue
        parts[code].append(feature["geometry"])
        if name_property and props.get(name_property) and code not in names:
            names[code] = str(props[name_property]).strip()[:200]
    if not parts:
        raise ValidationFailed(
            [(None, _("No feature has a usable shape and %(p)s property.", p=code_property))]
        )
    existing = {
        b.code: b
        for b in db.session.scalars(
            sa.select(Boundary).where(Boundary.kind == kind, Boundary.code.in_(list(parts)))
        )
    }
    added = replaced = 0
    for code, geometries in parts.items():
        shape = geometries[0] if len(geometries) == 1 else merge_areas(geometries, simplify=False)
        row = existing.get(code)
        if row is None:
            db.session.add(Boundary(kind=kind, code=code, name=names.get(code), geojson=shape))
            added += 1
        else:
            row.geojson, row.name = shape, names.get(code, row.name)
            replaced += 1
    db.session.flush()
    audit.record(
        "boundaries.load",
        actor=actor,
        entity_type="boundaries",
        kind=kind,
        added=added,
        replaced=replaced,
        skipped=len(skipped),
    )
    return BoundaryLoad(added=added, replaced=replaced, skipped=skipped)


def boundary_counts() -> dict[str, int]:
    """How many shapes are loaded, by kind."""
    stmt = sa.select(Boundary.kind, sa.func.count(Boundary.id)).group_by(Boundary.kind)
    return dict(db.session.execute(stmt).all())


def turf_outlines(turf_ids: Iterable[int]) -> dict[int, Outline]:
    """The outline of each turf (see module docstring), by turf id. Three queries at most,
    whatever the number of turfs.

    Callers pass the ids of turfs the viewer may see (fieldcrm.scoping.visible_turfs): a
    hull is drawn from every geocoded person of the turf, whom any staff member of that
    turf sees.
    """
    turfs = db.session.execute(
        sa.select(Turf.id, Turf.precinct_codes, Turf.zip_codes, Turf.geojson).where(
            Turf.id.in_(list(turf_ids))
        )
    ).all()
    precincts = {c for t in turfs for c in t.precinct_codes or []}
    zips = {c for t in turfs for c in t.zip_codes or []}
    shapes: dict[tuple[str, str], dict[str, Any]] = {}
    if precincts or zips:
        stmt = sa.select(Boundary.kind, Boundary.code, Boundary.geojson).where(
            sa.or_(
                sa.and_(Boundary.kind == "precinct", Boundary.code.in_(list(precincts))),
                sa.and_(Boundary.kind == "zip", Boundary.code.in_(list(zips))),
            )
        )
        shapes = {(kind, code): geo for kind, code, geo in db.session.execute(stmt)}
    outlines: dict[int, Outline] = {}
    need_hull: list[int] = []
    for turf in turfs:
        codes = [("precinct", c) for c in turf.precinct_codes or []]
        codes += [("zip", c) for c in turf.zip_codes or []]
        known = [shapes[key] for key in codes if key in shapes]
        areas = ([turf.geojson] if turf.geojson else []) + known
        merged = merge_areas(areas) if areas else None
        if merged is None:
            need_hull.append(turf.id)
            continue
        source = "+".join(s for s, on in (("area", turf.geojson), ("shapes", known)) if on)
        outlines[turf.id] = Outline(merged, source, label_point(merged))
    for turf_id, points in _edge_points(need_hull).items():
        hull = hull_polygon(points)
        if hull is not None:
            outlines[turf_id] = Outline(hull, "people", label_point(hull))
    for turf in turfs:
        outlines.setdefault(turf.id, Outline(None, "", None))
    return outlines


def cached_turf_outlines(turf_ids: Iterable[int]) -> dict[int, Outline]:
    """`turf_outlines`, reused until a write to turfs, contacts or boundaries
    (fieldcrm.datacache). The result is shared: never mutate it."""
    key = tuple(sorted(set(turf_ids)))
    return datacache.cached("turf_outlines", key, lambda: turf_outlines(key), reads_unplaced=False)


def outline_json(outline: Outline) -> dict[str, Any]:
    """An outline as the map scripts read it (static/js/maps.js)."""
    return {
        "outline": outline.geojson,
        "outline_source": outline.source,
        "label_at": list(outline.label_at) if outline.label_at else None,
    }


def _edge_points(turf_ids: list[int]) -> dict[int, list[tuple[float, float]]]:
    """Per turf, the northmost and southmost geocoded person in each ~90 m wide strip of
    longitude: every corner of the hull of the turf's people is among them, to within the
    strip's width."""
    if not turf_ids:
        return {}
    bucket = sa.func.round(Contact.longitude * sa.literal_column(str(HULL_BUCKETS_PER_DEGREE)))
    stmt = (
        sa.select(
            Contact.turf_id, bucket, sa.func.min(Contact.latitude), sa.func.max(Contact.latitude)
        )
        .where(
            Contact.turf_id.in_(turf_ids),
            Contact.latitude.is_not(None),
            Contact.longitude.is_not(None),
            sa.or_(Contact.geo_precision.is_(None), Contact.geo_precision != "zip_centroid"),
        )
        .group_by(Contact.turf_id, bucket)
    )
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for turf_id, lon_bucket, south, north in db.session.execute(stmt):
        lon = round(float(lon_bucket) / HULL_BUCKETS_PER_DEGREE, 3)
        points[turf_id].append((round(float(south), 3), lon))
        points[turf_id].append((round(float(north), 3), lon))
    return points

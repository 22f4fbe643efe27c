"""Turf outlines for maps: the convex hull of points, and areas merged into one outline.

Plain functions with no Flask and no database: `fieldcrm.turf.outlines` feeds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry import mapping, shape

# Outlines are for drawing, not for deciding who is in a turf: about 20 m of detail is plenty
# and keeps a county's precinct shapes small enough to send to a phone.
SIMPLIFY_DEGREES = 0.0002
# Turns smaller than this (in square degrees) are straight lines up to floating-point noise.
_STRAIGHT = 1e-12


def _cross(o: Sequence[float], a: Sequence[float], b: Sequence[float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of `(lat, lon)` points, as its corners in counter-clockwise order
    (on a map with north up), starting from the westernmost; the ring is not closed.

    Andrew's monotone chain, O(n log n). Duplicate points count once; collinear points on an
    edge are left out. Fewer than three distinct points, or all on one line, give the
    distinct extreme points only (0, 1 or 2), which is no area: callers check `len() >= 3`.
    """
    # work in (x, y) = (lon, lat) so "counter-clockwise" means what it does on a map
    pts = sorted({(float(lon), float(lat)) for lat, lon in points})
    if len(pts) <= 2:
        return [(y, x) for x, y in pts]
    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= _STRAIGHT:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= _STRAIGHT:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    return [(y, x) for x, y in hull]


def hull_polygon(points: Iterable[tuple[float, float]]) -> dict[str, Any] | None:
    """The convex hull of `(lat, lon)` points as a GeoJSON Polygon, or None when the points
    span no area (fewer than three distinct points, or all on one line)."""
    corners = convex_hull(points)
    if len(corners) < 3:
        return None
    ring = [[lon, lat] for lat, lon in corners]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def merge_areas(
    areas: Iterable[Mapping[str, Any]], *, simplify: bool = True
) -> dict[str, Any] | None:
    """One GeoJSON (Multi)Polygon covering every given area (GeoJSON Polygons,
    MultiPolygons, Features or FeatureCollections), simplified to SIMPLIFY_DEGREES unless
    `simplify` is False; None when none is usable.

    An area that does not parse is skipped: an outline is a drawing aid, and one bad shape
    must not hide the others.
    """
    geoms = []
    for area in areas:
        for geometry in _geometries(area):
            try:
                geom = shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError):
                continue
            if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
                continue
            geoms.append(geom if geom.is_valid else geom.buffer(0))
    if not geoms:
        return None
    merged = shapely.union_all(geoms)
    if simplify:
        merged = merged.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    if merged.is_empty:
        return None
    return _rounded(mapping(merged)) if simplify else mapping(merged)


def label_point(geojson: Mapping[str, Any]) -> tuple[float, float] | None:
    """A `(lat, lon)` point inside the area, where its name can be written on the map (the
    centre for a compact area; always inside, even for a crescent or several parts)."""
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    if geom.is_empty:
        return None
    parts = getattr(geom, "geoms", [geom])
    largest = max(parts, key=lambda g: g.area)
    point = largest.representative_point() if not largest.centroid.within(largest) else None
    point = point or largest.centroid
    return round(point.y, 5), round(point.x, 5)


def _geometries(area: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not isinstance(area, Mapping):
        return []
    kind = area.get("type")
    if kind == "FeatureCollection":
        return [g for f in area.get("features") or [] for g in _geometries(f)]
    if kind == "Feature":
        geometry = area.get("geometry")
        return [geometry] if isinstance(geometry, Mapping) else []
    return [area]


def _rounded(obj: Any) -> Any:
    """Coordinates rounded to 5 decimals (about a metre): smaller JSON, same drawing."""
    if isinstance(obj, float):
        return round(obj, 5)
    if isinstance(obj, list | tuple):
        return [_rounded(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj

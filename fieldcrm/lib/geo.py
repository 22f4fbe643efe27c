"""Geographic helpers: distances, SQL bounding boxes, GeoJSON areas and ZIP centroids."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import shapely
import zipcodes
from geopy.distance import EARTH_RADIUS, great_circle
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# geopy's mean Earth radius (6371.009 km) in statute miles, so that bounding_box agrees exactly
# with haversine_miles about what "within N miles" means.
EARTH_RADIUS_MILES: float = EARTH_RADIUS / 1.609344

# Upload limit for validate_geojson: a county's precinct file is a few MB; anything much larger
# is a mistake (or an attack) and would stall a request while shapely parses it.
MAX_GEOJSON_BYTES: int = 10_000_000

_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
_TOP_LEVEL_TYPES = frozenset({"Polygon", "MultiPolygon", "Feature", "FeatureCollection"})


def haversine_miles(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the great-circle distance in miles between two ``(lat, lon)`` points.

    Uses geopy's ``great_circle`` (the haversine-style spherical formula) rather than
    ``geodesic``: it is several times faster, and its error against the WGS-84 ellipsoid
    (under 0.5%) does not matter for "contacts within N miles" radius filters. The sphere
    radius is geopy's mean Earth radius, shared with :func:`bounding_box`.

    Raises ValueError when a point is not two numbers or a latitude or longitude is out of
    range.
    """
    return great_circle(_checked_point(a), _checked_point(b)).miles


def _checked_point(point: Sequence[float]) -> tuple[float, float]:
    # Checked here because geopy would first emit a UserWarning and then raise for a bad
    # latitude, and would silently wrap an out-of-range longitude.
    try:
        lat, lon = float(point[0]), float(point[1])
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"a point must be (latitude, longitude) numbers, got {point!r}") from exc
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude must be between -90 and 90, got {lat!r}")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude must be between -180 and 180, got {lon!r}")
    return lat, lon


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """Return ``(min_lat, max_lat, min_lon, max_lon)`` enclosing every point within ``miles``.

    Meant as an indexed SQL prefilter (``lat BETWEEN .. AND lon BETWEEN ..``) before the exact
    :func:`haversine_miles` check. The box is a guaranteed superset of the spherical circle:
    latitude spans ``±miles/R`` and longitude spans ``±asin(sin(r)/cos(lat))`` (the exact
    tangent longitudes, which are wider than the naive ``r/cos(lat)``), plus a tiny float margin.

    Edge cases, chosen so the prefilter never drops a true match:

    * When the circle reaches a pole, latitude is clamped to ±90 and longitude spans the full
      ``-180..180``.
    * When the longitude span crosses the antimeridian (western Aleutians), the box cannot be
      expressed as one ``BETWEEN`` and the full ``-180..180`` range is returned instead. It is
      less selective, but still correct; contiguous-US queries never hit this.

    Raises ValueError for a negative or non-finite radius or an out-of-range centre.
    """
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude must be between -90 and 90, got {lat!r}")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude must be between -180 and 180, got {lon!r}")
    if not (math.isfinite(miles) and miles >= 0):
        raise ValueError(f"radius in miles must be a non-negative number, got {miles!r}")

    r = miles / EARTH_RADIUS_MILES  # angular radius, radians
    # 1e-9 degrees is ~0.1 mm: enough to absorb rounding without widening the box visibly.
    eps = 1e-9
    d_lat = math.degrees(r) + eps
    min_lat, max_lat = lat - d_lat, lat + d_lat
    if r >= math.pi / 2 or max_lat >= 90.0 or min_lat <= -90.0:
        return (max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)

    phi = math.radians(lat)
    ratio = math.sin(r) / math.cos(phi)
    if ratio >= 1.0:
        return (min_lat, max_lat, -180.0, 180.0)
    d_lon = math.degrees(math.asin(ratio)) + eps
    min_lon, max_lon = lon - d_lon, lon + d_lon
    if min_lon < -180.0 or max_lon > 180.0:
        return (min_lat, max_lat, -180.0, 180.0)
    return (min_lat, max_lat, min_lon, max_lon)


def _polygonal_geometries(obj: Mapping[str, Any], where: str) -> list[BaseGeometry]:
    """Turn a GeoJSON Polygon/MultiPolygon/Feature/FeatureCollection into shapely geometries."""
    kind = obj.get("type")
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise ValueError(f"{where}: a FeatureCollection needs a non-empty 'features' list")
        geoms: list[BaseGeometry] = []
        for i, feature in enumerate(features):
            if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
                raise ValueError(f"{where}.features[{i}]: expected an object of type 'Feature'")
            geoms.extend(_polygonal_geometries(feature, f"{where}.features[{i}]"))
        return geoms
    if kind == "Feature":
        geometry = obj.get("geometry")
        if not isinstance(geometry, Mapping):
            raise ValueError(f"{where}: the Feature has no geometry")
        return _polygonal_geometries(geometry, f"{where}.geometry")
    if kind in _POLYGON_TYPES:
        return [_shape(obj, where)]
    if kind is None:
        raise ValueError(f"{where}: missing 'type'")
    raise ValueError(f"{where}: geometry type {kind!r} is not an area; use Polygon or MultiPolygon")


def _check_positions(coords: Any, where: str, depth: int) -> None:
    """Check nesting depth, numeric and in-range positions, and closed rings of 4+ positions."""
    if not isinstance(coords, list) or not coords:
        raise ValueError(f"{where}: coordinates must be a non-empty list")
    if depth > 1:
        for i, part in enumerate(coords):
            _check_positions(part, f"{where}[{i}]", depth - 1)
        return
    # depth 1: a linear ring, a list of [lon, lat] positions
    for i, pos in enumerate(coords):
        if (
            not isinstance(pos, list)
            or len(pos) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos[:2])
        ):
            raise ValueError(f"{where}[{i}]: a position must be [longitude, latitude] numbers")
        x, y = pos[0], pos[1]
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            raise ValueError(
                f"{where}[{i}]: position {pos[:2]} is out of range; GeoJSON order is "
                "[longitude, latitude]"
            )
    if len(coords) < 4:
        raise ValueError(f"{where}: a polygon ring needs at least 4 positions")
    if coords[0][:2] != coords[-1][:2]:
        raise ValueError(f"{where}: a polygon ring must end where it starts")


def _shape(geometry: Mapping[str, Any], where: str) -> BaseGeometry:
    kind = geometry["type"]
    _check_positions(
        geometry.get("coordinates"), f"{where}.coordinates", 2 if kind == "Polygon" else 3
    )
    geom = shape(geometry)
    if not geom.is_valid:
        raise ValueError(f"{where}: invalid {kind}: {explain_validity(geom)}")
    return geom


def _parse_area(geojson: Mapping[str, Any]) -> BaseGeometry:
    if not isinstance(geojson, Mapping):
        raise ValueError("GeoJSON must be an object")
    if geojson.get("type") not in _TOP_LEVEL_TYPES and geojson.get("type") is not None:
        raise ValueError(
            f"GeoJSON type {geojson.get('type')!r} is not supported; use Polygon, MultiPolygon, "
            "Feature or FeatureCollection"
        )
    geoms = _polygonal_geometries(geojson, "$")
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)


class GeoJSONArea:
    """A GeoJSON area parsed and prepared once, for testing many points quickly.

    Points exactly on the boundary count as inside, so a door on a drawn edge is never lost;
    turfs that share an edge must resolve such ties themselves (e.g. first match wins).
    """

    __slots__ = ("geometry",)

    def __init__(self, geojson: Mapping[str, Any]) -> None:
        """Parse ``geojson`` (Polygon, MultiPolygon, Feature or FeatureCollection).

        Raises ValueError when it is not a valid polygonal GeoJSON object.
        """
        self.geometry: BaseGeometry = _parse_area(geojson)
        shapely.prepare(self.geometry)

    def contains(self, lat: float, lon: float) -> bool:
        """Return True when the point lies inside the area or on its boundary."""
        return bool(shapely.intersects_xy(self.geometry, lon, lat))

    def contains_many(self, points: Iterable[tuple[float, float]]) -> list[bool]:
        """Vectorised :meth:`contains` over ``(lat, lon)`` pairs, in input order."""
        pts = list(points)
        if not pts:
            return []
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        return [bool(v) for v in shapely.intersects_xy(self.geometry, lons, lats)]

    def overlaps(self, other: GeoJSONArea) -> bool:
        """Return True when the interiors of the two areas share any point (edges don't count)."""
        return bool(shapely.relate_pattern(self.geometry, other.geometry, "T********"))


def point_in_geojson(lat: float, lon: float, geojson_dict: Mapping[str, Any]) -> bool:
    """Return True when ``(lat, lon)`` is inside (or on the edge of) a GeoJSON area.

    Parses the GeoJSON on every call; to test many points, build one :class:`GeoJSONArea`.
    Raises ValueError when the GeoJSON is not a valid Polygon/MultiPolygon/Feature/
    FeatureCollection.
    """
    return GeoJSONArea(geojson_dict).contains(lat, lon)


def validate_geojson(text: str | bytes) -> dict[str, Any]:
    """Parse uploaded or drawn GeoJSON text and return it as a dict once it is a usable area.

    Accepts a Polygon, MultiPolygon, Feature or FeatureCollection whose geometries are all
    polygons with closed rings, ``[longitude, latitude]`` positions in range, and no
    self-intersections; a leading UTF-8 byte order mark is ignored. Raises ValueError with a
    message fit to show the user (naming the offending path, e.g. ``$.features[2].geometry``)
    when the text is too large, is not JSON, or fails any of those checks.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_GEOJSON_BYTES:
        raise ValueError(
            f"GeoJSON is too large ({size:,} bytes; the limit is {MAX_GEOJSON_BYTES:,})"
        )
    # Files saved by Windows tools often start with a UTF-8 byte order mark; json rejects it.
    if isinstance(text, bytes):
        text = text.removeprefix(b"\xef\xbb\xbf")
    else:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValueError("GeoJSON is empty")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("GeoJSON must be an object with a 'type'")
    if "type" not in data:
        raise ValueError("GeoJSON must be an object with a 'type'")
    _parse_area(data)
    return data


def geojson_overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Return True when two GeoJSON areas overlap; areas that only share an edge do not.

    Raises ValueError when either is not a valid polygonal GeoJSON object.
    """
    return GeoJSONArea(a).overlaps(GeoJSONArea(b))


@functools.cache
def _zip_centroids() -> dict[str, tuple[float, float]]:
    # Built once per process from the zipcodes package's bundled data (no network). Military and
    # some PO-box ZIPs carry 0,0 as "unknown": leave those out rather than place them off Africa.
    table: dict[str, tuple[float, float]] = {}
    for row in zipcodes.list_all():
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (KeyError, TypeError, ValueError):
            continue
        if lat == 0.0 and lon == 0.0:
            continue
        table[row["zip_code"]] = (lat, lon)
    return table


def zip_centroid(zip5: str | None) -> tuple[float, float] | None:
    """Return the ``(lat, lon)`` centroid of a US ZIP code, or None when it is unknown.

    Accepts ``"02139"``, ``"02139-4307"`` and ``"021394307"`` (surrounding whitespace ignored);
    only the first five digits are used. Anything else, including ZIPs whose leading zero was
    lost to a spreadsheet (``"2139"``), returns None: repair those at import time. Never raises
    and never touches the network.
    """
    if not zip5:
        return None
    value = zip5.strip()
    if len(value) == 10 and value[5] == "-":
        value = value[:5] + value[6:]
    if len(value) not in (5, 9) or not value.isascii() or not value.isdigit():
        return None
    return _zip_centroids().get(value[:5])

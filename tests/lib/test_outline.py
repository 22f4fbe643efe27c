"""The plain outline functions: convex hull, areas merged, where a label goes."""

from __future__ import annotations

import pytest
from shapely.geometry import Point, shape

from fieldcrm.lib.outline import convex_hull, hull_polygon, label_point, merge_areas


def _square(lat0: float, lon0: float, size: float) -> dict:
    ring = [[lon0, lat0], [lon0 + size, lat0], [lon0 + size, lat0 + size], [lon0, lat0 + size]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_convex_hull__keeps_corners_drops_inside_and_edge_points():
    corners = [(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0)]
    inside = [(1.0, 1.0), (0.5, 1.5), (1.9, 0.1)]
    on_edge = [(0.0, 1.0), (1.0, 2.0)]
    hull = convex_hull(corners + inside + on_edge + corners)  # duplicates count once
    assert sorted(hull) == sorted(corners)


def test_convex_hull__counter_clockwise_from_the_west():
    # (lat, lon): a triangle; counter-clockwise on a north-up map = west, south-east, north-east
    hull = convex_hull([(36.1, -79.5), (36.0, -79.4), (36.2, -79.4)])
    assert hull == [(36.1, -79.5), (36.0, -79.4), (36.2, -79.4)]


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([], []),
        ([(1.0, 1.0), (1.0, 1.0)], [(1.0, 1.0)]),
        ([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)], [(0.0, 0.0), (3.0, 3.0)]),
    ],
)
def test_convex_hull__no_area_gives_the_extreme_points(points, expected):
    assert convex_hull(points) == expected


def test_hull_polygon__a_closed_ring_or_none():
    polygon = hull_polygon([(36.0, -79.5), (36.0, -79.4), (36.1, -79.45), (36.03, -79.45)])
    ring = polygon["coordinates"][0]
    assert polygon["type"] == "Polygon"
    assert ring[0] == ring[-1]
    assert len(ring) == 4  # three corners, closed
    assert shape(polygon).is_valid
    assert hull_polygon([(36.0, -79.5), (36.1, -79.4)]) is None
    assert hull_polygon([(36.0, -79.5), (36.05, -79.45), (36.1, -79.4)]) is None


def test_merge_areas__neighbours_become_one_outline():
    west, east = _square(36.0, -79.5, 0.1), _square(36.0, -79.4, 0.1)
    merged = merge_areas([west, {"type": "Feature", "geometry": east, "properties": {}}])
    assert merged["type"] == "Polygon"
    assert shape(merged).area == pytest.approx(0.02, rel=1e-6)


def test_merge_areas__apart_stays_apart_and_bad_shapes_are_skipped():
    a, b = _square(36.0, -79.5, 0.1), _square(36.5, -78.0, 0.1)
    broken = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}
    merged = merge_areas([a, broken, {"type": "Point", "coordinates": [0, 0]}, b])
    assert merged["type"] == "MultiPolygon"
    assert len(merged["coordinates"]) == 2
    assert merge_areas([broken]) is None
    assert merge_areas([]) is None


def test_merge_areas__simplifies_for_drawing_unless_asked_not_to():
    # a square whose edges carry 400 collinear-ish points a millimetre off the line
    ring = [[-79.5 + i * 0.00025, 36.0 + (i % 2) * 1e-8] for i in range(401)]
    ring += [[-79.4, 36.1], [-79.5, 36.1], ring[0]]
    area = {"type": "Polygon", "coordinates": [ring]}
    assert len(merge_areas([area])["coordinates"][0]) < 10
    assert len(merge_areas([area], simplify=False)["coordinates"][0]) > 400


def test_label_point__inside_even_for_a_crescent():
    # a U shape: its centroid lies in the empty middle
    u = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
    }
    lat, lon = label_point(u)
    assert shape(u).contains(Point(lon, lat))
    lat, lon = label_point(_square(36.0, -79.5, 0.1))
    assert (lat, lon) == pytest.approx((36.05, -79.45))

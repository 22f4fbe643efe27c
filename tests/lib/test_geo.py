"""Tests for fieldcrm.lib.geo."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldcrm.lib import geo

# A 1x1 degree square and a unit square with a hole, as [lon, lat] rings.
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-71.0, 42.0], [-70.0, 42.0], [-70.0, 43.0], [-71.0, 43.0], [-71.0, 42.0]]],
}
DONUT = {
    "type": "Polygon",
    "coordinates": [
        [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
        [[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0], [1.0, 1.0]],
    ],
}


def _square(x0: float, y0: float, size: float = 1.0) -> list[list[list[float]]]:
    return [
        [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]],
    ]


def test_haversine_miles__boston_to_new_york():
    # Boston Common to Times Square: 187.2 miles on the WGS-84 ellipsoid; the sphere is
    # within the documented 0.5%.
    assert geo.haversine_miles((42.3550, -71.0656), (40.7580, -73.9855)) == pytest.approx(
        187.2, rel=0.005
    )


def test_haversine_miles__zero_for_same_point():
    assert geo.haversine_miles((41.0, -87.0), (41.0, -87.0)) == 0.0


@pytest.mark.parametrize("point", [(91.0, 0.0), (0.0, 181.0), ("x", 0.0), (1.0,), (math.nan, 0)])
def test_haversine_miles__rejects_bad_point(point):
    with pytest.raises(ValueError):
        geo.haversine_miles(point, (0.0, 0.0))


def test_bounding_box__contains_the_circle_mid_latitude():
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(42.0, -71.0, 10.0)
    assert min_lat < 42.0 < max_lat
    assert min_lon < -71.0 < max_lon
    # ~10 miles is ~0.145 degrees of latitude; longitude is wider by 1/cos(42°).
    assert max_lat - 42.0 == pytest.approx(0.1447, abs=0.001)
    assert max_lon + 71.0 == pytest.approx(0.1447 / math.cos(math.radians(42.0)), abs=0.002)


def test_bounding_box__zero_radius_is_a_point():
    box = geo.bounding_box(30.0, -90.0, 0.0)
    assert box == pytest.approx((30.0, 30.0, -90.0, -90.0), abs=1e-6)


def test_bounding_box__near_pole_spans_all_longitudes():
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(89.9, 10.0, 20.0)
    assert max_lat == 90.0
    assert (min_lon, max_lon) == (-180.0, 180.0)


def test_bounding_box__across_antimeridian_spans_all_longitudes():
    # Attu Island, Alaska, is at 172.9°E; a 200-mile radius crosses 180°.
    _min_lat, _max_lat, min_lon, max_lon = geo.bounding_box(52.9, 179.5, 200.0)
    assert (min_lon, max_lon) == (-180.0, 180.0)


@pytest.mark.parametrize(
    ("lat", "lon", "miles"),
    [(91.0, 0.0, 1.0), (0.0, 181.0, 1.0), (0.0, 0.0, -1.0), (0.0, 0.0, math.nan)],
)
def test_bounding_box__rejects_bad_input(lat, lon, miles):
    with pytest.raises(ValueError):
        geo.bounding_box(lat, lon, miles)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-70, 70),
    lon=st.floats(-170, 170),
    miles=st.floats(0.1, 300),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 1),
)
def test_bounding_box__every_point_within_radius_is_inside(lat, lon, miles, bearing, fraction):
    from geopy.distance import great_circle

    dest = great_circle(miles=miles * fraction).destination((lat, lon), bearing)
    assert geo.haversine_miles((lat, lon), (dest.latitude, dest.longitude)) <= miles + 1e-6
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, miles)
    assert min_lat <= dest.latitude <= max_lat
    assert min_lon <= dest.longitude <= max_lon


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (42.5, -70.5, True),
        (43.5, -70.5, False),
        (42.0, -70.5, True),  # on the edge counts as inside
        (42.5, -69.0, False),
    ],
)
def test_point_in_geojson__polygon(lat, lon, expected):
    assert geo.point_in_geojson(lat, lon, SQUARE) is expected


def test_point_in_geojson__polygon_hole_is_outside():
    assert geo.point_in_geojson(2.0, 2.0, DONUT) is False
    assert geo.point_in_geojson(0.5, 0.5, DONUT) is True


def test_point_in_geojson__multipolygon():
    multi = {"type": "MultiPolygon", "coordinates": [_square(0, 0), _square(10, 10)]}
    assert geo.point_in_geojson(10.5, 10.5, multi) is True
    assert geo.point_in_geojson(5.0, 5.0, multi) is False


def test_point_in_geojson__feature_and_feature_collection():
    feature = {"type": "Feature", "properties": {"name": "Ward 3"}, "geometry": SQUARE}
    collection = {
        "type": "FeatureCollection",
        "features": [feature, {"type": "Feature", "properties": {}, "geometry": DONUT}],
    }
    assert geo.point_in_geojson(42.5, -70.5, feature) is True
    assert geo.point_in_geojson(0.5, 0.5, collection) is True
    assert geo.point_in_geojson(42.5, -70.5, collection) is True
    assert geo.point_in_geojson(2.0, 2.0, collection) is False


def test_geojson_area__contains_many_matches_contains():
    area = geo.GeoJSONArea(DONUT)
    points = [(0.5, 0.5), (2.0, 2.0), (5.0, 5.0), (3.5, 3.9)]
    assert area.contains_many(points) == [area.contains(lat, lon) for lat, lon in points]
    assert area.contains_many([]) == []


def test_geojson_area__rejects_point_geometry():
    with pytest.raises(ValueError, match="not supported"):
        geo.GeoJSONArea({"type": "Point", "coordinates": [0, 0]})


def test_geojson_area__tests_many_points_fast():
    import time

    area = geo.GeoJSONArea(SQUARE)
    points = [(42.0 + i / 10_000, -70.5) for i in range(10_000)]
    started = time.perf_counter()
    assert sum(area.contains_many(points)) == 10_000
    for lat, lon in points[:2000]:
        area.contains(lat, lon)
    assert time.perf_counter() - started < 0.5


def test_validate_geojson__returns_the_dict():
    text = json.dumps({"type": "Feature", "properties": {}, "geometry": SQUARE})
    assert geo.validate_geojson(text)["geometry"] == SQUARE
    assert geo.validate_geojson(text.encode())["type"] == "Feature"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be an object"),
        ('{"coordinates": []}', "must be an object with a 'type'"),
        ('{"type": "Point", "coordinates": [0, 0]}', "not supported"),
        ('{"type": "Polygon"}', "coordinates must be a non-empty list"),
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}', "at least 4"),
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}', "end where"),
        (
            '{"type": "Polygon", "coordinates": [[[42, -71], [42, 100], [43, 100], [42, -71]]]}',
            r"\[longitude, latitude\]",
        ),
        (
            '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}',
            "Self-intersection",
        ),
        ('{"type": "Polygon", "coordinates": [[["a", 0], [1, 0], [1, 1], ["a", 0]]]}', "numbers"),
        ('{"type": "Feature", "geometry": null}', "no geometry"),
        ('{"type": "FeatureCollection", "features": []}', "non-empty 'features'"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
            '{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}]}',
            r"\$\.features\[0\]\.geometry: geometry type 'LineString'",
        ),
    ],
)
def test_validate_geojson__rejects_bad_input_with_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        geo.validate_geojson(text)


def test_validate_geojson__accepts_byte_order_mark():
    text = json.dumps(SQUARE)
    assert geo.validate_geojson("\ufeff" + text) == SQUARE
    assert geo.validate_geojson(b"\xef\xbb\xbf" + text.encode()) == SQUARE


def test_validate_geojson__rejects_oversized_text(monkeypatch):
    monkeypatch.setattr(geo, "MAX_GEOJSON_BYTES", 10)
    with pytest.raises(ValueError, match="too large"):
        geo.validate_geojson(json.dumps(SQUARE))


@pytest.mark.parametrize(
    ("b", "expected"),
    [
        ({"type": "Polygon", "coordinates": _square(0.5, 0.5)}, True),
        ({"type": "Polygon", "coordinates": _square(1.0, 0.0)}, False),  # shares an edge
        ({"type": "Polygon", "coordinates": _square(1.0, 1.0)}, False),  # shares a corner
        ({"type": "Polygon", "coordinates": _square(5.0, 5.0)}, False),
        ({"type": "Polygon", "coordinates": _square(0.25, 0.25, 0.5)}, True),  # inside
    ],
)
def test_geojson_overlap__interiors_only(b, expected):
    a = {"type": "Polygon", "coordinates": _square(0.0, 0.0)}
    assert geo.geojson_overlap(a, b) is expected
    assert geo.geojson_overlap(b, a) is expected


@pytest.mark.parametrize("value", ["02139", " 02139 ", "02139-4307", "021394307"])
def test_zip_centroid__known_zip(value):
    lat, lon = geo.zip_centroid(value)
    assert lat == pytest.approx(42.36, abs=0.05)
    assert lon == pytest.approx(-71.10, abs=0.05)


@pytest.mark.parametrize("value", [None, "", "2139", "ABCDE", "00000", "0213", "02139-43", "09001"])
def test_zip_centroid__unknown_or_malformed_is_none(value):
    # 09001 is an APO military ZIP that the data set places at 0,0: treated as unknown.
    assert geo.zip_centroid(value) is None

"""Turf outlines: loaded precinct/ZIP shapes, drawn areas, the hull of people; the map data."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from shapely.geometry import Point, shape

from fieldcrm.audit import AuditEvent
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.turf import outlines
from fieldcrm.turf.models import Boundary


def _box(south: float, west: float, north: float, east: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _features(*items: tuple[dict, dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in items],
    }


E1 = _box(36.00, -79.50, 36.05, -79.45)
E2 = _box(36.00, -79.45, 36.05, -79.40)
W1 = _box(36.00, -79.60, 36.05, -79.55)


@pytest.fixture
def shapes(db):
    result = outlines.load_boundaries(
        None,
        "precinct",
        _features(({"PREC": " e1 ", "NAME": "East 1"}, E1), ({"PREC": "E2"}, E2)),
        "PREC",
        "NAME",
    )
    db.session.commit()
    return result


def test_load_boundaries__stores_by_normalised_code(shapes):
    assert (shapes.added, shapes.replaced, shapes.skipped) == (2, 0, [])
    rows = db.session.scalars(sa.select(Boundary).order_by(Boundary.code)).all()
    assert [(b.kind, b.code, b.name) for b in rows] == [
        ("precinct", "E1", "East 1"),
        ("precinct", "E2", None),
    ]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "boundaries.load"))
    assert event.details["added"] == 2


def test_load_boundaries__again_replaces_and_joins_parts_of_one_code(shapes):
    west_part, east_part = _box(36.0, -79.5, 36.02, -79.48), _box(36.0, -79.48, 36.02, -79.46)
    again = outlines.load_boundaries(
        None,
        "precinct",
        _features(({"PREC": "E1"}, west_part), ({"PREC": "E1"}, east_part)),
        "PREC",
    )
    assert (again.added, again.replaced) == (0, 1)
    stored = db.session.scalar(sa.select(Boundary).where(Boundary.code == "E1"))
    assert shape(stored.geojson).area == pytest.approx(0.02 * 0.04)
    assert stored.name == "East 1"  # kept when the new file has no name


def test_load_boundaries__skips_bad_features_and_pads_zip_codes(db):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    result = outlines.load_boundaries(
        None,
        "zip",
        _features(
            ({"ZCTA": 2139}, E1), ({"ZCTA": "27215-1234"}, E2), ({}, W1), ({"ZCTA": "1"}, bowtie)
        ),
        "ZCTA",
    )
    assert result.added == 2
    assert len(result.skipped) == 2
    assert "no usable 'ZCTA'" in result.skipped[0]
    assert "Self-intersection" in result.skipped[1]
    codes = db.session.scalars(sa.select(Boundary.code).order_by(Boundary.code)).all()
    assert codes == ["02139", "27215"]


@pytest.mark.parametrize(
    ("kind", "data", "prop"),
    [
        ("county", _features(({"P": "1"}, E1)), "P"),
        ("precinct", {"type": "Polygon", "coordinates": E1["coordinates"]}, "P"),
        ("precinct", _features(({"OTHER": "1"}, E1)), "P"),
    ],
)
def test_load_boundaries__refuses_what_it_cannot_use(db, kind, data, prop):
    with pytest.raises(ValidationFailed):
        outlines.load_boundaries(None, kind, data, prop)


def test_outlines__precinct_shapes_merge_with_a_drawn_area(world, make_turf, shapes):
    east = world.east
    east.precinct_codes = ["E1", "E2", "E9"]  # E9 has no shape: the others still draw
    drawn = make_turf("Drawn", world.piedmont, precinct_codes=["X1"])
    drawn.geojson = W1
    both = make_turf("Both", world.piedmont, precinct_codes=["E1"])
    both.geojson = W1
    db.session.commit()
    result = outlines.turf_outlines([east.id, drawn.id, both.id])
    assert result[east.id].source == "shapes"
    assert shape(result[east.id].geojson).area == pytest.approx(0.05 * 0.10)
    lat, lon = result[east.id].label_at
    assert shape(result[east.id].geojson).contains(Point(lon, lat))
    assert result[drawn.id].source == "area"
    assert result[both.id].source == "area+shapes"
    assert result[both.id].geojson["type"] == "MultiPolygon"


def test_outlines__hull_of_geocoded_people_only(world, make_contact):
    east = world.east
    corners = [(36.00, -79.50), (36.00, -79.40), (36.10, -79.40), (36.10, -79.50)]
    for lat, lon in [*corners, (36.05, -79.45)]:
        make_contact(east, latitude=lat, longitude=lon, geo_precision="rooftop")
    # a ZIP-centroid placement far away says nothing about the turf's extent
    make_contact(east, latitude=35.0, longitude=-78.0, geo_precision="zip_centroid")
    result = outlines.turf_outlines([east.id, world.west.id])
    outline = result[east.id]
    assert outline.source == "people"
    assert shape(outline.geojson).bounds == pytest.approx((-79.5, 36.0, -79.4, 36.1))
    assert outline.label_at == pytest.approx((36.05, -79.45))
    # West has nobody geocoded: no outline, the map marks its centre instead
    assert result[world.west.id] == outlines.Outline(None, "", None)


def test_outlines__hull_corners_are_rounded_not_anyones_home(world, make_contact):
    for lat, lon in [(36.00012, -79.50034), (36.00044, -79.4), (36.1, -79.45)]:
        make_contact(world.east, latitude=lat, longitude=lon, geo_precision="rooftop")
    ring = outlines.turf_outlines([world.east.id])[world.east.id].geojson["coordinates"][0]
    assert [-79.5, 36.0] in ring
    assert all(round(x, 3) == x and round(y, 3) == y for x, y in ring)


def test_outlines__cache_follows_boundary_loads(world, make_contact):
    first = outlines.cached_turf_outlines([world.east.id])
    assert first[world.east.id].source == ""
    outlines.load_boundaries(None, "precinct", _features(({"P": "E1"}, E1)), "P")
    db.session.commit()
    assert outlines.cached_turf_outlines([world.east.id])[world.east.id].source == "shapes"


def test_outlines_json__only_turfs_in_scope(login_as, world, shapes):
    data = login_as(world.organizer_ana).get("/turf/outlines.json").get_json()
    assert [t["name"] for t in data["turfs"]] == ["East"]
    east = data["turfs"][0]
    assert east["outline_source"] == "shapes"
    assert shape(east["outline"]).area == pytest.approx(0.05 * 0.05)
    assert len(east["label_at"]) == 2
    names = {
        t["name"] for t in login_as(world.director_dana).get("/turf/outlines.json").json["turfs"]
    }
    assert names == {"East", "West"}
    assert login_as(world.leader_lena).get("/turf/outlines.json").status_code == 403


def test_coverage_map__turfs_carry_outline_and_label(login_as, world, shapes):
    data = login_as(world.director_dana).get("/coverage/map.json").get_json()
    east = next(t for t in data["turfs"] if t["name"] == "East")
    west = next(t for t in data["turfs"] if t["name"] == "West")
    assert east["outline_source"] == "shapes"
    assert east["outline"]["type"] == "Polygon"
    assert west["outline"] is None
    assert west["label_at"] is None


def test_cli__loads_a_file(app, db, tmp_path):
    path = tmp_path / "precincts.geojson"
    path.write_text(json.dumps(_features(({"PREC_ID": "E1"}, E1), ({"PREC_ID": "E2"}, E2))))
    result = app.test_cli_runner().invoke(
        args=["turf", "boundaries", str(path), "--kind", "precinct", "--code-property", "PREC_ID"]
    )
    assert result.exit_code == 0, result.output
    assert "precinct shapes: 2 added, 0 replaced." in result.output
    assert db.session.scalar(sa.select(sa.func.count(Boundary.id))) == 2


def test_cli__names_the_properties_when_the_code_property_is_wrong(app, db, tmp_path):
    path = tmp_path / "precincts.geojson"
    path.write_text(json.dumps(_features(({"PREC_ID": "E1", "NAME": "x"}, E1))))
    result = app.test_cli_runner().invoke(
        args=["turf", "boundaries", str(path), "--kind", "precinct", "--code-property", "CODE"]
    )
    assert result.exit_code == 1
    assert "PREC_ID, NAME" in result.output

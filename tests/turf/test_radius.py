"""Who's nearby: real distances, people placed only by ZIP said and ranked last, a start
picked by name or typed as an address, scoped like everything else."""

from __future__ import annotations

import pytest

from fieldcrm.errors import ValidationFailed
from fieldcrm.lib.geo import zip_centroid
from fieldcrm.turf import radius
from fieldcrm.turf.models import GeocodeCacheEntry
from fieldcrm.turf.radius import Centre, radius_search

ZIP_LAT, ZIP_LON = zip_centroid("27215")


@pytest.fixture
def zip_only(street_world, make_household):
    """Four people on MAPLE ST in East the geocoder could only place at ZIP 27215's centre
    (as the offline geocoder places everybody in the demo)."""
    w = street_world
    w.maple = {
        n: make_household(
            w.east,
            n,
            "MAPLE ST",
            lat=ZIP_LAT,
            lon=ZIP_LON,
            geo_source="zip_centroid",
            geo_precision="zip_centroid",
            first_name="Zip",
            last_name=f"Maple{n}",
        )[0]
        for n in (2, 4, 9, 40)
    }
    return w


def test_radius__people_placed_only_by_zip_are_not_zero_miles_away(login_as, zip_only):
    """Around a person the geocoder put at their ZIP's centre, everybody in that ZIP used to
    be listed at "0.00 mi"."""
    w = zip_only
    client = login_as(w.organizer_ana)
    args = {"contact_id": w.maple[4].id, "miles": "1"}
    body = client.get("/turf/radius", query_string=args).get_data(as_text=True)
    assert "0.00 mi" not in body
    assert body.count("ZIP 27215 area") == 4
    assert "placed only at the centre of a ZIP code, so distances are approximate" in body
    data = client.get("/turf/radius.json", query_string=args).get_json()
    assert data["center"]["exact"] is False
    assert all(r["zip_only"] and not r["exact"] for r in data["results"])


def test_radius_search__exact_people_by_distance_before_zip_only_ones(zip_only, make_contact):
    w = zip_only
    # Half a mile north of the ZIP centre, with a real (file) location.
    far = make_contact(w.east, latitude=ZIP_LAT + 0.0072, longitude=ZIP_LON, geo_source="voterfile")
    rows = radius_search(w.organizer_ana, Centre.point(ZIP_LAT, ZIP_LON), 1.0)
    assert rows[0].contact.id == far.id
    assert rows[0].exact
    assert not rows[0].zip_only
    assert 0.45 < rows[0].miles < 0.55
    assert {r.contact.id for r in rows[1:]} == {c.id for c in w.maple.values()}
    assert all(r.zip_only and not r.exact for r in rows[1:])


def test_radius_search__zip_only_people_on_the_start_street_first(zip_only):
    w = zip_only
    centre = radius.contact_centre(w.organizer_ana, w.maple[9].id)
    assert centre.exact is False
    rows = radius_search(w.organizer_ana, centre, 1.0)
    assert [r.contact.id for r in rows] == [w.maple[n].id for n in (9, 4, 2, 40)]


def test_radius_search__ordered_by_distance_and_scoped(street_world, make_contact):
    w = street_world
    make_contact(w.west, latitude=36.0801, longitude=-79.44)  # Omar's turf, very close
    rows = radius_search(w.organizer_ana, Centre.point(36.08, -79.44), 1.0)
    miles = [r.miles for r in rows]
    assert miles == sorted(miles)
    assert miles[-1] <= 1.0
    assert rows[0].contact.id == w.oak[1][0].id
    assert all(r.exact and not r.zip_only for r in rows)
    assert all(r.contact.id != w.west_1.id for r in rows)
    assert len(rows) == 19  # OAK (13 people) and ELM (6), none of West's
    near = radius_search(w.organizer_ana, Centre.point(36.08, -79.44), 0.02)
    assert [r.contact.id for r in near] == [w.oak[1][0].id, *[c.id for c in w.oak[2]]]


def test_radius_search__doors_group_households(street_world):
    rows = radius_search(street_world.organizer_ana, Centre.point(36.08, -79.44), 1.0, doors=True)
    assert len(rows) == 18
    assert next(r for r in rows if r.contact.id == street_world.oak[2][0].id).people == 2


def test_radius_search__rejects_bad_radius(world):
    with pytest.raises(ValidationFailed):
        radius_search(world.admin_dev, Centre.point(36.0, -79.0), 0)


def test_resolve_address__cache_then_zip_centroid(db):
    from fieldcrm.extensions import db

    db.session.add(
        GeocodeCacheEntry(
            address_key="12 oak st|burlington|nc|27215",
            latitude=36.1,
            longitude=-79.4,
            source="census",
            precision="street",
        )
    )
    db.session.commit()
    assert radius.resolve_address("12 Oak Street", "Burlington", "NC", "27215") == (
        36.1,
        -79.4,
        "cache",
    )
    lat, lon, how = radius.resolve_address("99 Nowhere Rd", "Burlington", "NC", "27215")
    assert how == "zip_centroid"
    assert 35 < lat < 37
    assert radius.resolve_address("1 Main", None, None, None) is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("12 Oak St, Burlington, NC 27215", ("12 Oak St", "Burlington", "NC", "27215")),
        ("12 Oak St, Burlington NC 27215-1234", ("12 Oak St", "Burlington", "NC", "27215")),
        ("12 Oak St 27215", ("12 Oak St", None, None, "27215")),
        ("12 Oak St", ("12 Oak St", None, None, None)),
        ("12 Oak St, Burlington", ("12 Oak St", "Burlington", None, None)),
    ],
)
def test_split_typed_address(text, parts):
    assert radius.split_typed_address(text) == parts


# --- where the search starts: a name, an address ------------------------------------------


def test_find_centre__one_name_is_that_person(street_world):
    w = street_world
    person = w.oak[3][0]
    centre = radius.find_centre(w.organizer_ana, f"pat {person.last_name}")
    assert (centre.source, centre.contact_id) == ("contact", person.id)
    assert centre.label == person.display_name
    with pytest.raises(ValidationFailed):  # Eve has no location yet
        radius.find_centre(w.organizer_ana, "eve east")


def test_find_centre__several_people_to_pick_from_in_scope_only(street_world, make_contact):
    w = street_world
    make_contact(w.west, first_name="Ezra", last_name="Westside", latitude=36.0, longitude=-79.0)
    matches = radius.find_centre(w.organizer_ana, "Pat")
    assert len(matches) == radius.MAX_CANDIDATES
    assert radius.find_centre(w.organizer_omar, "ezra").label == "Ezra Westside"
    with pytest.raises(ValidationFailed):
        radius.find_centre(w.organizer_ana, "Westside")


def test_find_centre__a_typed_address_starts_where_its_resident_is(street_world):
    w = street_world
    centre = radius.find_centre(w.organizer_ana, "3 Oak St, Burlington NC 27215")
    assert centre.source == "resident"
    assert centre.exact
    assert (centre.lat, centre.lon) == (w.oak[3][0].latitude, w.oak[3][0].longitude)
    rows = radius_search(w.organizer_ana, centre, 0.01)
    assert rows[0].contact.id == w.oak[3][0].id


def test_find_centre__an_unknown_address_without_zip_is_refused(street_world):
    with pytest.raises(ValidationFailed):
        radius.find_centre(street_world.organizer_ana, "77 Nowhere Rd")


def test_radius__page_and_json_from_a_point(login_as, street_world):
    client = login_as(street_world.organizer_ana)
    args = {"lat": "36.08", "lon": "-79.44", "miles": "0.02"}
    body = client.get("/turf/radius", query_string=args).get_data(as_text=True)
    assert "3 results" in body
    data = client.get("/turf/radius.json", query_string=args).get_json()
    assert [r["id"] for r in data["results"]][0] == street_world.oak[1][0].id
    assert data["center"]["from"] == "point"
    assert data["results"][0]["exact"] is True


def test_radius__page_by_name_lists_matches_then_searches_the_picked_one(login_as, street_world):
    w = street_world
    client = login_as(w.organizer_ana)
    body = client.get("/turf/radius", query_string={"near": "Pat"}).get_data(as_text=True)
    assert "Which one?" in body
    picked = w.oak[5][0]
    assert f"contact_id={picked.id}" in body
    body = client.get(
        "/turf/radius",
        query_string={"contact_id": picked.id, "near": picked.display_name, "miles": "0.05"},
    ).get_data(as_text=True)
    assert f"Around {picked.display_name}" in body
    assert "here" in body  # the person searched around
    assert " ft" in body  # their neighbours, at real distances
    assert "0.00 mi" not in body


def test_radius__a_new_name_replaces_the_picked_person(login_as, street_world):
    w = street_world
    other = w.oak[7][0]
    data = (
        login_as(w.organizer_ana)
        .get(
            "/turf/radius.json",
            query_string={"contact_id": w.oak[5][0].id, "near": other.display_name, "miles": "1"},
        )
        .get_json()
    )
    assert data["center"]["label"] == other.display_name


def test_radius__address_not_geocoded_uses_zip_centroid(login_as, street_world):
    body = (
        login_as(street_world.organizer_ana)
        .get("/turf/radius", query_string={"near": "1 Nowhere Rd 27215", "miles": 50})
        .get_data(as_text=True)
    )
    assert "centre of its ZIP code" in body


def test_radius__address_in_parts_still_works(login_as, street_world):
    body = (
        login_as(street_world.organizer_ana)
        .get("/turf/radius", query_string={"line1": "1 Nowhere", "zip5": "27215", "miles": 50})
        .get_data(as_text=True)
    )
    assert "centre of its ZIP code" in body


def test_radius__around_contact_outside_scope_is_404(login_as, street_world):
    client = login_as(street_world.organizer_ana)
    response = client.get("/turf/radius", query_string={"contact_id": street_world.west_1.id})
    assert response.status_code == 404


def test_radius__name_outside_scope_is_not_offered(login_as, street_world):
    body = (
        login_as(street_world.organizer_ana)
        .get("/turf/radius", query_string={"near": "Wes West"})
        .get_data(as_text=True)
    )
    assert "Nobody you can see has that name." in body
    assert "Wes West" not in body.replace('value="Wes West"', "")


def test_radius__page_asks_for_no_numeric_id(login_as, world):
    body = login_as(world.organizer_ana).get("/turf/radius").get_data(as_text=True)
    assert "(id)" not in body
    assert 'name="near"' in body

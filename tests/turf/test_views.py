"""Turf pages: list, create/edit with overlaps and a reassignment job, radius."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun
from fieldcrm.turf.models import Turf

AREA = {
    "type": "Polygon",
    "coordinates": [[[-79.5, 36.0], [-79.4, 36.0], [-79.4, 36.1], [-79.5, 36.1], [-79.5, 36.0]]],
}


def test_index__director_sees_own_regions_only(login_as, world):
    body = login_as(world.director_dana).get("/turf/").get_data(as_text=True)
    assert "East" in body
    assert "West" in body
    assert "Durham" not in body


def test_new__creates_turf_and_runs_reassignment_job(login_as, world, make_contact):
    stray = make_contact(None, precinct_code="N1")
    client = login_as(world.director_dana)
    response = client.post(
        "/turf/new",
        data={"region": world.piedmont.id, "name": "North", "precinct_codes": "n1, N2"},
    )
    assert response.status_code == 302
    turf = db.session.scalar(sa.select(Turf).where(Turf.name == "North"))
    assert turf.precinct_codes == ["N1", "N2"]
    run = db.session.scalar(sa.select(JobRun).order_by(JobRun.id.desc()))
    assert response.headers["Location"].endswith(f"/turf/jobs/{run.id}")
    assert run.status == "completed"
    assert db.session.get(Contact, stray.id).turf_id == turf.id
    page = client.get(f"/turf/jobs/{run.id}.json").get_json()
    assert page["status"] == "completed"


def test_new__director_cannot_create_in_other_region(login_as, world):
    response = login_as(world.director_dana).post(
        "/turf/new", data={"region": world.triangle.id, "name": "Nope", "precinct_codes": "X1"}
    )
    assert response.status_code == 403


def test_new__uploaded_geojson_and_overlap_warning(login_as, world):
    client = login_as(world.admin_dev)
    response = client.post(
        "/turf/new",
        data={
            "region": world.piedmont.id,
            "name": "Drawn",
            "precinct_codes": "E1",
            "geojson_file": (io.BytesIO(json.dumps(AREA).encode()), "area.geojson"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Overlaps East: precincts E1." in body
    assert db.session.scalar(sa.select(Turf.geojson).where(Turf.name == "Drawn")) == AREA


def test_new__bad_geojson_is_a_field_error(login_as, world):
    response = login_as(world.admin_dev).post(
        "/turf/new",
        data={"region": world.piedmont.id, "name": "Bad", "geojson": '{"type": "Point"}'},
    )
    assert response.status_code == 422
    assert "is not supported" in response.get_data(as_text=True)


def test_edit__unchanged_definition_runs_no_job(login_as, world):
    client = login_as(world.director_dana)
    response = client.post(
        f"/turf/{world.east.id}/edit",
        data={"region": world.piedmont.id, "name": "East side", "precinct_codes": "E1"},
    )
    assert response.headers["Location"].endswith(f"/turf/{world.east.id}")
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 0


def test_edit__other_region_is_404(login_as, world):
    assert login_as(world.director_dana).get(f"/turf/{world.durham.id}/edit").status_code == 404


def test_people__assigns_organizers(login_as, world):
    client = login_as(world.director_dana)
    client.post(
        f"/turf/{world.west.id}/people",
        data={"people": [world.organizer_omar.id, world.organizer_ana.id]},
    )
    db.session.expire_all()
    names = {u.name for u in db.session.get(Turf, world.west.id).users}
    assert names == {"Omar", "Ana"}


def test_radius__page_and_json_from_a_point(login_as, street_world):
    client = login_as(street_world.organizer_ana)
    args = {"lat": "36.08", "lon": "-79.44", "miles": "0.02"}
    body = client.get("/turf/radius", query_string=args).get_data(as_text=True)
    assert "3 results" in body
    data = client.get("/turf/radius.json", query_string=args).get_json()
    assert [r["id"] for r in data["results"]][0] == street_world.oak[1][0].id
    assert data["center"]["from"] == "point"


def test_radius__address_not_geocoded_uses_zip_centroid(login_as, street_world):
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


def test_geocode_button__admin_only(login_as, world):
    assert login_as(world.director_dana).post("/turf/geocode").status_code == 403
    response = login_as(world.admin_dev).post("/turf/geocode")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(JobRun.status)) == "completed"


def test_job__other_users_job_is_404(login_as, world):
    run = JobRun(kind="geocode", created_by_id=world.admin_dev.id)
    db.session.add(run)
    db.session.commit()
    assert login_as(world.director_dana).get(f"/turf/jobs/{run.id}").status_code == 404

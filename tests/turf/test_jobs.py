"""Turf jobs: geocoding with a fake geocoder (no network) and contact reassignment."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun
from fieldcrm.lib.geocode import GeocodeResult
from fieldcrm.turf import jobs
from fieldcrm.turf.models import GeocodeCacheEntry


class FakeGeocoder:
    """Answers from a table; records every address it is asked about."""

    name = "fake"

    def __init__(self, answers: dict[str, tuple[float, float]]):
        self.answers = answers
        self.calls: list[str] = []

    def geocode(self, address: str) -> GeocodeResult | None:
        self.calls.append(address)
        for prefix, (lat, lon) in self.answers.items():
            if address.upper().startswith(prefix):
                return GeocodeResult(lat, lon, "fake", "rooftop")
        return None


@pytest.fixture
def fake_geocoder(monkeypatch):
    fake = FakeGeocoder({"10 ELM ST": (36.1, -79.4), "20 ELM ST": (36.2, -79.5)})
    monkeypatch.setattr(jobs, "geocoder_factory", lambda: fake)
    return fake


def _run(kind, func, **params):
    run = jobs.create_job_run(kind, params)
    db.session.commit()
    func(run.id)
    db.session.expire_all()
    return db.session.get(JobRun, run.id)


def test_geocode_contacts__one_call_per_address_and_fallback(world, make_contact, fake_geocoder):
    same_a = make_contact(world.east, res_line1="10 Elm St", res_zip5="27215")
    same_b = make_contact(world.east, res_line1="10 ELM STREET", res_zip5="27215")  # same key
    other = make_contact(world.east, res_line1="20 Elm St", res_zip5="27215")
    unknown = make_contact(world.east, res_line1="99 Nowhere Ln", res_zip5="27215")
    placed = make_contact(world.east, latitude=35.0, longitude=-80.0, geo_source="voterfile")
    run = _run("geocode", jobs.geocode_contacts)
    assert run.status == "completed"
    new_addresses = [c for c in fake_geocoder.calls if "MAIN ST" not in c]
    assert len(new_addresses) == 3  # 10 Elm St is asked once for two people
    assert len(fake_geocoder.calls) == 3 + 5  # plus world's five contacts on Main St
    a, b, c, u, p = (
        db.session.get(Contact, x.id) for x in (same_a, same_b, other, unknown, placed)
    )
    assert (a.latitude, a.longitude, a.geo_precision) == (36.1, -79.4, "rooftop")
    assert (b.latitude, b.longitude) == (36.1, -79.4)
    assert (c.latitude, c.longitude) == (36.2, -79.5)
    assert u.geo_source == "zip_centroid"
    assert u.geo_precision == "zip_centroid"
    assert u.latitude is not None
    assert (p.latitude, p.geo_source) == (35.0, "voterfile")  # the voter file's point is kept
    assert run.progress_done == run.progress_total == 9
    assert run.result["approximate"] >= 1


def test_geocode_contacts__cache_hits_skip_the_service(world, make_contact, fake_geocoder):
    db.session.execute(sa.update(Contact).values(latitude=1.0, longitude=1.0))
    db.session.commit()
    make_contact(world.east, res_line1="10 Elm St", res_zip5="27215")
    _run("geocode", jobs.geocode_contacts)
    assert len(fake_geocoder.calls) == 1
    assert db.session.scalar(sa.select(sa.func.count(GeocodeCacheEntry.id))) == 1
    second = make_contact(world.west, res_line1="10 ELM ST.", res_zip5="27215")
    _run("geocode", jobs.geocode_contacts)
    assert len(fake_geocoder.calls) == 1  # answered from the cache
    assert db.session.get(Contact, second.id).latitude == 36.1


def test_geocode_contacts__offline_by_default(world):
    run = _run("geocode", jobs.geocode_contacts, min_id=world.east_1.id, max_id=world.east_1.id)
    contact = db.session.get(Contact, world.east_1.id)
    assert run.status == "completed"
    assert contact.geo_precision == "zip_centroid"
    assert db.session.get(Contact, world.west_1.id).latitude is None


def test_reassign_contacts__applies_new_definition(world, make_contact):
    moved = make_contact(world.east, precinct_code="W1")
    run = _run("reassign", jobs.reassign_contacts)
    assert run.status == "completed"
    assert db.session.get(Contact, moved.id).turf_id == world.west.id
    assert run.result == {"changed": 1}


def test_jobs__missing_run_is_a_no_op(db):
    jobs.geocode_contacts(12345)
    jobs.reassign_contacts(12345)


def test_cli__geocode_and_reassign(runner, world):
    result = runner.invoke(args=["turf", "geocode"])
    assert result.exit_code == 0, result.output
    assert "completed" in result.output
    result = runner.invoke(args=["turf", "reassign"])
    assert "completed" in result.output


class FailingGeocoder:
    """A geocoding service that breaks, quoting the address it was asked about."""

    name = "failing"

    def geocode(self, address: str) -> GeocodeResult | None:
        raise RuntimeError(f"service refused {address!r}")


def test_geocode_contacts__a_failure_shows_the_error_type_never_its_message(
    world, make_contact, monkeypatch
):
    make_contact(world.east, res_line1="77 Secret Ln", res_zip5="27215")
    monkeypatch.setattr(jobs, "geocoder_factory", FailingGeocoder)
    run = jobs.create_job_run("geocode", {})
    db.session.commit()
    with pytest.raises(RuntimeError):
        jobs.geocode_contacts(run.id)
    db.session.expire_all()
    failed = db.session.get(JobRun, run.id)
    assert failed.status == "failed"
    assert failed.message == "RuntimeError"

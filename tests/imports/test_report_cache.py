"""Imports write through the raw driver connection; report caches must still see them."""

from __future__ import annotations

from fieldcrm import datacache

VAN = (
    "Voter File VANID,FirstName,LastName,Address,City,State,Zip5\n"
    "101,Rosa,Alvarez,10 Oak St,Burlington,NC,27215\n"
    "102,Marcus,Bell,12 Oak St,Burlington,NC,27215\n"
)


def test_import__bumps_the_data_version_reports_are_cached_under(write_file, import_file):
    before = datacache.data_version()
    batch = import_file(write_file("van.csv", VAN), source="van")
    assert batch.inserted == 2
    after_insert = datacache.data_version()
    assert after_insert > before
    changed = VAN.replace("Bell", "Belle")
    batch = import_file(write_file("van2.csv", changed), source="van")
    assert batch.updated == 1
    assert datacache.data_version() > after_insert


def test_import__new_people_without_a_turf_keep_per_turf_reports(write_file, import_file):
    """Coverage leaves out contacts with no turf: an import adding only such people must
    not throw its cached rows away (under a running import it never stayed cached)."""
    per_turf, everything = (
        datacache.data_version(reads_unplaced=False),
        datacache.data_version(),
    )
    batch = import_file(write_file("van.csv", VAN), source="van")
    assert batch.inserted == 2
    assert datacache.data_version(reads_unplaced=False) == per_turf
    assert datacache.data_version() > everything


def test_import__new_people_placed_on_a_turf_change_per_turf_reports(write_file, import_file, db):
    from fieldcrm.turf.models import Region, Turf

    db.session.add(Turf(name="Oak", region=Region(name="Alamance"), zip_codes=["27215"]))
    db.session.commit()
    per_turf = datacache.data_version(reads_unplaced=False)
    batch = import_file(write_file("van.csv", VAN), source="van")
    assert batch.inserted == 2
    assert datacache.data_version(reads_unplaced=False) > per_turf

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

"""The known contacts of a run: arrays, exact lookups even when voter-id hashes collide."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fieldcrm.imports import known as known_module


def ids(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="string")


@pytest.fixture
def known_world(make_contact):
    people = [make_contact(source="KN", voter_id=f"K{n}", vf_hash=f"h{n}") for n in range(6)]
    make_contact(source="OTHER", voter_id="K9")  # another source's: never known here
    flagged = make_contact(source="KN", voter_id="K6", not_in_latest_file=True)
    return [*people, flagged]


def test_load__arrays_in_database_order_with_no_python_object_per_voter(known_world):
    known = known_module.KnownContacts.load("KN")
    assert len(known) == 7
    by_voter = dict(zip(known.voter_ids.to_pylist(), known.ids.tolist(), strict=True))
    assert by_voter == {c.voter_id: c.id for c in known_world}
    assert known.ids.dtype == np.int64
    assert known.flagged.dtype == bool
    assert known.flagged.sum() == 1
    assert not known.seen.any()
    assert known.hashes_at(known.positions(ids("K2", "K6"))).tolist() == ["h2", ""]


def test_load__voter_ids_with_commas_quotes_and_line_breaks_come_back_as_they_are(make_contact):
    """PostgreSQL streams them as CSV: the reader must take quoting and line breaks."""
    odd = ["K,1", 'K"2"', "K\n3", " K4 ", "Ñ5"]
    made = {make_contact(source="ODD", voter_id=v, vf_hash=None).id: v for v in odd}
    known = known_module.KnownContacts.load("ODD")
    assert dict(zip(known.ids.tolist(), known.voter_ids.to_pylist(), strict=True)) == made
    assert known.hashes.to_pylist() == [""] * len(odd)
    assert (known.positions(ids(*odd)) >= 0).all()


def test_load__a_source_with_no_contacts_knows_nobody(known_world):
    known = known_module.KnownContacts.load("NOBODY")
    assert len(known) == 0
    assert known.positions(ids("K1", "x")).tolist() == [-1, -1]


def test_positions__known_ids_found_new_ones_minus_one(known_world):
    known = known_module.KnownContacts.load("KN")
    pos = known.positions(ids("K3", "K9", "nobody", "K0"))
    assert pos[1] == pos[2] == -1
    assert known.ids[pos[[0, 3]]].tolist() == [known_world[3].id, known_world[0].id]


def test_positions__colliding_hashes_never_match_the_wrong_person(known_world, monkeypatch):
    real = known_module._id_hashes
    # every voter id hashes to one of two values: many known ids share a hash, and unknown
    # ids hit known hashes
    monkeypatch.setattr(known_module, "_id_hashes", lambda v: real(v) % np.uint64(2))
    known = known_module.KnownContacts.load("KN")
    asked = ids("K5", "K1", "stranger", "K6", "K9", "K0")
    pos = known.positions(asked)
    found = [known.voter_ids.to_pylist()[p] if p >= 0 else None for p in pos]
    assert found == ["K5", "K1", None, "K6", None, "K0"]


def test_positions__a_collision_with_one_known_id_is_confirmed_against_the_id(
    known_world, monkeypatch
):
    real = known_module._id_hashes
    monkeypatch.setattr(
        known_module,
        "_id_hashes",
        lambda v: np.where(
            np.asarray(v, dtype=object) == "twin", real(np.array(["K4"], object))[0], real(v)
        ),
    )
    known = known_module.KnownContacts.load("KN")
    pos = known.positions(ids("twin", "K4"))
    assert pos[0] == -1
    assert known.voter_ids.to_pylist()[pos[1]] == "K4"


def test_hash_differs__compares_the_stored_hash_with_the_file_rows(known_world):
    known = known_module.KnownContacts.load("KN")
    pos = known.positions(ids("K1", "K2", "K6"))
    row_hashes = pd.Series(pd.array(["h1", "changed", ""], dtype="string[pyarrow]"))
    assert known.hash_differs(pos, row_hashes).tolist() == [False, True, False]


def test_add__another_sources_contacts_become_known_under_new_ids(known_world, make_contact):
    known = known_module.KnownContacts.load("KN")
    van = make_contact(source="VAN", voter_id="100", vf_hash="hv")
    known.add(["100"], [van.id], ["hv"])
    pos = known.positions(ids("100", "K2"))
    assert known.ids[pos[0]] == van.id
    assert known.hashes_at(pos[:1]).tolist() == ["hv"]
    assert known.voter_ids.to_pylist()[pos[1]] == "K2"
    assert len(known.seen) == len(known.flagged) == len(known) == 8
    assert not known.flagged[pos[0]]


def _by_id(known) -> dict[int, tuple]:
    return {
        i: (v, h, bool(f))
        for i, v, h, f in zip(
            known.ids.tolist(), known.voter_ids.to_pylist(), known.hashes.to_pylist(),
            known.flagged.tolist(), strict=True,
        )
    }  # fmt: skip


def test_load__reading_processes_load_shares_of_a_sqlite_file__the_same_contacts(
    sqlite_file_app, monkeypatch
):
    """On an SQLite file the reading processes started for the run load shares of the
    contacts (by ranges of ids) while this process loads its own: the same contacts, line
    digests included, and the readers read their file afterwards as before."""
    import sqlalchemy as sa

    from fieldcrm.contacts.models import Contact
    from fieldcrm.extensions import db
    from fieldcrm.imports.reading import parallel

    app = sqlite_file_app()
    monkeypatch.setattr(known_module, "SHARE_MIN_CONTACTS", 1)
    with app.app_context():
        rows = []
        for n in range(300):  # the source's people between others', some without a voter id
            source = "KN" if n % 3 else ("OTHER" if n % 2 else "KN")
            voter_id = None if n % 17 == 0 else f"V{n}"
            rows.append({
                "source": source, "voter_id": voter_id, "display_name": f"P{n}",
                "vf_hash": f"h{n}", "not_in_latest_file": n % 5 == 0,
                "vf_line_hash": f"{n:032x}",
            })  # fmt: skip
        db.session.execute(sa.insert(Contact), rows)
        db.session.commit()
        alone = known_module.KnownContacts.load("KN", line_index=True)
        helpers = parallel.Warm(2)
        try:
            shared = known_module.KnownContacts.load("KN", line_index=True, helpers=helpers)
            assert all(p.is_alive() for p in helpers.processes)  # still waiting for a file
        finally:
            helpers.close()
        assert len(shared) == len(alone) > 150
        assert _by_id(shared) == _by_id(alone)
        assert shared.ids[shared.positions(ids("V1", "V2", "V4", "V299"))].tolist() == (
            alone.ids[alone.positions(ids("V1", "V2", "V4", "V299"))].tolist()
        )
        assert shared.positions(ids("V0", "V3")).tolist() == [-1, -1]  # none; another's
        assert len(shared.line_index) == len(alone.line_index)


def test_load__a_reading_process_that_fails_its_share__the_caller_gets_the_error(tmp_path):
    from fieldcrm.imports.reading import parallel

    helpers = parallel.Warm(1)
    try:
        # a database path the reading process cannot open
        helpers.call(0, known_module.sqlite_range, (str(tmp_path / "no" / "x"), "KN", (0, 1)))
        with pytest.raises(Exception, match="unable to open"):
            helpers.result(0)
    finally:
        helpers.close()

"""What a file carries and its row hashes (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldcrm.imports import reading
from fieldcrm.imports.changes import Carried, carried_columns, changed_columns
from fieldcrm.imports.layouts import LAYOUTS


def _hashes(path: Path) -> list[str]:
    detection = reading.detect(path)
    return [h for c in reading.iter_chunks(path, detection) for h in c.frame["row_hash"]]


def test_carried__a_voter_file_carries_its_mapped_columns_only():
    nc = LAYOUTS["nc_current"]
    carried = carried_columns({"voter_id": "ncid", "res_line1": "a", "res_zip": "z"}, nc)
    assert set(carried.compared) == {"res_line1", "res_zip5"}
    assert {"res_unit", "household_key"} <= set(carried.derived)
    assert carried.fill == ("res_zip4",)
    assert (carried.phones, carried.email, carried.additive) == (False, False, False)
    geo = carried_columns({"voter_id": "v", "latitude": "la", "longitude": "lo"}, None)
    assert geo.fill == ("latitude", "longitude", "geo_source")
    assert "birth_date" not in geo.written


def test_carried__the_export_layout_only_adds_phones_and_emails():
    export = LAYOUTS["fieldcrm_export"]
    carried = carried_columns({"voter_id": "voter_id", "phone": "phones", "email": "e"}, export)
    assert (carried.phones, carried.email, carried.additive) == (True, True, True)


def test_row_hash__same_values_same_hash_whatever_the_line_looks_like(tmp_path):
    plain = tmp_path / "a.csv"
    plain.write_text("Voter ID,First Name,Last Name,Cell Phone,Home Phone\n1,Ann,Lee,3365550101,\n")
    other = tmp_path / "b.csv"
    other.write_bytes(
        b'"Voter ID","First Name","Last Name","Cell Phone","Home Phone","E1"\r\n'
        b'"1","  Ann ","Lee","(336) 555-0101","","Y"\r\n'
    )
    assert _hashes(plain) == _hashes(other)
    moved = tmp_path / "c.csv"
    moved.write_text("Voter ID,First Name,Last Name,Cell Phone,Home Phone\n1,Ann,Lee,,3365550101\n")
    assert _hashes(moved) == _hashes(plain)  # the same phone, in another column
    changed = tmp_path / "d.csv"
    changed.write_text(
        "Voter ID,First Name,Last Name,Cell Phone,Home Phone\n1,Ann,Lee,3365550102,\n"
    )
    assert _hashes(changed) != _hashes(plain)
    narrower = tmp_path / "e.csv"
    narrower.write_text("Voter ID,First Name,Last Name\n1,Ann,Lee\n")
    assert _hashes(narrower)[0][:8] != _hashes(plain)[0][:8]  # another shape, another tag


def test_row_hash__a_row_without_phones_hashes_alike_whoever_shares_its_chunk(tmp_path):
    """A row with no phone hashed differently when no other row of its chunk had one: the
    last row of a file, alone in its chunk, was rewritten by every refresh that appended
    rows after it (and again when the file shrank back)."""
    path = tmp_path / "a.csv"
    path.write_text("Voter ID,First Name,Last Name,Cell Phone\n1,Ann,Lee,3365550101\n2,Bo,Diaz,\n")
    detection = reading.detect(path)
    together = [h for c in reading.iter_chunks(path, detection) for h in c.frame["row_hash"]]
    apart = [
        h for c in reading.iter_chunks(path, detection, chunk_rows=1) for h in c.frame["row_hash"]
    ]
    assert len(apart) == 2
    assert apart == together


_WRITTEN = Carried(
    compared=("first_name", "last_name", "res_zip5"),
    derived=("search_name", "search_first", "household_key"),
    fill=("res_zip4",),
)
_VALUE = st.sampled_from([None, "a", "b", 1, 2.5])


def _changed_row_by_row(carried: Carried, values: dict, stored: list[tuple]) -> list[tuple]:
    """The rule as the writer stated it a row at a time (before it compared by column)."""
    written = list(carried.written)
    out = []
    for i, before in enumerate(stored):
        differs = {
            name
            for k, name in enumerate(written)
            if values[name][i] != before[k]
            and not (name in carried.fill and values[name][i] is None)
        }
        out.append(
            tuple(
                name
                for name in written
                if name in differs
                and (name not in carried.derived or set(carried.sources(name)) & differs)
            )
        )
    return out


@given(st.lists(st.tuples(st.lists(_VALUE, min_size=7, max_size=7),
                          st.lists(_VALUE, min_size=7, max_size=7)), max_size=12))  # fmt: skip
def test_changed_columns__match_the_rule_row_by_row(rows):
    """A column changes where it differs; a fill column only where the file has a value; a
    derived one only where a column it comes from changes too."""
    written = _WRITTEN.written
    values = {name: [new[k] for new, _ in rows] for k, name in enumerate(written)}
    stored = [tuple(old) for _, old in rows]
    changed = changed_columns(_WRITTEN, values, stored)
    assert changed.shape == (len(written), len(rows))
    got = [tuple(n for k, n in enumerate(written) if changed[k, i]) for i in range(len(rows))]
    assert got == _changed_row_by_row(_WRITTEN, values, stored)


def test_changed_columns__examples():
    written = _WRITTEN.written  # first, last, zip5, search_name, search_first, household, zip4
    values = {name: [] for name in written}
    stored = []
    for new, old in [
        (("Ann", "Lee", "27302", "ann lee", "ann", "h1", None),
         ("Ann", "Lee", "27302", "ann lee", "ann", "h1", "1234")),  # no ZIP+4: kept
        (("Ann", "Lee", "27302", "ANN LEE", "ann", "h1", "1234"),
         ("Ann", "Lee", "27302", "ann lee", "ann", "h1", "1234")),  # key alone: not rewritten
        (("Anne", "Lee", "27302", "anne lee", "anne", "h1", "9999"),
         ("Ann", "Lee", "27302", "ann lee", "ann", "h1", "1234")),
    ]:  # fmt: skip
        for name, value in zip(written, new, strict=True):
            values[name].append(value)
        stored.append(old)
    changed = changed_columns(_WRITTEN, values, stored)
    assert not changed[:, 0].any()
    assert not changed[:, 1].any()
    assert [n for k, n in enumerate(written) if changed[k, 2]] == [
        "first_name", "search_name", "search_first", "res_zip4"
    ]  # fmt: skip


def _after(written, values, stored_full, changed, i) -> tuple:
    """Row ``i`` as stored after an UPDATE naming the columns ``changed`` marks."""
    return tuple(
        values[name][i] if changed[k, i] else stored_full[i][k] for k, name in enumerate(written)
    )


@given(
    st.lists(st.tuples(st.lists(_VALUE, min_size=7, max_size=7),
                       st.lists(_VALUE, min_size=7, max_size=7)), max_size=12),
    st.sets(st.sampled_from(["res_zip5", "search_name", "search_first", "household_key",
                             "res_zip4"])),
)  # fmt: skip
def test_changed_columns__tracking_fewer_columns_stores_the_same_rows(rows, more):
    """Reading back only some columns (the indexed ones and what derived ones come from)
    names the others whatever their value: every row ends as with every column compared,
    and no tracked column is named unless it changes."""
    written = _WRITTEN.written
    tracked = {"first_name", "last_name", "res_zip5", *more}  # the derived ones' sources
    values = {name: [new[k] for new, _ in rows] for k, name in enumerate(written)}
    stored = [tuple(old) for _, old in rows]
    full = changed_columns(_WRITTEN, values, stored)
    part = changed_columns(
        _WRITTEN,
        values,
        [tuple(v for k, v in enumerate(old) if written[k] in tracked) for old in stored],
        tracked,
    )
    for i in range(len(rows)):
        assert _after(written, values, stored, part, i) == _after(written, values, stored, full, i)
    for k, name in enumerate(written):
        if name in tracked:
            assert (part[k] == full[k]).all()


def test_changed_columns__a_derived_column_needs_its_sources_tracked():
    with pytest.raises(ValueError, match="search_name"):
        changed_columns(_WRITTEN, {n: [] for n in _WRITTEN.written}, [], {"search_name"})

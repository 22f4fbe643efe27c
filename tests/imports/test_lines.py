"""A refresh passes on unparsed the lines its contacts were last written from
(fieldcrm.imports.reading.lines), with the same outcome as reading them in full."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports import reading
from fieldcrm.imports.known import KnownContacts
from fieldcrm.imports.reading import lines, parallel, streaming
from tests.fixtures.imports import snapshot

HEADER = "Voter ID,First Name,Last Name,DOB,Address,City,Zip,Party"


def sheet(*rows: str, header: str = HEADER) -> str:
    return header + "\r\n" + "".join(row + "\r\n" for row in rows)


ANN = "1,Ann,Lee,1980-04-05,1 Main St,Burlington,27215,D"
BOB = "2,Bob,Ray,1975-01-02,2 Oak Ave,Burlington,27215,R"
CY = "3,Cy,Fox,1990-07-08,3 Elm Rd,Graham,27253,U"


@pytest.fixture
def parsed(monkeypatch):
    """The line numbers of the rows normalised (parsed in full), over every import."""
    seen: list[int] = []
    normalise = streaming.normalise

    def spy(table, detection, member, numbers, warnings, **kwargs):
        seen.extend(int(n) for n in numbers)
        return normalise(table, detection, member, numbers, warnings, **kwargs)

    monkeypatch.setattr(streaming, "normalise", spy)
    return seen


def _digests() -> dict[str, str | None]:
    return dict(db.session.execute(sa.select(Contact.voter_id, Contact.vf_line_hash)).all())


def test_reimport__the_same_file_parses_no_row(import_file, write_file, parsed):
    path = write_file("a.csv", sheet(ANN, BOB, CY))
    first = import_file(path, source="L2")
    assert first.inserted == 3
    assert sorted(parsed) == [2, 3, 4]
    digests = _digests()
    assert all(d is not None and len(d) == 32 for d in digests.values())
    before = snapshot("L2")
    parsed.clear()
    again = import_file(write_file("b.csv", sheet(ANN, BOB, CY)), source="L2")
    assert parsed == []
    assert (again.rows_read, again.unchanged, again.inserted, again.updated) == (3, 3, 0, 0)
    assert snapshot("L2") == before
    assert _digests() == digests


def test_reimport__only_a_changed_line_is_parsed_and_its_digest_moves(
    import_file, write_file, parsed
):
    import_file(write_file("a.csv", sheet(ANN, BOB, CY)), source="L2")
    digests = _digests()
    parsed.clear()
    moved = BOB.replace(",R", ",D")
    batch = import_file(write_file("b.csv", sheet(ANN, moved, CY)), source="L2")
    assert parsed == [3]
    assert (batch.updated, batch.unchanged) == (1, 2)
    assert db.session.scalar(sa.select(Contact.party).where(Contact.voter_id == "2")) == "D"
    after = _digests()
    assert after["2"] != digests["2"]
    assert (after["1"], after["3"]) == (digests["1"], digests["3"])


def test_reimport__new_line_endings_still_skipped_another_shape_read_in_full(
    import_file, write_file, parsed
):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    parsed.clear()
    batch = import_file(write_file("b.csv", sheet(ANN, BOB).replace("\r\n", "\n")), source="L2")
    assert parsed == []
    assert batch.unchanged == 2
    # the same people under another column order: every line read, nothing changes
    header = "First Name,Voter ID,Last Name,DOB,Address,City,Zip,Party"
    swapped = [",".join([r.split(",")[1], r.split(",")[0], *r.split(",")[2:]]) for r in (ANN, BOB)]
    batch = import_file(write_file("c.csv", sheet(*swapped, header=header)), source="L2")
    assert sorted(parsed) == [2, 3]
    assert (batch.unchanged, batch.updated) == (2, 0)


def test_line_keys__name_the_source_and_how_the_file_is_read(write_file):
    detection = reading.detect(write_file("a.csv", sheet(ANN)))
    keys = lines.line_keys(detection, "L2")
    assert lines.line_keys(detection, "L2") == keys
    assert lines.line_keys(detection, "VAN") != keys
    detection.mapping = {**detection.mapping, "party": None}
    assert lines.line_keys(detection, "L2") != keys


def test_line_keys__a_phonenumbers_release_reads_every_line_again(write_file, monkeypatch):
    detection = reading.detect(write_file("a.csv", sheet(ANN)))
    keys = lines.line_keys(detection, "L2")
    monkeypatch.setattr(lines.phonenumbers, "__version__", "0.0.1")
    assert lines.line_keys(detection, "L2") != keys


def test_reimport__a_repeated_voter_id_first_line_wins_parsed_or_not(
    import_file, write_file, parsed
):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    moved = ANN.replace(",D", ",R")
    # the stored line first: it wins, the changed one after it is a duplicate
    batch = import_file(write_file("b.csv", sheet(ANN, moved, BOB)), source="L2")
    assert (batch.unchanged, batch.updated, batch.duplicates) == (2, 0, 1)
    assert db.session.scalar(sa.select(Contact.party).where(Contact.voter_id == "1")) == "D"
    # the changed line first: it wins, the stored line after it is a duplicate
    batch = import_file(write_file("c.csv", sheet(moved, BOB, ANN)), source="L2")
    assert (batch.unchanged, batch.updated, batch.duplicates) == (1, 1, 1)
    assert db.session.scalar(sa.select(Contact.party).where(Contact.voter_id == "1")) == "R"
    # a stored line twice: the second is a duplicate, reported by its line and voter id
    import_file(write_file("d.csv", sheet(moved, BOB)), source="L2")
    parsed.clear()
    batch = import_file(write_file("e.csv", sheet(moved, BOB, moved)), source="L2")
    assert parsed == []
    assert (batch.unchanged, batch.duplicates) == (2, 1)
    from fieldcrm.imports.models import ImportRowError

    errors = db.session.execute(
        sa.select(ImportRowError.line, ImportRowError.kind).where(
            ImportRowError.batch_id == batch.id
        )
    ).all()
    assert [(line, kind) for line, kind in errors] == [(4, "duplicate")]


def test_reimport__a_skipped_line_clears_not_in_latest_file(import_file, write_file, parsed):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    import_file(write_file("b.csv", sheet(ANN)), source="L2")
    flag = sa.select(Contact.not_in_latest_file).where(Contact.voter_id == "2")
    assert db.session.scalar(flag) is True
    parsed.clear()
    batch = import_file(write_file("c.csv", sheet(ANN, BOB)), source="L2")
    assert parsed == []
    assert batch.unchanged == 2
    db.session.expire_all()
    assert db.session.scalar(flag) is False


def test_reimport__a_deleted_contact_comes_back(import_file, write_file):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    db.session.execute(sa.delete(Contact).where(Contact.voter_id == "2"))
    db.session.commit()
    batch = import_file(write_file("b.csv", sheet(ANN, BOB)), source="L2")
    assert (batch.inserted, batch.unchanged) == (1, 1)


def test_digest__not_kept_for_a_row_read_against_today(import_file, write_file, parsed):
    """A date that cannot be read may be one after today: a later day reads it, so such a
    row is parsed every time."""
    odd = "4,Di,Orr,2999-01-01,4 Ash Ct,Graham,27253,D"
    import_file(write_file("a.csv", sheet(ANN, odd)), source="L2")
    assert _digests()["4"] is None
    assert _digests()["1"] is not None
    parsed.clear()
    batch = import_file(write_file("b.csv", sheet(ANN, odd)), source="L2")
    assert parsed == [3]
    assert batch.unchanged == 2


def test_digest__a_row_hash_of_an_older_version_is_compared_again(import_file, write_file, parsed):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    db.session.execute(sa.update(Contact).values(vf_hash="0123456789abcdef"))
    db.session.commit()
    parsed.clear()
    batch = import_file(write_file("b.csv", sheet(ANN, BOB)), source="L2")
    assert sorted(parsed) == [2, 3]
    assert batch.unchanged == 2


def test_parallel_reader__maps_the_index_and_skips_the_same_lines(
    monkeypatch, import_file, write_file
):
    path = write_file("a.csv", sheet(ANN, BOB, CY) + "".join(
        f"{n},P{n},Q{n},1980-01-01,{n} Pine St,Graham,27253,D\r\n" for n in range(5, 40)
    ))  # fmt: skip
    import_file(path, source="L2")
    changed = path.read_text().replace("7,P7,", "7,Pia,")
    path = write_file("b.csv", changed)
    detection = reading.detect(path)
    known = KnownContacts.load("L2", line_index=True)
    index = known.line_index
    assert index is not None
    assert len(index) == 38
    skip = lines.LineSkip(lines.line_keys(detection, "L2"), str(index.folder))
    in_process = list(reading.iter_chunks(path, detection, chunk_rows=7, skip=skip))
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    from_processes = list(parallel.iter_chunks(path, detection, chunk_rows=7, skip=skip))
    assert [c.start_row for c in from_processes] == [c.start_row for c in in_process]
    for a, b in zip(from_processes, in_process, strict=True):
        assert a.frame.equals(b.frame)
        assert np.array_equal(a.skipped_lines, b.skipped_lines)
        assert np.array_equal(a.skipped_pos, b.skipped_pos)
        assert a.rows_read == len(a.numbers) == len(a.frame) + len(a.skipped_lines)
    read = [int(n) for c in in_process for n in c.frame["line"]]
    assert read == [7]  # voter 7's line, the only one changed


def test_known_contacts__load_the_line_index_only_when_asked(import_file, write_file):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    assert KnownContacts.load("L2").line_index is None
    known = KnownContacts.load("L2", line_index=True)
    index = known.line_index
    assert index is not None
    assert sorted(index.positions.tolist()) == [0, 1]
    folder = index.folder
    assert folder.is_dir()
    del known, index
    import gc

    gc.collect()
    assert not folder.exists()  # the files go with the known contacts


@pytest.fixture(autouse=True)
def _folders(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()


def test_known_contacts__a_failed_load_leaves_no_folder(
    import_file, write_file, monkeypatch, tmp_path
):
    import_file(write_file("a.csv", sheet(ANN, BOB)), source="L2")
    import tempfile

    from fieldcrm.imports import known as known_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spare"))
    (tmp_path / "spare").mkdir()

    def failing_after(real):
        def read(connection, source, *args):
            yield from real(connection, source, *args)
            raise OSError("the connection dropped")

        return read

    for name in ("sqlite_batches", "_batches_pg"):
        monkeypatch.setattr(known_module, name, failing_after(getattr(known_module, name)))
    with pytest.raises(OSError, match="dropped"):
        KnownContacts.load("L2", line_index=True)
    assert list((tmp_path / "spare").iterdir()) == []


def _index(tmp_path, pairs, usable=None, batch=2):
    writer = lines.LineIndexWriter(tmp_path)
    for at in range(0, len(pairs), batch):
        writer.add(pairs[at : at + batch], None if usable is None else usable[at : at + batch])
    return writer.finish()


def test_line_index__first_halves_that_collide_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.setattr(lines.LineIndexWriter, "SLICE", 2)  # sorted in several slices
    pairs = np.array([[5, 1], [5, 2], [7, 3], [0, 0], [5, 9]], dtype=np.uint64)
    index = _index(tmp_path / "a", pairs)
    assert len(index) == 4  # (0, 0): none stored
    wanted = np.array([[5, 2], [5, 9], [5, 4], [7, 3], [6, 1], [9, 9]], dtype=np.uint64)
    assert index.find(wanted).tolist() == [1, 4, -1, 2, -1, -1]
    usable = np.array([1, 0, 1, 1, 1], bool)
    assert _index(tmp_path / "b", pairs, usable).find(wanted).tolist() == [-1, 4, -1, 2, -1, -1]
    assert len(_index(tmp_path / "c", pairs[:0])) == 0  # no contacts: empty files


def test_line_hash_text__round_trips():
    pairs = lines.line_hashes([b"a,b\r\n", b"c,d", b"a,b\n"], ("0123456789abcdef", "f" * 16))
    assert (pairs[0] == pairs[2]).all()
    assert not (pairs[0] == pairs[1]).all()
    text = lines.text_array(pairs, np.array([True, False, True]), 3)
    assert text[1].as_py() is None
    assert len(text[0].as_py()) == 32
    back = lines.from_text(text.to_pylist())
    assert (back[0] == pairs[0]).all()
    assert (back[1] == 0).all()
    assert (lines.from_text(["zz" * 16, None]) == 0).all()

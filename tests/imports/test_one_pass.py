"""An import reads and normalises its file once: the command line counts the impact while it
writes, the web's start reads what the check normalised, stored files are linked, not
copied, and large files are read in a second process."""

from __future__ import annotations

import gc
import io
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports import jobs, reading, services
from fieldcrm.imports.models import ImportBatch
from fieldcrm.imports.reading import cache, parallel, streaming

VAN = "Voter File VANID,FirstName,LastName,Address,City,Zip5,Cell Phone,Precinct\n"


def _rows(first: int, last: int, city: str = "Mebane") -> str:
    return "".join(
        f"{n},Ann{n},Lee,{n} Main St,{city},27302,33655501{n % 100:02d},P1\n"
        for n in range(first, last + 1)
    )


@pytest.fixture
def reads(monkeypatch):
    """Every pass over a voter file's rows (reading.iter_chunks calls) and every load of
    the known-contacts index, as lists of file names / sources."""
    passes: list[str] = []
    loads: list[str] = []
    real_iter, real_load = streaming.iter_chunks, services.KnownContacts.load.__func__

    def counted_iter(path, *args, **kwargs):
        passes.append(Path(path).name)
        return real_iter(path, *args, **kwargs)

    def counted_load(cls, source, **kwargs):
        loads.append(source)
        return real_load(cls, source, **kwargs)

    monkeypatch.setattr(streaming, "iter_chunks", counted_iter)
    monkeypatch.setattr(services.KnownContacts, "load", classmethod(counted_load))
    return passes, loads


def _count(source: str) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Contact.id)).where(Contact.source == source))


def test_cli_import__reads_the_file_and_loads_known_contacts_once(runner, write_file, reads):
    path = write_file("v.csv", VAN + _rows(1, 30))
    result = runner.invoke(args=["imports", "voter-file", str(path), "--source", "VAN"])
    assert result.exit_code == 0, result.output
    assert "inserted 30" in result.output
    passes, loads = reads
    assert passes == ["v.csv"]
    assert loads == ["VAN"]


def test_cli_dry_run__stays_a_full_preview_and_keeps_no_copy(app, runner, write_file, reads):
    path = write_file("v.csv", VAN + _rows(1, 30))
    upload_dir = services.upload_dir_for(app.config["UPLOAD_DIR"])
    before = set(upload_dir.iterdir())
    result = runner.invoke(
        args=["imports", "voter-file", str(path), "--source", "VAN", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "would insert 30" in result.output
    assert reads[0] == ["v.csv"]
    assert set(upload_dir.iterdir()) == before
    assert path.read_text().startswith(VAN)  # the file named is never touched


def test_cli_import__prints_mapping_warnings_counted_during_the_run(runner, write_file):
    rows = "1,A,B,1 Main St,Mebane,\n2,C,D,2 Main St,Mebane,\n3,E,F,3 Main St,Mebane,27302\n"
    path = write_file("blank.csv", "Voter ID,First Name,Last Name,Address,City,Zip\n" + rows)
    result = runner.invoke(args=["imports", "voter-file", str(path), "--source", "S"])
    assert result.exit_code == 0, result.output
    assert "warning: res_zip (from Zip) is blank in 2 of 3 rows" in result.output


def test_cli_import__declined_at_the_first_rows_writes_nothing_and_keeps_no_batch(
    runner, import_file, write_file
):
    import_file(write_file("van.csv", VAN + _rows(1, 5)), source="VAN")
    path = write_file("again.csv", VAN + _rows(1, 5))
    result = runner.invoke(
        args=["imports", "voter-file", str(path), "--source", "Other"], input="n\n"
    )
    assert result.exit_code == 1
    assert "5 of these voter ids already exist under source VAN." in result.output
    assert "Not imported. Nothing was written." in result.output
    assert _count("Other") == 0
    assert db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "Other")) is None


def test_cli_import__asked_when_later_rows_hold_other_sources_ids(
    app, monkeypatch, runner, import_file, write_file
):
    """Rows are written chunk by chunk: a chunk whose voter ids another source holds is
    asked about before it is written; declining leaves the rows before it, resumable."""
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 10)
    import_file(write_file("van.csv", VAN + _rows(25, 28)), source="VAN")
    path = write_file("state.csv", VAN + _rows(1, 40))
    declined = runner.invoke(
        args=["imports", "voter-file", str(path), "--source", "State"], input="n\n"
    )
    assert declined.exit_code == 1, declined.output
    # chunks of 10 lines, the header in the first: lines 2-10, 11-20, 21-30 (ids 20-29)
    assert "Warning (from line 21): 4 of these voter ids already exist under source VAN." in (
        declined.output
    )
    batch = db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "State"))
    db.session.refresh(batch)
    assert (batch.status, batch.rows_done) == ("interrupted", 19)
    assert "not confirmed" in batch.error_message
    assert f"the first 19 rows were imported; import {batch.id} is interrupted" in (declined.output)
    assert _count("State") == 19
    resumed = runner.invoke(args=["imports", "resume", str(batch.id)])
    assert resumed.exit_code == 0, resumed.output
    assert _count("State") == 40


def test_cli_import__yes_never_asks(runner, import_file, write_file, reads):
    import_file(write_file("van.csv", VAN + _rows(1, 5)), source="VAN")
    path = write_file("again.csv", VAN + _rows(1, 5))
    result = runner.invoke(args=["imports", "voter-file", str(path), "--source", "O", "--yes"])
    assert result.exit_code == 0, result.output
    assert "already exist" not in result.output
    assert _count("O") == 5


def test_cli_import__stores_the_file_as_a_link_not_a_copy(app, runner, write_file):
    path = write_file("v.csv", VAN + _rows(1, 3))
    result = runner.invoke(args=["imports", "voter-file", str(path), "--source", "VAN"])
    assert result.exit_code == 0, result.output
    stored = Path(db.session.scalar(sa.select(ImportBatch.stored_path)))
    assert stored.read_bytes() == path.read_bytes()
    assert path.stat().st_nlink == 2 or stored.stat().st_ino != path.stat().st_ino  # a clone


@pytest.mark.usefixtures("db")
def test_run__refuses_a_stored_file_changed_since_its_check(write_file):
    path = write_file("v.csv", VAN + _rows(1, 3))
    batch = services.create_batch(None, path, "v.csv", "VAN")
    db.session.commit()
    path.write_text(VAN + _rows(1, 4))  # rewritten in place, as a hard-linked file may be
    done = jobs.import_batch(batch.id)
    assert done.status == "failed"
    assert "changed after it was checked" in done.error_message
    assert _count("VAN") == 0


def test_web_check_then_start__reads_the_normalised_chunks_not_the_file(
    client, login_as, world, reads
):
    login_as(world.admin_dev)
    data = {"source": "VAN", "file": (io.BytesIO((VAN + _rows(1, 30)).encode()), "v.csv")}
    client.post("/imports/new", data=data, content_type="multipart/form-data")
    batch = db.session.scalar(sa.select(ImportBatch))
    assert batch.status == "checked"
    assert (cache.folder_for(batch.stored_path) / cache.MANIFEST).is_file()
    passes, loads = reads
    assert passes == ["v.csv"]  # the check
    client.post(f"/imports/{batch.id}/start")
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == "completed"
    assert passes == ["v.csv"]  # the start read the check's chunks
    assert _count("VAN") == 30


@pytest.mark.usefixtures("db")
def test_kept_chunks__equal_the_file_read_again(write_file):
    path = write_file("v.csv", VAN + _rows(1, 25) + "99,Too,Few\n" + _rows(26, 30))
    batch = services.create_batch(None, path, "v.csv", "VAN")
    services.preview_batch(None, batch, chunk_rows=7, keep=True)
    detection = services.detection_of(batch)
    key = cache.cache_key(path, detection, 7)
    kept = list(cache.read(cache.folder_for(path), key, detection))
    skip = reading.LineSkip(reading.line_keys(detection, "VAN"))
    fresh = list(reading.iter_chunks(path, detection, chunk_rows=7, skip=skip))
    _assert_same_chunks(kept, fresh)
    starts = [c.start_row for c in kept]
    assert starts == [0, 6, 13, 20, 27]  # the header is the first chunk's first line
    later = list(cache.read(cache.folder_for(path), key, detection, start_row=13))
    assert [c.start_row for c in later] == starts[2:]
    assert cache.read(cache.folder_for(path), {**key, "chunk_rows": 8}, detection) is None
    assert cache.read(cache.folder_for(path), key, detection, start_row=3) is None


@pytest.mark.parametrize("light_writes", [False, True])
def test_parallel_reader__gives_the_same_chunks_from_other_processes(
    monkeypatch, write_file, light_writes
):
    """One reading process, or (little to write) two taking every other chunk."""
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TWO_READERS_MIN_BYTES", 0)
    path = write_file("v.csv", VAN + _rows(1, 40) + "99,Too,Few\n" + _rows(41, 45))
    detection = reading.detect(path)
    from_processes = list(
        parallel.iter_chunks(path, detection, chunk_rows=7, start_row=6, light_writes=light_writes)
    )
    in_process = list(reading.iter_chunks(path, detection, chunk_rows=7, start_row=6))
    assert len(in_process) == 6
    _assert_same_chunks(from_processes, in_process)


@pytest.mark.parametrize("light_writes", [False, True])
def test_parallel_reader__readers_started_ahead_read_every_chunk(
    monkeypatch, write_file, light_writes
):
    """Started while the caller loads the known contacts, and ready when it asks: they
    read the first chunk too."""
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TWO_READERS_MIN_BYTES", 0)
    path = write_file("v.csv", VAN + _rows(1, 40) + "99,Too,Few\n" + _rows(41, 45))
    detection = reading.detect(path)
    warm = parallel.warm(0, light_writes=light_writes)
    deadline = time.monotonic() + 60
    while not warm.ready():
        assert time.monotonic() < deadline, "the readers did not start"
        time.sleep(0.05)
    here: list[int] = []
    monkeypatch.setattr(parallel, "_first_chunk", lambda *args: here.append(1))
    chunks = list(
        parallel.iter_chunks(
            path, detection, chunk_rows=7, start_row=6, light_writes=light_writes, warm=warm
        )
    )
    assert not here
    in_process = reading.iter_chunks(path, detection, chunk_rows=7, start_row=6)
    _assert_same_chunks(chunks, list(in_process))
    assert not any(p.is_alive() for p in warm.processes)


def test_parallel_reader__readers_started_ahead_and_not_wanted_are_stopped(monkeypatch, write_file):
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TWO_READERS_MIN_BYTES", 0)
    path = write_file("v.csv", VAN + _rows(1, 20))
    detection = reading.detect(path)
    two = parallel.warm(0, light_writes=True)
    # a file with much to write wants one reader: the two started are stopped, one spawned
    chunks = list(parallel.iter_chunks(path, detection, chunk_rows=7, warm=two))
    assert sum(len(c.frame) for c in chunks) == 20
    assert not any(p.is_alive() for p in two.processes)
    # readers never given a file stop when let go
    unused = parallel.warm(0, light_writes=False)
    processes = unused.processes
    del unused
    gc.collect()
    assert not any(p.is_alive() for p in processes)


def test_parallel_reader__chunks_cross_in_files_that_are_removed(monkeypatch, write_file, tmp_path):
    """A chunk's buffers go through a file in the readers' private folder: the caller gets
    the same chunk, may change its arrays, and the file is gone once mapped; the folder is
    gone when the read ends."""
    path = write_file("v.csv", VAN + _rows(1, 12) + "99,Too,Few\n")
    detection = reading.detect(path)
    (chunk,) = reading.iter_chunks(path, detection, chunk_rows=50)
    folder = tmp_path / "passing"
    folder.mkdir()
    packed = parallel._packed(chunk, str(folder))
    assert len(packed.pickled) < 8192
    assert packed.spans
    assert all(start % parallel._ALIGN == 0 for start, _ in packed.spans)
    back = parallel._unpacked(packed)
    assert not os.listdir(folder)
    _assert_same_chunks([back], [chunk])
    back.numbers[0] = -1  # mapped copy on write: the caller may change its arrays

    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    folders: list[str] = []
    real_init = parallel.Warm.__init__

    def recorded(self, count):
        real_init(self, count)
        folders.append(self.folder)
        assert os.stat(self.folder).st_mode & 0o777 == 0o700  # this user's only

    monkeypatch.setattr(parallel.Warm, "__init__", recorded)
    chunks = list(parallel.iter_chunks(path, detection, chunk_rows=5))
    assert sum(len(c.frame) for c in chunks) == 12
    assert folders
    assert not os.path.exists(folders[0])


def test_parallel_reader__a_reader_whose_caller_died_removes_its_chunks(tmp_path, monkeypatch):
    """The caller takes nothing more (it was killed): the reader waiting to hand a chunk
    over removes the folder of chunks on their way and exits."""
    import queue

    monkeypatch.setattr(parallel, "_POLL_SECONDS", 0.01)
    folder = tmp_path / "passing"
    folder.mkdir()
    (folder / "waiting.chunk").write_bytes(b"voters")
    full = queue.Queue(maxsize=1)
    full.put("taken by no one")
    alive = os.getppid()
    with pytest.raises(SystemExit):
        parallel._hand_over(full, ("chunk", None), alive + 1, str(folder))
    assert not folder.exists()
    open_queue = queue.Queue(maxsize=1)
    parallel._hand_over(open_queue, ("chunk", None), alive, str(tmp_path))
    assert open_queue.get_nowait() == ("chunk", None)


def test_parallel_reader__passes_on_a_refusal(monkeypatch, write_file):
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    path = write_file("v.csv", VAN + _rows(1, 3))
    detection = reading.detect(path)
    detection.members = ["gone.csv"]
    with pytest.raises(reading.FileRefused, match="gone.csv"):
        list(parallel.iter_chunks(path, detection, chunk_rows=7))


def test_store_upload__links_a_spooled_web_upload(tmp_path):
    from fieldcrm.lib import uploads

    with uploads.incoming_file(tmp_path) as spooled:
        spooled.write(b"voter_id,first_name,last_name\n1,Ann,Lee\n")
        spooled.flush()
        stored = services.store_upload(tmp_path, "v.csv", spooled)
        assert os.path.samefile(stored, spooled.name)
    assert stored.read_bytes().startswith(b"voter_id")
    assert [p.name for p in tmp_path.iterdir()] == [stored.parent.name]


def test_upload__a_large_file_arrives_in_the_upload_folder_and_is_linked(
    app, client, login_as, world, monkeypatch
):
    links: list[str] = []
    real_link = os.link

    def spy(source, target, *args, **kwargs):
        links.append(Path(source).name)
        return real_link(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", spy)
    login_as(world.admin_dev)
    text = VAN + _rows(1, 12000)  # over the 500 KB kept in memory
    assert len(text) > 500 * 1024
    # encoded in memory: the test client would spool a body this large to a file it never
    # closes (a ResourceWarning of its own)
    body, length, boundary = stream_encode_multipart(
        {"source": "VAN", "file": FileStorage(io.BytesIO(text.encode()), "big.csv")},
        use_tempfile=False,
    )
    response = client.post(
        "/imports/new",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(ImportBatch))
    assert Path(batch.stored_path).read_text() == text
    assert len(links) == 1
    assert links[0].startswith(".incoming-")
    spooled = Path(app.config["UPLOAD_DIR"]).glob(".incoming-*")
    assert list(spooled) == []  # linked into place, then let go when the request ended


def _assert_same_chunks(left: list[reading.Chunk], right: list[reading.Chunk]) -> None:
    assert [c.start_row for c in left] == [c.start_row for c in right]
    for a, b in zip(left, right, strict=True):
        assert a.rows_read == b.rows_read
        assert a.frame.equals(b.frame)
        assert list(a.frame.dtypes) == list(b.frame.dtypes)
        assert a.phones.reset_index(drop=True).equals(b.phones.reset_index(drop=True))
        assert a.rejects == b.rejects
        assert a.warnings == b.warnings
        assert a.numbers.tolist() == b.numbers.tolist()
        assert a.carried == b.carried


def test_parallel_reader__readers_answer_calls_then_read_their_file(monkeypatch, write_file):
    """While they wait for their file, readers started ahead run what they are asked
    (their share of the known contacts: KnownContacts.load), then read as before."""
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "TWO_READERS_MIN_BYTES", 0)
    path = write_file("v.csv", VAN + _rows(1, 30))
    detection = reading.detect(path)
    warm = parallel.warm(0, light_writes=True)
    for k in range(2):
        warm.call(k, os.getpid, ())
    answers = [warm.result(k) for k in range(2)]
    assert sorted(answers) == sorted(p.pid for p in warm.processes)
    chunks = list(parallel.iter_chunks(path, detection, chunk_rows=7, light_writes=True, warm=warm))
    _assert_same_chunks(chunks, list(reading.iter_chunks(path, detection, chunk_rows=7)))
    assert not any(p.is_alive() for p in warm.processes)

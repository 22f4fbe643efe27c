"""Upload sniffing and archive checks, by example and by property (hypothesis)."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldcrm.lib import uploads
from fieldcrm.lib.uploads import (
    ARCHIVE_MAX_RATIO,
    ArchiveTooLarge,
    UploadRejected,
    check_archive,
    check_container,
    check_gzip,
    check_upload,
    open_gzip,
    sniff,
    storage_name,
)

CSV = b"voter_id,first_name,last_name\n1,Ana,Lopez\n"


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _zip(tmp_path, members, name="upload.zip", compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return _write(tmp_path, name, buffer.getvalue())


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (CSV, "text"),
        ("nombre,ciudad\nJosé,Durham\n".encode("utf-16"), "text"),
        (gzip.compress(CSV), "gzip"),
        (b"\x89PNG\r\n\x1a\n" + b"x" * 100, "binary"),
        (b"%PDF-1.7\n...", "binary"),
        (b"\x7fELF\x02\x01\x01", "binary"),
        (b"id,name\n1,A\x00B\n", "binary"),
    ],
)
def test_sniff__by_content(tmp_path, data, kind):
    assert sniff(_write(tmp_path, "voters.csv", data)) == kind


def test_sniff__renamed_xlsx_is_binary(tmp_path):
    path = _zip(tmp_path, {"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"}, "v.csv")
    assert sniff(path) == "binary"
    with pytest.raises(UploadRejected, match="not a text voter file"):
        check_upload(path)


def test_sniff__zip_of_csv_is_zip(tmp_path):
    assert sniff(_zip(tmp_path, {"ncvoter1.txt": CSV})) == "zip"


def test_check_upload__png_refused_whole_with_clear_message(tmp_path):
    path = _write(tmp_path, "voters.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(UploadRejected, match="PNG image"):
        check_upload(path)


def test_check_archive__accepts_a_normal_zip(tmp_path):
    members = check_archive(_zip(tmp_path, {"a.csv": CSV, "b.txt": CSV}), 10_000, 10)
    assert [m.filename for m in members] == ["a.csv", "b.txt"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../../etc/passwd.csv": CSV}, "unsafe path"),
        ({"/abs/path.csv": CSV}, "unsafe path"),
        ({"C:/x.csv": CSV}, "unsafe path"),
        ({"inner.zip": b"PK"}, "inside zips"),
        ({"readme.md": b"hi"}, "no CSV"),
        ({f"f{i}.csv": CSV for i in range(12)}, "at most 10"),
    ],
)
def test_check_archive__refuses_unsafe(tmp_path, members, message):
    with pytest.raises(UploadRejected, match=message):
        check_archive(_zip(tmp_path, members), 10_000_000, 10)


def test_check_archive__zip_bomb_refused_before_extraction(tmp_path):
    bomb = _zip(tmp_path, {"big.csv": b"0" * (20 * 1024 * 1024)})
    assert bomb.stat().st_size < 100_000
    with pytest.raises(UploadRejected, match="expands"):
        check_archive(bomb, 10**10, 10)
    with pytest.raises(UploadRejected, match="over"):
        check_archive(bomb, 1024 * 1024, 10)


def test_check_archive__damaged_zip(tmp_path):
    with pytest.raises(UploadRejected, match="damaged"):
        check_archive(_write(tmp_path, "x.zip", b"PK\x03\x04garbage"), 10, 10)


@pytest.mark.parametrize(
    ("original", "suffix"),
    [("../../etc/passwd", ".csv"), ("voters.TXT", ".txt"), ("a.zip", ".zip"), (None, ".csv")],
)
def test_storage_name__never_the_clients_path(original, suffix):
    name = storage_name(original)
    assert "/" not in name
    assert ".." not in name
    assert name.endswith(suffix)
    assert len(name) == 32 + len(suffix)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_sniff__property_any_bytes_give_a_kind_never_a_crash(tmp_path, data):
    path = _write(tmp_path, "any.bin", data)
    kind = sniff(path)
    assert kind in {"text", "zip", "gzip", "binary"}
    if kind == "binary":
        with pytest.raises(UploadRejected):
            check_upload(path)
    else:
        assert check_upload(path) == kind


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.dictionaries(
        st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s),
        st.binary(max_size=512),
        max_size=5,
    )
)
def test_check_archive__property_any_zip_is_accepted_or_refused_clearly(tmp_path, members):
    path = _zip(tmp_path, members, name="p.zip")
    try:
        accepted = check_archive(path, 100_000, 4)
    except UploadRejected as exc:
        message = str(exc)
        accepted = None
    else:
        message = None
    if accepted is None:
        assert message
    else:
        assert accepted
        assert all(".." not in m.filename.replace("\\", "/").split("/") for m in accepted)


@settings(max_examples=200)
@given(st.text(max_size=200) | st.none())
def test_storage_name__property_safe_for_any_name(original):
    name = storage_name(original)
    assert name.isascii()
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")


# --- .gz uploads: the same size / ratio / nesting checks as zips -------------------------------

ROW = b"1234567,ANN,LEE,1 MAIN ST,MEBANE,27302\n"


def _gz(tmp_path, data, name="voters.csv.gz"):
    return _write(tmp_path, name, gzip.compress(data))


def test_check_gzip__accepts_a_real_shaped_file_and_returns_its_size(tmp_path):
    rows = b"".join(
        b"%d,ANN%d,LEE,%d MAIN ST,MEBANE,27302\n" % (i, i % 97, i) for i in range(50_000)
    )
    assert check_gzip(_gz(tmp_path, CSV + rows)) == len(CSV + rows)


def test_check_gzip__bomb_refused_by_its_ratio(tmp_path):
    """Like the 59 KB file that unpacked to 20 MB: far past any real voter file's ratio."""
    path = _gz(tmp_path, CSV + ROW * 100_000)  # ~3.9 MB from a few KB
    assert path.stat().st_size * ARCHIVE_MAX_RATIO < 3_900_000
    with pytest.raises(UploadRejected, match="expands far more"):
        check_gzip(path)


def test_check_gzip__size_limit_is_the_zip_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "ARCHIVE_MAX_BYTES", 2 * 1024 * 1024)
    rows = b"".join(b"%d,%d,LEE\n" % (i, i * 7919 % 100_003) for i in range(300_000))
    with pytest.raises(UploadRejected, match="over 2 MB, the limit"):
        check_gzip(_gz(tmp_path, rows))
    with pytest.raises(UploadRejected, match="over 2 MB, the limit"):
        check_archive(_zip(tmp_path, {"a.csv": rows}))


@pytest.mark.parametrize(
    "inner",
    [gzip.compress(CSV), b"PK\x03\x04" + CSV, b"\0" * 257 + b"ustar\x0000" + b"\0" * 300],
    ids=["gz-in-gz", "zip-in-gz", "tar.gz"],
)
def test_check_gzip__nested_archives_refused(tmp_path, inner):
    with pytest.raises(UploadRejected, match="Archives inside a .gz"):
        check_gzip(_gz(tmp_path, inner))


def test_check_gzip__damaged_or_truncated(tmp_path):
    data = gzip.compress(CSV * 1000)
    with pytest.raises(UploadRejected, match="damaged"):
        check_gzip(_write(tmp_path, "cut.csv.gz", data[: len(data) // 2]))


def test_open_gzip__every_read_stops_at_the_limit(tmp_path):
    path = _gz(tmp_path, CSV + ROW * 100_000)

    def read_all() -> None:
        with open_gzip(path) as stream:
            while stream.read(1 << 16):
                pass

    with pytest.raises(ArchiveTooLarge):
        read_all()
    assert issubclass(ArchiveTooLarge, OSError)  # readers refuse it as a read error


def test_check_container__by_suffix(tmp_path):
    check_container(_write(tmp_path, "plain.csv", CSV))
    check_container(_gz(tmp_path, CSV))
    with pytest.raises(UploadRejected, match="expands far more"):
        check_container(_gz(tmp_path, CSV + ROW * 100_000, name="bomb.gz"))

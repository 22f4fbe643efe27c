"""Tests for fieldcrm.imports.reading: detection, streaming, normalisation and rejects."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from fieldcrm.contacts.record import FRAME_COLUMNS, LENGTHS
from fieldcrm.imports import reading
from fieldcrm.imports.reading import PHONE_COLUMNS, Chunk, FileRefused, detect, iter_chunks
from tests.fixtures.imports import records


def _read_all(path: Path, **kwargs: object) -> tuple[pd.DataFrame, pd.DataFrame, list, dict]:
    detection = detect(path, **kwargs)  # type: ignore[arg-type]
    chunks = list(iter_chunks(path, detection))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    phones = pd.concat([c.phones for c in chunks], ignore_index=True)
    rejects = [r for c in chunks for r in c.rejects]
    warnings: collections.Counter = collections.Counter()
    for c in chunks:
        warnings.update(c.warnings)
    return frame, phones, rejects, warnings


def _value(frame: pd.DataFrame, voter_id: str, column: str) -> object:
    value = frame.loc[frame["voter_id"] == voter_id, column].iloc[0]
    return None if pd.isna(value) else value


# --- real NC samples --------------------------------------------------------------------------


def _csv_rows(path: Path, quoting: int) -> list[dict[str, str]]:
    with path.open(newline="", encoding="latin-1") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=quoting))


@pytest.mark.parametrize(
    ("name", "layout", "quoting", "columns"),
    [
        ("ncvoter_Statewide.txt", "nc_current", csv.QUOTE_MINIMAL, 67),
        ("ncvoter.txt", "nc_pre2022", csv.QUOTE_NONE, 71),
    ],
)
def test_iter_chunks__real_nc_samples_exact_counts(
    nc_samples: Path, name: str, layout: str, quoting: int, columns: int
) -> None:
    path = nc_samples / name
    expected = _csv_rows(path, quoting)
    detection = detect(path)
    assert detection.layout == layout
    assert detection.field_count == columns
    assert detection.state == "NC"
    chunks = list(iter_chunks(path, detection, chunk_rows=400))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    phones = pd.concat([c.phones for c in chunks], ignore_index=True)
    assert sum(c.rows_read for c in chunks) == len(expected)
    assert [r for c in chunks for r in c.rejects] == []
    assert frame["voter_id"].tolist() == [row["ncid"] for row in expected]
    assert frame["line"].tolist() == list(range(2, len(expected) + 2))
    filled = [row for row in expected if row["full_phone_number"].strip()]
    assert len(phones) == len(filled)
    assert phones["raw"].tolist() == [row["full_phone_number"].strip() for row in filled]
    assert all(len(c.frame) <= 400 for c in chunks)


def test_iter_chunks__nc_pre2022_pandas_junk_is_cleaned(nc_samples: Path) -> None:
    frame, phones, _, _ = _read_all(nc_samples / "ncvoter.txt")
    first = frame.iloc[0]
    assert first["voter_id"] == "AX73187"
    assert first["res_zip5"] == "27517"
    assert first["cd"] == "6"
    assert first["sd"] == "23"
    assert first["hd"] == "54"
    assert first["res_line1"] == "1154 CLEARWATER LAKE RD"
    assert first["res_house_number"] == 1154
    assert first["household_key"] == "27517|1154 CLEARWATER LAKE RD|"
    seven = phones[phones["raw"].str.fullmatch(r"[0-9]{7}")]
    assert len(seven) > 0
    assert not seven["dialable"].any()
    assert seven["e164"].isna().all()
    junk = phones.loc[phones["raw"] == "919919)", "dialable"]
    assert len(junk) > 0
    assert not junk.any()


def test_iter_chunks__nc_current_removed_voters(nc_samples: Path) -> None:
    frame, _, _, warnings = _read_all(nc_samples / "ncvoter_Statewide.txt")
    removed = frame[frame["status_raw"] == "R"]
    assert len(removed) > 0
    assert (removed["status"] == "removed").all()
    assert removed["res_line1"].isna().all()
    assert removed["household_key"].isna().all()
    assert warnings["placeholder_address"] == len(removed)
    active = frame[frame["voter_id"] == "AA216996"].iloc[0]
    assert active["hd"] == "64"
    assert active["registration_date"] == dt.date(2020, 10, 31)
    assert active["display_name"] == "Timothy Aarmstrong"


# --- Florida ----------------------------------------------------------------------------------


def test_detect__fl_headerless_unquoted(data_dir: Path) -> None:
    detection = detect(data_dir / "fl_extract_laf.txt")
    assert detection.layout == "fl_extract"
    assert detection.has_header is False
    assert detection.header is None
    assert detection.quoting == "none"
    assert detection.field_count == 38
    assert detection.state == "FL"


def test_iter_chunks__fl_rejects_with_lines_and_raw(data_dir: Path) -> None:
    frame, _, rejects, _ = _read_all(data_dir / "fl_extract_laf.txt")
    by_line = {r.line: r for r in rejects}
    assert sorted(by_line) == [3, 6, 8]
    assert "exempt" in by_line[3].reason
    assert by_line[3].raw.startswith("LAF\t100000003\t*")
    assert "expected 38, found 30" in by_line[6].reason
    assert by_line[6].raw.startswith("LAF\t100000099\tSMITH")
    assert by_line[8].reason == "no voter id and no name"
    assert frame["line"].tolist() == [1, 2, 4, 5, 7, 9]
    assert "100000003" not in frame["voter_id"].tolist()


def test_iter_chunks__fl_values(data_dir: Path) -> None:
    frame, phones, _, warnings = _read_all(data_dir / "fl_extract_laf.txt")
    assert _value(frame, "100000002", "first_name") == 'MARIE   "MARION"'
    assert _value(frame, "100000002", "display_name") == 'Marie "Marion" Lee'
    assert _value(frame, "100000001", "precinct_code") == "2"
    assert _value(frame, "100000001", "res_zip5") == "32066"
    assert _value(frame, "100000001", "res_zip4") == "9999"
    assert _value(frame, "100000001", "res_state") == "FL"
    assert _value(frame, "100000001", "email") == "crybai79@gmail.com"
    assert _value(frame, "100000004", "res_zip5") == "09312"
    assert _value(frame, "100000004", "res_unit") == "APT 104"
    assert _value(frame, "100000008", "mail_zip") == "N3Y4K6"
    assert _value(frame, "100000008", "status") == "inactive"
    assert _value(frame, "100000005", "birth_date") is None
    assert warnings["placeholder_registration_date"] == 1
    assert _value(frame, "100000001", "birth_date") == dt.date(1978, 4, 27)
    daytime = phones.set_index("voter_id")
    assert daytime.loc["100000001", "e164"] == "+13865907782"
    assert daytime.loc["100000001", "kind"] == "daytime"
    assert daytime.loc["100000004", "raw"] == "2942512"
    assert not daytime.loc["100000004", "dialable"]


# --- Ohio -------------------------------------------------------------------------------------


def test_iter_chunks__oh_dates_placeholders_and_parts(data_dir: Path) -> None:
    frame, phones, rejects, warnings = _read_all(data_dir / "oh_swvf_adams.csv")
    assert rejects == []
    assert phones.empty
    assert list(phones.columns) == list(PHONE_COLUMNS)
    assert _value(frame, "OH0025035358", "birth_date") == dt.date(1978, 4, 27)
    assert _value(frame, "OH0025035358", "res_zip4") == "5000"
    assert _value(frame, "OH0025035358", "res_unit") == "APT F10"
    assert _value(frame, "OH0025035358", "household_key") == "45693|123 MAIN ST|F10"
    assert _value(frame, "OH0025035359", "birth_date") is None
    assert _value(frame, "OH0025035359", "registration_date") is None
    assert _value(frame, "OH0025035359", "status") == "inactive"
    assert _value(frame, "OH0025035359", "mail_zip") == "45660-0009"
    assert _value(frame, "OH0025035360", "birth_date") is None
    assert _value(frame, "OH0025035360", "display_name") == "Mary O'Donnell"
    assert warnings["placeholder_birth_date"] == 1
    assert warnings["invalid_birth_date"] == 1
    assert warnings["placeholder_registration_date"] == 1
    assert warnings["zip_zero_padded"] == 1


# --- encodings and generic files --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("van_export.csv", "utf-8"),
        ("van_latin1.csv", "cp1252"),
        ("van_utf8_bom.csv", "utf-8-sig"),
    ],
)
def test_detect__encodings(data_dir: Path, name: str, encoding: str) -> None:
    detection = detect(data_dir / name)
    assert detection.encoding == encoding
    assert detection.layout == "generic"
    assert detection.quoting == "csv"
    assert detection.header is not None
    assert detection.header[0] == "Voter File VANID"


def test_iter_chunks__same_text_in_every_encoding(data_dir: Path) -> None:
    frames = [
        _read_all(data_dir / name)[0].drop(columns=["member"])
        for name in ("van_export.csv", "van_latin1.csv", "van_utf8_bom.csv")
    ]
    assert frames[0]["first_name"].tolist() == ["José", "Zoë", "ROSA"]
    assert frames[0]["last_name"].tolist() == ["Muñoz", "Lefèvre", "McDONALD"]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(
            frames[0].drop(columns=["row_hash"]), other.drop(columns=["row_hash"])
        )


def test_iter_chunks__van_export_values(data_dir: Path) -> None:
    frame, phones, rejects, warnings = _read_all(data_dir / "van_export.csv")
    assert rejects == []
    assert _value(frame, "101", "res_line1") == "187 Cavalier Way, Apt 4"
    assert _value(frame, "101", "res_street_name") == "CAVALIER WAY"
    assert _value(frame, "101", "res_unit") == "APT 4"
    assert _value(frame, "101", "birth_date") == dt.date(1978, 4, 27)
    assert _value(frame, "101", "registration_date") == dt.date(2004, 10, 1)
    assert _value(frame, "101", "email") == "jose@example.com"
    assert _value(frame, "101", "cd") == "4"
    assert _value(frame, "101", "hd") == "29"
    assert _value(frame, "101", "latitude") == pytest.approx(35.994)
    assert _value(frame, "102", "hd") == "64"
    assert _value(frame, "102", "cd") == "6"
    assert _value(frame, "102", "email") is None
    assert _value(frame, "102", "birth_date") is None
    assert _value(frame, "102", "latitude") is None
    assert _value(frame, "102", "display_name") == "Zoë Lefèvre III"
    assert _value(frame, "103", "cd") == "6"
    assert _value(frame, "103", "sd") == "25"
    assert _value(frame, "103", "display_name") == "ROSA McDONALD"
    assert warnings["invalid_email"] == 1
    assert warnings["placeholder_birth_date"] == 1
    assert warnings["invalid_latitude"] == 1
    kinds = phones.groupby("voter_id")["kind"].apply(list).to_dict()
    assert kinds == {"101": ["cell", "phone"], "102": ["home"], "103": ["cell"]}
    assert phones["e164"].tolist() == [
        "+19193601316",
        "+19195550100",
        "+13362291110",
        "+13365550199",
    ]


def test_iter_chunks__pipe_file_dates_and_zip(data_dir: Path) -> None:
    detection = detect(data_dir / "l2_pipe.txt")
    assert detection.delimiter == "|"
    assert detection.layout == "generic"
    frame, phones, _, _ = _read_all(data_dir / "l2_pipe.txt")
    assert _value(frame, "LALNC123", "birth_date") == dt.date(1985, 7, 4)
    assert _value(frame, "LALNC124", "birth_date") == dt.date(1980, 1, 1)
    assert _value(frame, "LALNC123", "res_unit") == "#A"
    assert _value(frame, "LALNC123", "res_zip4") == "0042"
    assert _value(frame, "LALNC124", "res_zip5") == "27513"
    assert _value(frame, "LALNC124", "res_zip4") == "4411"
    assert phones["e164"].tolist() == ["+19195550142", "+19195550143"]


def test_iter_chunks__utf8_file_with_a_stray_cp1252_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    filler = b"".join(b"%d,NAME%d,LAST\n" % (i, i) for i in range(700_000))
    path.write_bytes(
        b"Voter ID,First Name,Last Name\n" + filler + "X1,Andrés,Peña\n".encode("cp1252")
    )
    detection = detect(path)
    assert detection.encoding == "utf-8"
    frame, _, rejects, warnings = _read_all(path)
    assert rejects == []
    assert warnings["encoding_fallback_cp1252"] == 1
    assert _value(frame, "X1", "first_name") == "Andrés"
    assert _value(frame, "X1", "last_name") == "Peña"


# --- containers -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nc_two_counties.zip", "nc_two_parts_one_header.zip"])
def test_iter_chunks__zip_of_split_files(data_dir: Path, name: str) -> None:
    detection = detect(data_dir / name)
    assert detection.members == ["ncvoter01.txt", "ncvoter02.txt"]
    plain, _, _, _ = _read_all(data_dir / "nc_current_excerpt.txt")
    frame, _, rejects, _ = _read_all(data_dir / name)
    assert rejects == []
    assert frame["voter_id"].tolist() == plain["voter_id"].tolist()
    second = frame[frame["member"] == "ncvoter02.txt"]
    assert len(second) == 15
    first_line = 2 if name == "nc_two_counties.zip" else 1
    assert second["line"].iloc[0] == first_line


def test_iter_chunks__gz_matches_plain(data_dir: Path) -> None:
    plain, plain_phones, _, _ = _read_all(data_dir / "nc_current_excerpt.txt")
    gz, gz_phones, _, _ = _read_all(data_dir / "nc_current_excerpt.txt.gz")
    pd.testing.assert_frame_equal(plain, gz)
    pd.testing.assert_frame_equal(plain_phones, gz_phones)


def test_detect__zip_member_with_other_shape_is_refused(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(data_dir / "nc_current_excerpt.txt", "ncvoter01.txt")
        zf.writestr("ncvhis01.txt", "county_id\tncid\telection_lbl\n1\tAA1\t11/04/2014\n")
    with pytest.raises(FileRefused, match="ncvhis01.txt"):
        detect(path)


# --- streaming, resuming, preview -------------------------------------------------------------


def test_iter_chunks__start_row_resumes_across_members(data_dir: Path) -> None:
    path = data_dir / "nc_two_counties.zip"
    detection = detect(path)
    chunks = list(iter_chunks(path, detection, chunk_rows=7))
    assert all(c.rows_read <= 7 for c in chunks)
    starts = [c.start_row for c in chunks]
    assert starts == sorted(starts)
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert current.start_row == previous.start_row + previous.rows_read
    everything = pd.concat([c.frame for c in chunks], ignore_index=True)
    for start in (0, 5, 24, 25, 31, 40):
        resumed = list(iter_chunks(path, detection, chunk_rows=7, start_row=start))
        rows = pd.concat([c.frame for c in resumed], ignore_index=True) if resumed else None
        expected = everything.iloc[start:].reset_index(drop=True)
        if rows is None:
            assert expected.empty
        else:
            pd.testing.assert_frame_equal(rows, expected)
            assert resumed[0].start_row == start


def test_iter_chunks__blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "blanks.csv"
    path.write_bytes(b"Voter ID,First Name,Last Name\r\n\r\n1,A,B\r\n   \r\n2,C,D\r\n")
    frame, _, rejects, _ = _read_all(path)
    assert rejects == []
    assert frame["line"].tolist() == [3, 5]


def test_iter_chunks__over_long_field_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_name = "A" * (LENGTHS["first_name"] + 1)
    path.write_text(f"Voter ID,First Name,Last Name\n1,{long_name},B\n2,C,D\n", encoding="utf-8")
    frame, _, rejects, _ = _read_all(path)
    assert frame["voter_id"].tolist() == ["2"]
    assert rejects[0].line == 2
    assert rejects[0].reason == "first_name is longer than 100 characters"


def test_iter_chunks__first_rows_as_plain_values(data_dir: Path) -> None:
    path = data_dir / "van_export.csv"
    chunk = next(iter_chunks(path, detect(path), chunk_rows=3))  # the header and two rows
    rows, warnings, rejects = records(chunk.frame), chunk.warnings, chunk.rejects
    assert len(rows) == 2
    assert rows[0]["voter_id"] == "101"
    assert rows[0]["birth_date"] == dt.date(1978, 4, 27)
    assert rows[0]["middle_name"] is None
    assert rows[0]["line"] == 2
    assert set(rows[0]) == set(FRAME_COLUMNS)
    assert rejects == []
    assert isinstance(warnings, collections.Counter)


def test_iter_chunks__rejects_within_the_first_rows(data_dir: Path) -> None:
    path = data_dir / "fl_extract_laf.txt"
    chunk = next(iter_chunks(path, detect(path), chunk_rows=4))
    rows, rejects = records(chunk.frame), chunk.rejects
    assert [r["line"] for r in rows] == [1, 2, 4]
    assert [r.line for r in rejects] == [3]


def test_chunk_records__none_for_missing(data_dir: Path) -> None:
    path = data_dir / "fl_extract_laf.txt"
    chunk = next(iter_chunks(path, detect(path)))
    assert isinstance(chunk, Chunk)
    record = records(chunk.frame)[0]
    assert record["latitude"] is None
    assert record["birth_date"] == dt.date(1978, 4, 27)
    assert record["birth_year"] == 1978
    assert record["name_suffix"] is None
    phone = records(chunk.phones)[0]
    assert phone["kind"] == "daytime"
    assert phone["dialable"] is True


def test_row_hash__stable_and_sensitive(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("Voter ID,First Name,Last Name,Phone\n1,A,B,9193601316\n2,C,D,\n")
    b.write_text("Voter ID,First Name,Last Name,Phone\n1,A,B,9193601317\n2,C,D,\n")
    first = _read_all(a)[0]["row_hash"].tolist()
    again = _read_all(a)[0]["row_hash"].tolist()
    other = _read_all(b)[0]["row_hash"].tolist()
    assert first == again
    assert first[1] == other[1]
    assert first[0] != other[0]
    assert all(len(h) == 24 and int(h, 16) >= 0 for h in first)
    assert {h[:8] for h in first + other} == {first[0][:8]}  # one file shape, one tag


def test_frame__columns_and_types(data_dir: Path) -> None:
    frame = _read_all(data_dir / "van_export.csv")[0]
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert str(frame["line"].dtype) == "int64"
    assert str(frame["birth_year"].dtype) == "Int64"
    assert frame["latitude"].dtype == "float64"


# --- explicit mappings and layouts ------------------------------------------------------------


def test_detect__explicit_mapping_on_unknown_header(data_dir: Path) -> None:
    path = data_dir / "no_identity.csv"
    detection = detect(path, mapping={"voter_id": "color", "last_name": "size"})
    assert detection.layout is None
    frame = _read_all(path, mapping={"voter_id": "color", "last_name": "size"})[0]
    assert frame["voter_id"].tolist() == ["red"]
    assert frame["last_name"].tolist() == ["9"]


def test_detect__explicit_mapping_on_headerless_columns(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("A1\tSMITH\tJOHN\nA2\tDOE\tJANE\n")
    mapping = {"voter_id": "col1", "last_name": "col2", "first_name": "col3"}
    detection = detect(path, mapping=mapping)
    assert detection.has_header is False
    frame = _read_all(path, mapping=mapping)[0]
    assert frame["voter_id"].tolist() == ["A1", "A2"]
    assert frame["line"].tolist() == [1, 2]


def test_detect__forced_layout(data_dir: Path) -> None:
    detection = detect(data_dir / "fl_extract_laf.txt", layout="fl_extract")
    assert detection.layout == "fl_extract"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.txt", "is empty"),
        ("binary.png", "PNG image"),
        ("nul_bytes.csv", "NUL bytes"),
        ("renamed_zip.csv", "ZIP archive"),
        ("no_identity.csv", "no known layout"),
    ],
)
def test_detect__refuses_unusable_files(data_dir: Path, name: str, message: str) -> None:
    with pytest.raises(FileRefused, match=message) as info:
        detect(data_dir / name)
    assert message in info.value.reason


def test_detect__refuses_utf16(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("Voter ID\tFirst Name\n1\tA\n".encode("utf-16"))
    with pytest.raises(FileRefused, match="UTF-16"):
        detect(path)


def test_detect__refuses_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="does not exist"):
        detect(tmp_path / "nope.csv")


def test_detect__refuses_unknown_layout_and_bad_mapping(data_dir: Path) -> None:
    with pytest.raises(FileRefused, match="unknown layout"):
        detect(data_dir / "van_export.csv", layout="tx_fixed")
    with pytest.raises(FileRefused, match="does not have"):
        detect(data_dir / "van_export.csv", mapping={"voter_id": "Nope"})
    with pytest.raises(FileRefused, match="invalid mapping"):
        detect(data_dir / "van_export.csv", mapping={"shoe_size": "Zip5"})


def test_detect__refuses_forced_layout_without_its_columns(data_dir: Path) -> None:
    with pytest.raises(FileRefused, match="nc_current"):
        detect(data_dir / "van_export.csv", layout="nc_current")


def test_detect__refuses_zip_without_data(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("layout.pdf", b"%PDF")
    with pytest.raises(FileRefused, match="no CSV or text file"):
        detect(path)


def test_detect__refuses_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv.gz"
    data = io.BytesIO()
    with gzip.GzipFile(fileobj=data, mode="wb") as gz:
        gz.write(b"Voter ID,First Name\n1,A\n" * 1000)
    path.write_bytes(data.getvalue()[:40])
    with pytest.raises(FileRefused):
        detect(path)


def test_detect__explicit_mapping_keeps_layout_rules(nc_samples: Path) -> None:
    path = nc_samples / "ncvoter_Statewide.txt"
    mapping = {"voter_id": "ncid", "last_name": "last_name", "status": "status_cd"}
    detection = detect(path, mapping=mapping)
    assert detection.layout == "nc_current"
    assert detection.mapping.items() >= mapping.items()
    frame = _read_all(path, mapping=mapping)[0]
    assert set(frame["status"].dropna()) <= {"active", "inactive", "removed", "denied", "temporary"}
    # the fields the mapping does not name come from the layout, not left blank
    assert detection.mapping["first_name"] == "first_name"
    assert frame["first_name"].notna().mean() > 0.9


@pytest.mark.parametrize(
    ("payload", "encoding", "first_name"),
    [
        ("José".encode(), "utf-8", "José"),
        (b"Jos\xe9", "cp1252", "José"),
        (b"\x93Bo\x94", "cp1252", "\u201cBo\u201d"),
        (b"Jos\xe9\x81", "latin-1", "José\x81"),
        (b"Nu\xf1ez", "cp1252", "Nuñez"),
    ],
)
def test_detect__single_byte_encodings_without_mojibake(
    tmp_path: Path, payload: bytes, encoding: str, first_name: str
) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes(b"Voter ID,First Name,Last Name\r\n1," + payload + b",X\r\n")
    assert detect(path).encoding == encoding
    frame = _read_all(path)[0]
    assert frame["first_name"].tolist() == [first_name]


def test_detect__trailing_delimiter_on_every_row(tmp_path: Path) -> None:
    path = tmp_path / "co.csv"
    path.write_bytes(b"VOTER_ID,FIRST_NAME,LAST_NAME\r\n1,A,B,\r\n2,C,D,\r\n")
    detection = detect(path)
    assert detection.field_count == 4
    assert detection.header is not None
    assert detection.header[-1] == reading.TRAILING_COLUMN
    frame, _, rejects, _ = _read_all(path)
    assert rejects == []
    assert frame["voter_id"].tolist() == ["1", "2"]


def test_iter_chunks__header_only_file_has_no_chunks(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"Voter ID,First Name,Last Name\r\n\r\n")
    detection = detect(path)
    assert list(iter_chunks(path, detection)) == []


def test_iter_chunks__rejects_chunk_rows_below_one(data_dir: Path) -> None:
    path = data_dir / "van_export.csv"
    with pytest.raises(ValueError):
        next(iter_chunks(path, detect(path), chunk_rows=0))


def test_detect__zip_with_unsafe_path_is_refused_before_extraction(tmp_path):
    import zipfile

    from fieldcrm.imports.reading import FileRefused, detect

    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../etc/voters.csv", "Voter File VANID,FirstName,LastName\n1,A,B\n")
    with pytest.raises(FileRefused) as exc:
        detect(path)
    assert "unsafe path" in str(exc.value)


def test_detect__zip_bomb_is_refused_before_extraction(tmp_path):
    import zipfile

    from fieldcrm.imports.reading import FileRefused, detect

    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("voters.csv", "Voter File VANID\n" + "0" * (50 * 1024 * 1024))
    with pytest.raises(FileRefused) as exc:
        detect(path)
    assert "expands far more" in str(exc.value)


def test_normalise__a_date_that_is_today_somewhere_is_not_in_the_future(tmp_path: Path) -> None:
    """Reading processes do not know the program's zone; they measured "the future" from
    UTC's date, so a program east of UTC had each morning's registrations refused. A date is
    now refused only when it is after today everywhere."""
    from fieldcrm import programtime

    latest = programtime.today_anywhere()
    path = tmp_path / "regs.csv"
    rows = [(1, latest), (2, latest + dt.timedelta(days=1))]
    path.write_text(
        "Voter ID,First Name,Last Name,Registration Date\n"
        + "".join(f"{v},Ann,Lee,{d:%m/%d/%Y}\n" for v, d in rows)
    )
    frame, _phones, _rejects, warnings = _read_all(path)
    assert _value(frame, "1", "registration_date") == latest
    assert _value(frame, "2", "registration_date") is None
    assert warnings["invalid_registration_date"] == 1


def test_today_anywhere__is_the_date_in_the_zone_furthest_ahead() -> None:
    from zoneinfo import ZoneInfo

    from fieldcrm import programtime

    latest = programtime.today_anywhere()
    furthest = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14
    assert latest in (furthest, furthest - dt.timedelta(days=1))  # midnight may pass between
    for zone in ("America/Los_Angeles", "America/New_York", "Pacific/Guam", "Etc/GMT+12"):
        assert dt.datetime.now(ZoneInfo(zone)).date() <= latest

"""Malformed voter files: duplicate headers are refused, RFC 4180 multi-line records are read
whole, and every other bad row is reported at its physical line while the good rows land."""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldcrm.imports.reading import FileRefused, detect, iter_chunks
from tests.fixtures.imports import records


def _read(path: Path, chunk_rows: int = 100_000) -> tuple[list[dict], list]:
    detection = detect(path)
    chunks = list(iter_chunks(path, detection, chunk_rows=chunk_rows))
    return [r for c in chunks for r in records(c.frame)], [e for c in chunks for e in c.rejects]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (
            "Voter ID,First Name,Last Name,Phone,phone ",
            ['"Phone" (column 4)', '"phone" (column 5)'],
        ),
        ("Voter ID,First Name,Last Name,First Name", ['"First Name" (column 2)', "(column 4)"]),
        ("Voter ID,First_Name,first name,Last Name", ['"First_Name" (column 2)', '"first name"']),
    ],
)
def test_detect__duplicate_header_is_refused_naming_both(
    tmp_path: Path, header: str, named: list[str]
) -> None:
    path = tmp_path / "dupes.csv"
    width = header.count(",") + 1
    path.write_text(header + "\n" + ",".join(str(i) for i in range(width)) + "\n")
    with pytest.raises(FileRefused, match="more than once") as info:
        detect(path)
    for text in named:
        assert text in info.value.reason


def test_detect__blank_header_names_are_not_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "blanks.csv"
    path.write_text("Voter ID,First Name,Last Name,,\n1,A,B,,\n")
    assert detect(path).header == ["Voter ID", "First Name", "Last Name", "", ""]


MULTILINE = (
    b"Voter ID,First Name,Last Name,Address\r\n"
    b'1,Ann,Lee,"12 Oak St\r\nApt 4"\r\n'  # lines 2-3: one record
    b"2,Bo,Day,1 Elm St\r\n"  # line 4
    b'3,"Cy ""C""\n\nJr",Fox,"9 Pine\nRd"\r\n'  # lines 5-8: one record, a blank line inside
    b"4,Too,Few\r\n"  # line 9: bad row, reported at its physical line
    b"\r\n"  # line 10: blank
    b"5,Di,Roe,3 Ash Ct\r\n"  # line 11
)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100_000])
def test_iter_chunks__quoted_line_breaks_are_one_record_with_physical_lines(
    tmp_path: Path, chunk_rows: int
) -> None:
    path = tmp_path / "multiline.csv"
    path.write_bytes(MULTILINE)
    rows, rejects = _read(path, chunk_rows)
    assert [(r["line"], r["voter_id"]) for r in rows] == [(2, "1"), (4, "2"), (5, "3"), (11, "5")]
    assert rows[0]["res_line1"] == "12 Oak St Apt 4"
    assert rows[2]["first_name"] == 'Cy "C"\n\nJr'
    assert [(e.line, e.raw) for e in rejects] == [(9, "4,Too,Few")]
    assert "expected 4, found 3" in rejects[0].reason


def test_iter_chunks__quote_never_closed_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_bytes(b'Voter ID,First Name,Last Name\n1,Ann,"Lee\n2,Bo,Day\n3,Cy,Fox\n')
    # read with CSV quoting (detection picks it for files that quote their values)
    detection = dataclasses.replace(detect(path), quoting="csv")
    chunks = list(iter_chunks(path, detection, chunk_rows=2))
    assert [r["voter_id"] for c in chunks for r in records(c.frame)] == ["2", "3"]
    rejects = [e for c in chunks for e in c.rejects]
    assert [(e.line, e.raw) for e in rejects] == [(2, '1,Ann,"Lee')]
    assert rejects[0].reason == "a quoted value is not closed within 100 lines"


def test_iter_chunks__quotes_inside_unquoted_values_are_literal(tmp_path: Path) -> None:
    path = tmp_path / "inches.csv"
    path.write_bytes(b"Voter ID,First Name,Last Name\n1,Ann 5'10\",Lee\n2,Bo,Day\n")
    rows, rejects = _read(path)
    assert rejects == []
    assert [r["first_name"] for r in rows] == ["Ann 5'10\"", "Bo"]


def test_iter_chunks__multiline_record_in_a_tab_file_with_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "tabs.txt"
    path.write_bytes(
        b'"ncid"\t"first_name"\t"last_name"\n"A1"\t"ANN"\t"LEE\nJR"\n"A2"\t"BO"\n"A3"\t"CY"\t"FOX"\n'
    )
    rows, rejects = _read(path, chunk_rows=2)
    assert [(r["line"], r["voter_id"], r["last_name"]) for r in rows] == [
        (2, "A1", "LEE\nJR"),
        (5, "A3", "FOX"),
    ]
    assert [e.line for e in rejects] == [4]


def test_detect__trailing_delimiter_with_a_multiline_record(tmp_path: Path) -> None:
    path = tmp_path / "co.csv"
    path.write_bytes(b'VOTER_ID,FIRST_NAME,LAST_NAME\r\n1,A,"B\r\nC",\r\n2,D,E,\r\n')
    rows, rejects = _read(path)
    assert rejects == []
    assert [(r["line"], r["last_name"]) for r in rows] == [(2, "B\r\nC"), (4, "E")]


_cell_text = st.text(alphabet='ab ,"\n\t;', max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_cell_text, _cell_text), min_size=1, max_size=8), st.integers(1, 4))
def test_reader__rfc4180_files_read_back_exactly(rows: list[tuple[str, str]], chunk_rows: int):
    """Whatever a CSV writer quotes (quotes, commas, line breaks), every record comes back
    whole, in order, at the physical line where it starts, for any chunk size."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Voter ID", "First Name", "Last Name"])
    starts = []
    for i, (first, last) in enumerate(rows):
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow([f"V{i}", first, last])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rfc.csv"
        path.write_bytes(out.getvalue().encode())
        got, rejects = _read(path, chunk_rows)
    assert rejects == []
    assert [r["line"] for r in got] == starts

    def expected(value: str) -> str | None:
        value = value.strip()
        return value or None

    assert [(r["voter_id"], r["first_name"], r["last_name"]) for r in got] == [
        (f"V{i}", expected(first), expected(last)) for i, (first, last) in enumerate(rows)
    ]

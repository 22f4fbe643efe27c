"""Tests for fieldcrm.lib.csvsafe."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldcrm.lib.csvsafe import iter_csv, phone_cell, safe_cell, unneutralise, write_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\tplain", "'\tplain"),
        ("\rplain", "'\rplain"),
        ("  =1", "'  =1"),
        ("\n=1", "'\n=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Ana Peña", "Ana Peña"),
        ("a=b", "a=b"),
        ("555-1234", "555-1234"),
        ("", ""),
    ],
)
def test_safe_cell__text(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (-5, "-5"),
        (3.5, "3.5"),
        (Decimal("-1.20"), "-1.20"),
        (dt.date(2026, 11, 3), "2026-11-03"),
        (dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC), "2026-11-03T09:30:00+00:00"),
    ],
)
def test_safe_cell__non_text_values(value, expected):
    assert safe_cell(value) == expected


@given(st.text())
def test_safe_cell__never_starts_a_formula(text):
    cell = safe_cell(text)
    assert cell == text or cell == "'" + text
    stripped = cell.lstrip()
    assert not stripped or stripped[0] not in "=+-@\uff1d\uff0b\uff0d\uff20"
    assert not cell or cell[0] not in "\t\r"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+15551234567", "15551234567"),
        (" +447911123456 ", "447911123456"),
        ("+1555", "'+1555"),  # too short for E.164: treated as text
        ("+1 555 123 4567", "'+1 555 123 4567"),
        ("(555) 123-4567", "(555) 123-4567"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        (None, ""),
    ],
)
def test_phone_cell__policy(value, expected):
    assert phone_cell(value) == expected


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_write_csv__quotes_only_where_needed_and_neutralises():
    out = io.StringIO(newline="")
    count = write_csv(
        out,
        ["name", "phone", "note"],
        [["Ana", "+15551234567", "=2+2"], {"name": "Ben", "note": 'says "hi"'}],
        phone_columns=["phone"],
    )
    assert count == 2
    text = out.getvalue()
    assert text.splitlines() == ["name,phone,note", "Ana,15551234567,'=2+2", 'Ben,,"says ""hi"""']
    assert text.endswith("\r\n")
    assert _read(text) == [
        ["name", "phone", "note"],
        ["Ana", "15551234567", "'=2+2"],
        ["Ben", "", 'says "hi"'],
    ]


def test_write_csv__phone_policy_only_in_phone_columns():
    out = io.StringIO(newline="")
    write_csv(out, ["phone", "other"], [["+15551234567", "+15551234567"]], ["phone"])
    assert _read(out.getvalue())[1] == ["15551234567", "'+15551234567"]


def test_write_csv__header_is_neutralised():
    out = io.StringIO(newline="")
    write_csv(out, ["=evil"], [])
    assert _read(out.getvalue()) == [["'=evil"]]


@pytest.mark.parametrize(
    ("header", "rows", "phones", "message"),
    [
        (["a", "a"], [], (), "duplicate"),
        (["a"], [], ["phone"], "phone columns not in the header: phone"),
        (["a", "b"], [["only one"]], (), "row 1: expected 2 values, got 1"),
        (["a"], ["abc"], (), "row 1: expected 1 values"),
        (["a"], [{"a": 1, "typo": 2}], (), "row 1: keys not in the header"),
    ],
)
def test_write_csv__rejects_bad_shapes(header, rows, phones, message):
    with pytest.raises(ValueError, match=message):
        write_csv(io.StringIO(newline=""), header, rows, phones)


def test_iter_csv__plain_utf8_minimal_quoting_one_line_per_row():
    lines = list(iter_csv(["name", "city"], [["Ana Peña", "Doña, Ana"], ["-x", "y"]]))
    assert len(lines) == 3
    assert lines[0] == b"name,city\r\n"
    text = b"".join(lines).decode("utf-8")
    assert _read(text) == [["name", "city"], ["Ana Peña", "Doña, Ana"], ["'-x", "y"]]


def test_iter_csv__excel_variant_starts_with_a_bom():
    lines = list(iter_csv(["a"], [["Peña"]], excel=True))
    assert lines == [b"\xef\xbb\xbfa\r\n", "Peña\r\n".encode()]


def test_write_csv__excel_variant_starts_with_a_bom():
    out = io.StringIO(newline="")
    write_csv(out, ["a"], [["Peña"]], excel=True)
    assert out.getvalue() == "\ufeffa\r\nPeña\r\n"


def test_iter_csv__matches_write_csv():
    header = ["name", "phone", "note"]
    rows = [["Ana", "+15551234567", "multi\nline"], ["Ben", None, "@here"]]
    out = io.StringIO(newline="")
    write_csv(out, header, rows, ["phone"])
    streamed = b"".join(iter_csv(header, rows, ["phone"])).decode("utf-8")
    assert streamed == out.getvalue()


def test_iter_csv__reads_rows_lazily():
    consumed = []

    def rows():
        for i in range(3):
            consumed.append(i)
            yield [i]

    lines = iter_csv(["n"], rows())
    next(lines)
    assert consumed == []
    next(lines)
    assert consumed == [0]


def test_iter_csv__bad_phone_column_raises_before_streaming():
    with pytest.raises(ValueError, match="phone columns"):
        iter_csv(["a"], [], ["phone"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\x00=1+1", "'\x00=1+1"),
        ("\x00", "'\x00"),
        ("\n=cmd", "'\n=cmd"),
        ("\x7f@SUM(A1)", "'\x7f@SUM(A1)"),
        ("'quoted", "''quoted"),
        ("O'Brien", "O'Brien"),
    ],
)
def test_safe_cell__every_leading_control_and_quote(value, expected):
    assert safe_cell(value) == expected


@given(st.text())
def test_unneutralise__undoes_safe_cell_exactly(text):
    assert unneutralise(safe_cell(text)) == text
    assert unneutralise(unneutralise(safe_cell(safe_cell(text)))) == text


def test_unneutralise__leaves_other_text_alone():
    assert unneutralise("'plain") == "'plain"
    assert unneutralise("O'Brien") == "O'Brien"
    assert unneutralise("'") == "'"

"""Tests for fieldcrm.lib.addresses: splitting residence lines and household keys."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldcrm.lib.addresses import (
    AddressParts,
    collapse_whitespace,
    household_key,
    household_keys,
    split_street_address,
    split_street_addresses,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("3670  COVINGTON TRL   ", AddressParts(3670, "3670", "COVINGTON TRL", None)),
        ("187  CAVALIER WAY   #104", AddressParts(187, "187", "CAVALIER WAY", "#104")),
        ("187 CAVALIER WAY # 104", AddressParts(187, "187", "CAVALIER WAY", "# 104")),
        ("64  WILLOW WAY   #A", AddressParts(64, "64", "WILLOW WAY", "#A")),
        ("258  NW LOYD ST ", AddressParts(258, "258", "NW LOYD ST", None)),
        ("0 WFU", AddressParts(0, "0", "WFU", None)),
        (
            "1 DUKE UNIVERSITY WEST CAMPUS",
            AddressParts(1, "1", "DUKE UNIVERSITY WEST CAMPUS", None),
        ),
        ("PO BOX 141", AddressParts(None, None, "PO BOX 141", None)),
        ("123a Main St Apt. 4", AddressParts(123, "123A", "MAIN ST", "APT. 4")),
        ("12-14 PARKING LOT RD", AddressParts(12, "12-14", "PARKING LOT RD", None)),
        ("5 1/2 ELM ST LOT 2", AddressParts(5, "5 1/2", "ELM ST", "LOT 2")),
        ("99999999999 BIG ST", AddressParts(None, "99999999999", "BIG ST", None)),
        ("REMOVED", AddressParts(None, None, None, None)),
        ("   ", AddressParts(None, None, None, None)),
        (None, AddressParts(None, None, None, None)),
    ],
)
def test_split_street_address__nc_and_fl_shapes(line: str | None, expected: AddressParts) -> None:
    assert split_street_address(line) == expected


@pytest.mark.parametrize(
    ("line", "unit", "zip5", "expected"),
    [
        ("187  CAVALIER WAY   #104", None, "27253", "27253|187 CAVALIER WAY|104"),
        ("187 CAVALIER WAY", "APT 104", "27253", "27253|187 CAVALIER WAY|104"),
        ("187 cavalier  way # 104", None, "27253", "27253|187 CAVALIER WAY|104"),
        ("3670  COVINGTON TRL   ", None, "27215", "27215|3670 COVINGTON TRL|"),
        ("REMOVED", None, "27215", None),
        ("3670 COVINGTON TRL", None, None, None),
        ("3670 COVINGTON TRL", None, "2721", None),
        ("", "APT 1", "27215", None),
    ],
)
def test_household_key__same_door_same_key(
    line: str, unit: str | None, zip5: str | None, expected: str | None
) -> None:
    assert household_key(line, unit, zip5) == expected


def _vector_rows(lines: list[str | None]) -> list[AddressParts]:
    frame = split_street_addresses(pd.Series(lines, dtype=object))
    rows = []
    for rec in frame.itertuples(index=False):
        rows.append(
            AddressParts(*(None if pd.isna(v) else v for v in rec))  # type: ignore[arg-type]
        )
    return rows


def test_split_street_addresses__matches_scalar_on_examples() -> None:
    lines = [
        "3670  COVINGTON TRL   ",
        "187  CAVALIER WAY   #104",
        "Calle José 5 apt 2",
        "straße 9",
        None,
        "REMOVED",
        "12-14 PARKING LOT RD",
    ]
    assert _vector_rows(lines) == [split_street_address(x) for x in lines]


def test_household_keys__matches_scalar_on_examples() -> None:
    lines = ["187  CAVALIER WAY   #104", "187 CAVALIER WAY", "REMOVED", "0 WFU", "ñandú 4"]
    units = [None, "APT 104", None, None, "# 2"]
    zips = ["27253", "27253", "27253", None, "27253"]
    got = household_keys(pd.Series(lines), pd.Series(units), pd.Series(zips))
    expected = [household_key(a, b, c) for a, b, c in zip(lines, units, zips, strict=True)]
    assert [None if pd.isna(v) else v for v in got] == expected


_address_text = st.one_of(
    st.none(),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ #-/.\t", max_size=30),
    st.text(max_size=20),
    st.builds(
        lambda n, s, u: f"{n}  {s}   {u}",
        st.integers(0, 10**12),
        st.sampled_from(["MAIN ST", "COVINGTON TRL", "PARKING LOT RD", "FLAT ROCK RD"]),
        st.sampled_from(["", "#104", "APT 4", "LOT 2", "STE B", "# 9", "UNIT"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_address_text, min_size=1, max_size=20))
def test_split_street_addresses__agrees_with_scalar_on_arbitrary_text(
    lines: list[str | None],
) -> None:
    assert _vector_rows(lines) == [split_street_address(x) for x in lines]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(_address_text, _address_text, st.sampled_from([None, "27253", "2725", "x"])),
        min_size=1,
        max_size=20,
    )
)
def test_household_keys__agrees_with_scalar_on_arbitrary_text(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    lines, units, zips = (list(col) for col in zip(*rows, strict=True))
    got = household_keys(
        pd.Series(lines, dtype=object),
        pd.Series(units, dtype=object),
        pd.Series(zips, dtype=object),
    )
    expected = [household_key(a, b, c) for a, b, c in rows]
    assert [None if pd.isna(v) else v for v in got] == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=" \t\r\n\f\vaé#", max_size=8))),
    st.integers(0, 3),
)
def test_collapse_whitespace__every_run_is_one_space(values: list[str | None], start: int) -> None:
    # a slice too: its buffer holds bytes of rows outside it
    arr = pa.array(["x  y\t", *values, "z\n\n"], pa.string()).slice(start)
    expected = [None if v is None else re.sub(r"[ \t\r\n\f\v]+", " ", v) for v in arr.to_pylist()]
    assert collapse_whitespace(arr).to_pylist() == expected

"""Property tests: the reader and the normalisers never crash on arbitrary input.

Every failure must be a whole-file ``FileRefused`` or a per-row ``RowError``; every data row is
either accepted or rejected, never lost.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldcrm.imports.reading import Detection, FileRefused, detect, iter_chunks
from fieldcrm.lib.addresses import household_key, split_street_address
from fieldcrm.lib.phones import parse_phone

_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(data: bytes, name: str = "upload.csv") -> tuple[Detection | None, int, int, int]:
    """(detection, rows read, rows accepted, rows rejected); FileRefused means refused."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            detection = detect(path)
        except FileRefused as exc:
            reason = exc.reason
            detection = None
        if detection is None:
            assert reason
            return None, 0, 0, 0
        read = accepted = rejected = 0
        for chunk in iter_chunks(path, detection, chunk_rows=3):
            read += chunk.rows_read
            accepted += len(chunk.frame)
            rejected += len(chunk.rejects)
            for error in chunk.rejects:
                assert error.line >= 1
                assert error.reason
            assert chunk.frame["line"].is_monotonic_increasing
        return detection, read, accepted, rejected


@_SETTINGS
@given(st.binary(max_size=400))
def test_reader__arbitrary_bytes_never_crash(data: bytes) -> None:
    detection, read, accepted, rejected = _run(data)
    assert read == accepted + rejected


_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "*", '"', '""', "a,b", "x\ty", "9193601316", "01/01/1900", "REMOVED"]
    ),
    st.from_regex(r"\A[0-9]{1,12}(\.0)?\Z"),
)


@_SETTINGS
@given(
    st.lists(st.lists(_cell, min_size=1, max_size=7), min_size=1, max_size=12),
    st.sampled_from([",", "\t", "|"]),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]),
)
def test_reader__structured_rows_are_accepted_or_rejected(
    rows: list[list[str]], delimiter: str, newline: str, encoding: str
) -> None:
    header = delimiter.join(["Voter ID", "First Name", "Last Name", "Phone", "Zip5", "DOB", "CD"])
    text = newline.join([header, *(delimiter.join(r) for r in rows)]) + newline
    data = text.encode(encoding, errors="replace")
    detection, read, accepted, rejected = _run(data)
    assert read == accepted + rejected
    if detection is not None and detection.has_header:
        # records are physical lines, except that a CSV-quoted value may span lines (RFC 4180)
        segments = data.split(b"\n")
        non_blank = [s for s in segments if s and not s.isspace()]
        if detection.quoting == "csv" and b'"' in data:
            assert read <= len(non_blank) - 1
        else:
            assert read == len(non_blank) - 1


@_SETTINGS
@given(st.lists(st.text(max_size=20), min_size=1, max_size=10))
def test_reader__headerless_text_is_refused_or_read(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", errors="replace")
    detection, read, accepted, rejected = _run(data, name="plain.txt")
    assert read == accepted + rejected


@_SETTINGS
@given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=10)), st.text(max_size=6))
def test_normalisers__never_raise(line: str, unit: str | None, zip5: str) -> None:
    parts = split_street_address(line)
    assert parts.house_number is None or parts.house_number >= 0
    key = household_key(line, unit, zip5)
    assert key is None or key.startswith(zip5 + "|")
    result = parse_phone(line)
    assert result.dialable == (result.e164 is not None)


@_SETTINGS
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="0123456789a ١.", max_size=11))),
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(5, 10)),
)
def test_digits__is_the_regular_expression(values: list[str | None], shortest: int, longest):
    import re

    import pyarrow as pa

    from fieldcrm.imports.reading.columns import digits

    pattern = re.compile(rf"[0-9]{{{shortest},{longest if longest is not None else ''}}}")
    expected = [v is not None and pattern.fullmatch(v) is not None for v in values]
    assert digits(pa.array(values, pa.string()), shortest, longest).tolist() == expected

"""Sniffing a file's first lines: binary or text, its encoding, delimiter and quoting.

* **Encoding**: a UTF-8 BOM means UTF-8. Otherwise the first 8 MiB are probed: valid UTF-8 (or
  pure ASCII) means UTF-8, else cp1252 when every byte is defined there, else Latin-1. When a
  UTF-8 file later holds a line that is not UTF-8, that line alone is decoded as cp1252 and
  counted in ``warnings["encoding_fallback_cp1252"]``, so there is no mojibake and no crash.
  UTF-16 is refused with a message (re-save as UTF-8).
* **Records**: in a CSV-quoted file a quoted value may hold line breaks (RFC 4180); a quote
  left open for ``MAX_RECORD_LINES`` lines is taken as a stray.
"""

from __future__ import annotations

import codecs
import csv

from fieldcrm.imports.reading.core import FileRefused

_SAMPLE_BYTES = 8 << 20


_SAMPLE_LINES = 500


_DELIMITERS = ("\t", "|", ",", ";")


_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive or Excel workbook; upload it as .zip, or export CSV"),
    (b"\x1f\x8b", "gzip-compressed; name it .gz"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Word file; export it as CSV"),
)


def refuse_binary(sample: bytes, name: str) -> None:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"{name} is UTF-16 text; save it as UTF-8 CSV and upload again")
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            raise FileRefused(f"{name} is {what}, not a text voter file")
    head = sample[:65536]
    if b"\x00" in head:
        raise FileRefused(f"{name} is a binary file (it contains NUL bytes), not a text file")
    controls = sum(head.count(bytes([c])) for c in range(1, 32) if c not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.01:
        raise FileRefused(f"{name} looks binary (control characters), not a text voter file")


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.isascii():
        return "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode_line(raw: bytes, encoding: str) -> tuple[str, bool]:
    """Decode one line; the bool says a UTF-8 file needed the cp1252 fallback."""
    if encoding.startswith("utf-8"):
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="fieldcrm_latin1"), True
    return raw.decode(encoding, errors="fieldcrm_latin1"), False


def split_fields(text: str, delimiter: str, quoting: str) -> list[str]:
    text = text.rstrip("\r\n")
    if quoting == "none":
        return text.split(delimiter)
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=False))
    except (csv.Error, StopIteration):
        return text.split(delimiter)


def choose_delimiter(first: str) -> str:
    """The candidate delimiter occurring most often in the first line (ties: tab, |, comma, ;)."""
    best, best_count = "", 0
    for delim in _DELIMITERS:
        count = first.count(delim)
        if count > best_count:
            best, best_count = delim, count
    if not best:
        raise FileRefused(
            "no column delimiter found in the first line (expected tab, comma, pipe or ;)"
        )
    return best


def choose_quoting(lines: list[str], delimiter: str, expected: int | None) -> str:
    """ "csv" when fields open with a double quote and CSV rules give consistent field counts;
    "none" when quotes only appear inside values (FL ``MARIE   "MARION"``)."""
    opens = any(f.startswith('"') for line in lines for f in line.rstrip("\r\n").split(delimiter))
    if not opens:
        return "csv" if delimiter == "," else "none"
    target = expected or len(split_fields(lines[0], delimiter, "csv"))
    records = sample_records(lines, delimiter)
    csv_ok = sum(len(split_fields(x, delimiter, "csv")) == target for x in records)
    # lines joined into a CSV record count for CSV rules (they are read as one record)
    csv_ok += len(lines) - len(records)
    none_ok = sum(len(x.rstrip("\r\n").split(delimiter)) == target for x in lines)
    return "csv" if csv_ok >= none_ok else "none"


def sample_records(lines: list[str], delimiter: str) -> list[str]:
    """Sample lines joined into CSV records where a quoted value holds line breaks."""
    delim = delimiter.encode("ascii")
    records: list[str] = []
    i = 0
    while i < len(lines):
        end = i + 1
        if lines[i].count('"') % 2 and ends_in_quotes(lines[i].encode(), delim, False):
            j = i + 1
            while j < len(lines) and j - i < MAX_RECORD_LINES:
                if not ends_in_quotes(lines[j].encode(), delim, True):
                    end = j + 1
                    break
                j += 1
        records.append("".join(lines[i:end]))
        i = end
    return records


def sample_lines(sample: bytes, complete: bool, encoding: str) -> list[str]:
    raw_lines = sample.splitlines(keepends=True)
    if not complete and raw_lines and not raw_lines[-1].endswith(b"\n"):
        raw_lines.pop()
    out: list[str] = []
    for raw in raw_lines[: _SAMPLE_LINES * 2]:
        text, _ = decode_line(raw, encoding)
        if text.strip():
            out.append(text.lstrip("\ufeff"))
        if len(out) >= _SAMPLE_LINES:
            break
    return out


#: A quoted value may span at most this many physical lines; a quote left open longer than
#: that is taken as a stray quote, and its lines are read (and rejected) one by one.
MAX_RECORD_LINES = 100


def ends_in_quotes(raw: bytes, delimiter: bytes, inside: bool) -> bool:
    """Whether a CSV line ends inside a quoted value, given whether it starts inside one.

    RFC 4180: a quote opens a quoted value only at the start of a field; inside, ``""`` is a
    literal quote and a single ``"`` closes it. Quotes within an unquoted value are literal.
    The delimiter and quote are ASCII, so scanning bytes is exact in every supported encoding.
    """
    i, n = 0, len(raw)
    field_start = not inside
    while i < n:
        if inside:
            j = raw.find(b'"', i)
            if j < 0:
                return True
            if raw[j + 1 : j + 2] == b'"':
                i = j + 2
                continue
            inside = False
            field_start = False
            i = j + 1
        elif field_start and raw[i : i + 1] == b'"':
            inside = True
            i += 1
        else:
            j = raw.find(delimiter, i)
            if j < 0:
                return False
            field_start = True
            i = j + len(delimiter)
    return inside

"""Spreadsheet-safe CSV export: formula-injection neutralising, phone columns, streaming.

Formula injection (OWASP "CSV Injection"): a cell that Excel, LibreOffice or Google Sheets
reads as a formula can run commands or leak data when an organizer opens an export. Policy:

* **Text.** A string cell is prefixed with a single quote (``'``) when it starts with any
  control character (U+0000-U+001F and U+007F: NUL, tab, carriage return, line feed...), when,
  after any leading whitespace or control characters, it starts with ``=``, ``+``, ``-`` or
  ``@`` (or their full-width forms ``＝＋－＠``, which some spreadsheets also accept), or when
  it already starts with a single quote. So ``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``,
  `` -2+3`` becomes ``' -2+3`` and ``\x00=1`` becomes ``'\x00=1``. Everything else is written
  unchanged; the csv module doubles embedded quotes.
* **Reversible.** Because a text that starts with ``'`` is itself prefixed, the guard can be
  undone exactly: :func:`unneutralise` removes the one quote :func:`safe_cell` added, so a file
  exported by FieldCRM and imported back gains no quote however often it makes the trip.
* **Numbers** passed as ``int``, ``float`` or ``Decimal`` are written as plain numbers, since
  they cannot carry a formula: a negative amount stays ``-5``. The same text passed as the
  string ``"-5"`` is prefixed, so pass numbers as numbers.
* ``None`` is an empty cell, ``bool`` is ``true``/``false``, dates and datetimes are ISO 8601.

**Phone columns.** Phones are stored in E.164 (``+15551234567``), whose leading ``+`` is a
formula trigger. Quoting it (``'+15551234567``) would leave a visible apostrophe in every phone
number and dirty the value for tools that read the file back. Instead, in columns named in
``phone_columns``, a valid E.164 value is written as its digits without the plus, country code
included: ``15551234567``. That is never a formula, keeps the country code, and is the digits-
only shape dialers and voter-file tools (VAN, Spoke, Parsons loaders) accept. Anything in a
phone column that is not E.164 (a note, a half-typed number) gets the text policy above.
Caveat: Excel shows numbers of 12 or more digits (non-US phones) in scientific notation; import
the column as Text rather than re-saving the file from Excel.

**Encoding and quoting.** By default a file is plain UTF-8 without a byte order mark, quoted
only where a field needs it (``csv.QUOTE_MINIMAL``: a delimiter, quote or line break inside),
lines ending with CRLF (RFC 4180). That is what data tools read by column name as they are:
``parsons.Table.from_csv``, ``petl.fromcsv``, ``pandas.read_csv`` and Python's ``csv`` (a
BOM would make the first column ``\ufeffcontact_id``). LibreOffice and Google Sheets read
UTF-8 as it is. Excel alone reads a BOM-less CSV in the local ANSI code page (``Peña``
becomes ``PeÃ±a``), so ``excel=True`` writes the same content after a byte order mark: the
"for Excel" download offered beside every export. The formula guard is the same in both.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import IO, Any, Final

FORMULA_TRIGGERS: Final = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
LEADING_CONTROL: Final = frozenset([chr(c) for c in range(0x20)] + ["\x7f"])
UTF8_BOM: Final = "\ufeff"

_LEADING_BLANK = re.compile(r"^[\s\x00-\x1f\x7f]+")
_E164 = re.compile(r"\+[1-9]\d{6,14}")

Row = Sequence[Any] | Mapping[str, Any]


def safe_cell(value: Any) -> str:
    """Render one value as spreadsheet-safe cell text (the policy is in the module docstring).

    Never raises for ordinary values; ``str(value)`` is used for unknown types.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    if not text:
        return text
    if _needs_quote(text):
        return "'" + text
    return text


def _needs_quote(text: str) -> bool:
    if text[0] in LEADING_CONTROL or text[0] == "'":
        return True
    return _LEADING_BLANK.sub("", text)[:1] in FORMULA_TRIGGERS


def unneutralise(text: str) -> str:
    """Undo :func:`safe_cell` on a cell read back from a FieldCRM export.

    Removes the leading ``'`` only when :func:`safe_cell` would have added it, so
    ``unneutralise(safe_cell(s)) == s`` for every string ``s``; any other text is unchanged.
    """
    if text[:1] == "'" and text[1:] and _needs_quote(text[1:]):
        return text[1:]
    return text


def phone_cell(value: Any) -> str:
    """Render a phone number: E.164 ``+15551234567`` becomes ``15551234567``.

    Values that are not E.164 fall back to :func:`safe_cell`. Never raises.
    """
    if isinstance(value, str) and _E164.fullmatch(value.strip()):
        return value.strip()[1:]
    return safe_cell(value)


class _RowRenderer:
    """Turns header-aligned sequences or header-keyed mappings into safe cell lists."""

    def __init__(self, header: Sequence[str], phone_columns: Iterable[str]) -> None:
        self.header = list(header)
        if len(set(self.header)) != len(self.header):
            raise ValueError("CSV header has duplicate column names")
        phones = set(phone_columns)
        unknown = phones.difference(self.header)
        if unknown:
            raise ValueError(f"phone columns not in the header: {', '.join(sorted(unknown))}")
        self.renderers = [phone_cell if name in phones else safe_cell for name in self.header]
        self.columns = set(self.header)

    def header_cells(self) -> list[str]:
        return [safe_cell(name) for name in self.header]

    def cells(self, row: Row, index: int) -> list[str]:
        if isinstance(row, Mapping):
            extra = set(row).difference(self.columns)
            if extra:
                raise ValueError(f"row {index}: keys not in the header: {sorted(extra)}")
            values = [row.get(name) for name in self.header]
        else:
            if isinstance(row, str | bytes) or len(row) != len(self.header):
                raise ValueError(
                    f"row {index}: expected {len(self.header)} values, got "
                    f"{1 if isinstance(row, str | bytes) else len(row)}"
                )
            values = list(row)
        return [render(v) for render, v in zip(self.renderers, values, strict=True)]


def write_csv(
    fileobj: IO[str],
    header: Sequence[str],
    rows: Iterable[Row],
    phone_columns: Iterable[str] = (),
    *,
    excel: bool = False,
) -> int:
    """Write a header and rows as spreadsheet-safe CSV to a text file; return the row count.

    Rows are sequences aligned with ``header`` or mappings keyed by column name (missing keys
    are empty cells). Open the file with ``encoding="utf-8"`` and ``newline=""``; with
    ``excel=True`` a byte order mark is written first (the "for Excel" variant). Writes as it
    iterates, so rows may be a lazy query result.
    Raises ValueError for duplicate header names, phone columns missing from the header, or a
    row of the wrong length or with unknown keys (rows before it have already been written).
    """
    renderer = _RowRenderer(header, phone_columns)
    if excel:
        fileobj.write(UTF8_BOM)
    writer = _writer(fileobj)
    writer.writerow(renderer.header_cells())
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow(renderer.cells(row, count))
    return count


def iter_csv(
    header: Sequence[str],
    rows: Iterable[Row],
    phone_columns: Iterable[str] = (),
    *,
    excel: bool = False,
) -> Iterator[bytes]:
    """Return an iterator of spreadsheet-safe CSV lines as UTF-8 bytes, for streaming responses.

    The first item is the header, preceded by a byte order mark when ``excel=True``. Rows are
    read lazily, so a large export never sits in memory. Raises ValueError at once for
    duplicate header names or unknown phone columns (before any response starts), and while
    iterating for a row of the wrong length or with unknown keys.
    """
    renderer = _RowRenderer(header, phone_columns)
    return _iter_lines(renderer, rows, excel)


def _writer(fileobj: IO[str]) -> Any:
    """The one CSV dialect of every export: minimal quoting, CRLF line ends."""
    return csv.writer(fileobj, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def _iter_lines(renderer: _RowRenderer, rows: Iterable[Row], excel: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = _writer(buffer)

    def line(cells: list[str]) -> bytes:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    first = line(renderer.header_cells())
    yield (UTF8_BOM.encode("utf-8") + first) if excel else first
    for index, row in enumerate(rows, start=1):
        yield line(renderer.cells(row, index))

"""Streaming a file as normalised chunks: records in file order, cut into chunks, each parsed
(``tables``) and normalised (``normalising``).

* **Records and line numbers.** A record is one physical line, except that in a CSV-quoted
  file a quoted value may hold line breaks (RFC 4180): that record is read whole and numbered
  by its first physical line, so the lines reported for every row, before and after it, are
  the file's own. A quote left open for ``MAX_RECORD_LINES`` lines is taken as a stray: its
  line is rejected alone and reading goes on with the next line.
* **Rows**: blank lines are skipped and not counted as rows. ``start_row`` counts data rows
  (accepted and rejected) over all members in order; ``Chunk.start_row + Chunk.rows_read`` is
  where the next chunk starts.
"""

from __future__ import annotations

import codecs
import collections
import gzip
import itertools
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa

from fieldcrm.imports.changes import Carried, carried_columns
from fieldcrm.imports.layouts import LAYOUTS, normalize_header
from fieldcrm.imports.reading.containers import open_members
from fieldcrm.imports.reading.core import Chunk, Detection, FileRefused, RowError
from fieldcrm.imports.reading.detection import as_list, normalised_header
from fieldcrm.imports.reading.lines import LineSkip, line_hashes
from fieldcrm.imports.reading.normalising import normalise, source_names
from fieldcrm.imports.reading.sniffing import (
    MAX_RECORD_LINES,
    decode_line,
    ends_in_quotes,
    split_fields,
)
from fieldcrm.imports.reading.tables import InvalidUtf8Error, parse_table, repair_utf8, to_utf8


def iter_chunks(
    path: str | Path,
    detection: Detection,
    *,
    chunk_rows: int = 100_000,
    start_row: int = 0,
    skip: LineSkip | None = None,
) -> Iterator[Chunk]:
    """Stream ``path`` as normalised chunks of at most ``chunk_rows`` data rows, in file order.

    Rows before ``start_row`` (counted over all members in order) are skipped without being
    parsed. With ``skip``, every line is digested (``lines``) and lines its index holds are
    passed on as unchanged without being parsed. A chunk never spans two members. Reading
    happens on the calling thread while the chunk read before is normalised on a worker
    thread (``_WORKERS``; most of Arrow's work releases the GIL), so at most three chunks are
    in memory at once: the one the caller holds, one being normalised and one read. Raises
    ``FileRefused`` if the file changed shape since ``detect`` (e.g. a member disappeared)
    or cannot be read, and ``ValueError`` for ``chunk_rows < 1``.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    batches = iter_batches(Path(path), detection, chunk_rows, start_row)
    workers = _WORKERS
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voterfile") as pool:
        pending: collections.deque[Future[Chunk]] = collections.deque()
        try:
            for batch in batches:
                pending.append(pool.submit(build_chunk, *batch, skip=skip))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


#: Chunks normalised concurrently. Measured on 2 cores: two workers were slower than one (the
#: GIL-bound parts contend), so one worker overlaps normalising with reading, nothing more.
_WORKERS = 1


def iter_batches(
    path: Path, detection: Detection, chunk_rows: int, start_row: int
) -> Iterator[tuple[list[bytes], np.ndarray, str, Detection, int, bool, list[int]]]:
    """Data records per chunk with their first physical line numbers; headers and blanks
    removed. Also whether the chunk holds a record spanning several lines, and the line
    numbers of records whose quoted value is never closed."""
    members = dict(open_members(path))
    row_index = 0
    header_norm = normalised_header(detection)
    for member in detection.members:
        if member not in members:
            raise FileRefused(f"member {member} is no longer in {path.name}")
        try:
            stream = members[member]()
        except (OSError, zipfile.BadZipFile) as exc:
            raise FileRefused(f"cannot read {member}: {exc}") from exc
        with stream:
            reader = _RecordReader(stream, detection)
            first = True
            while True:
                try:
                    lines, numbers, multiline, unclosed = reader.read(chunk_rows)
                except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
                    raise FileRefused(f"cannot read {member}: {exc}") from exc
                if not lines:
                    break
                keep = _non_blank(lines)
                if first:
                    first = False
                    if keep is None:
                        keep = list(range(len(lines)))
                    if keep and header_norm is not None:
                        head_text, _ = decode_line(lines[keep[0]], detection.encoding)
                        fields = split_fields(
                            head_text.lstrip("\ufeff"), detection.delimiter, detection.quoting
                        )
                        if [normalize_header(f) for f in fields] == header_norm:
                            keep = keep[1:]
                    if keep:
                        lines[keep[0]] = _strip_bom(lines[keep[0]])
                if keep is not None and len(keep) != len(lines):
                    if keep and keep[-1] - keep[0] == len(keep) - 1:  # e.g. only a header
                        lines = lines[keep[0] : keep[-1] + 1]
                        numbers = numbers[keep[0] : keep[-1] + 1]
                    else:
                        lines = [lines[i] for i in keep]
                        numbers = numbers[keep]
                skip = min(max(start_row - row_index, 0), len(lines))
                if skip:
                    lines = lines[skip:]
                    numbers = numbers[skip:]
                    row_index += skip
                if not lines:
                    continue
                yield lines, numbers, member, detection, row_index, multiline, unclosed
                row_index += len(lines)


class _RecordReader:
    """Records of one member: physical lines, except that a CSV record whose quoted value holds
    line breaks (RFC 4180) is one record, numbered by its first physical line."""

    def __init__(self, stream: IO[bytes], detection: Detection) -> None:
        self._stream = stream
        self._quoted = detection.quoting == "csv"
        self._delimiter = detection.delimiter.encode("ascii")
        self._pushback: list[bytes] = []
        self._lineno = 0  # physical lines handed out so far

    def _physical(self, count: int) -> list[bytes]:
        lines = self._pushback[:count]
        del self._pushback[:count]
        if len(lines) < count:
            lines += _read_lines(self._stream, count - len(lines))
        return lines

    def read(self, count: int) -> tuple[list[bytes], np.ndarray, bool, list[int]]:
        """Up to ``count`` records, their first line numbers, whether any spans lines, and the
        line numbers of records whose quoted value is never closed (to be rejected)."""
        lines = self._physical(count)
        start = self._lineno + 1
        numbers = np.arange(start, start + len(lines), dtype=np.int64)
        self._lineno += len(lines)
        if not self._quoted or not lines:
            return lines, numbers, False, []
        # a record can only continue past a line with an odd number of quotes
        odd = [i for i, raw in enumerate(lines) if raw.count(b'"') & 1]
        if not odd:
            return lines, numbers, False, []
        out: list[bytes] = []
        out_numbers: list[int] = []
        unclosed: list[int] = []
        pos = 0
        for i in odd:
            if i < pos:
                continue  # already part of a joined record
            if not ends_in_quotes(lines[i], self._delimiter, False):
                continue
            end = self._record_end(lines, i, numbers)
            if end is None:
                unclosed.append(start + i)  # never closed: the line alone, rejected
                continue
            if len(numbers) < len(lines):
                numbers = np.arange(start, start + len(lines), dtype=np.int64)
            out.extend(lines[pos:i])
            out_numbers.extend(numbers[pos:i].tolist())
            out.append(b"".join(lines[i:end]))
            out_numbers.append(int(numbers[i]))
            pos = end
        if not out:
            return lines, numbers, False, unclosed
        out.extend(lines[pos:])
        out_numbers.extend(numbers[pos : len(lines)].tolist())
        return out, np.asarray(out_numbers, dtype=np.int64), True, unclosed

    def _record_end(self, lines: list[bytes], i: int, numbers: np.ndarray) -> int | None:
        """Index after the last line of the record opening at ``lines[i]``, reading further
        lines from the stream when it runs past the chunk; ``None`` when no line within
        MAX_RECORD_LINES closes it (lines read ahead are then given back)."""
        given = len(lines)
        j = i + 1
        while j - i < MAX_RECORD_LINES:
            if j == len(lines):
                more = self._physical(1)
                if not more:
                    break
                lines.append(more[0])
                self._lineno += 1
            if not ends_in_quotes(lines[j], self._delimiter, True):
                return j + 1
            j += 1
        extra = lines[given:]
        if extra:
            del lines[given:]
            self._pushback[:0] = extra
            self._lineno -= len(extra)
        return None


def _non_blank(lines: list[bytes]) -> list[int] | None:
    """Indexes of the lines that are not blank (empty or whitespace only); ``None`` when all
    lines are non-blank (the common case, checked without a Python-level loop)."""
    if not any(map(bytes.isspace, lines)):
        return None
    return [i for i, raw in enumerate(lines) if raw and not raw.isspace()]


def _read_lines(stream: IO[bytes], count: int) -> list[bytes]:
    return list(itertools.islice(stream, count))


def _strip_bom(raw: bytes) -> bytes:
    return raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw


def _needed_columns(detection: Detection) -> list[int]:
    """Indexes of the columns the mapping reads (first occurrence of each name)."""
    position: dict[str, int] = {}
    for i, name in enumerate(source_names(detection)):
        position.setdefault(name, i)
    wanted = {position[n] for v in detection.mapping.values() for n in as_list(v)}
    return sorted(wanted)


_UNCLOSED = -1


def build_chunk(
    lines: list[bytes],
    numbers: np.ndarray,
    member: str,
    detection: Detection,
    start_row: int,
    multiline: bool = False,
    unclosed_lines: list[int] | None = None,
    skip: LineSkip | None = None,
) -> Chunk:
    warnings: collections.Counter = collections.Counter()
    rejects: list[RowError] = []
    read_numbers = numbers
    pairs = line_hashes(lines, skip.keys) if skip is not None else None
    skipped_lines = skipped_pos = np.empty(0, np.int64)
    index = skip.lookup() if skip is not None else None
    if pairs is not None and index is not None and len(index):
        found = index.find(pairs)
        if unclosed_lines:
            found[np.isin(numbers, np.asarray(unclosed_lines, dtype=np.int64))] = -1
        hit = found >= 0
        if hit.any():
            skipped_lines, skipped_pos = numbers[hit], found[hit]
            rest = np.flatnonzero(~hit)
            lines = [lines[i] for i in rest]
            numbers, pairs = numbers[rest], pairs[rest]
    fallbacks = 0
    needed = _needed_columns(detection)
    records = lines if multiline else None
    if not lines:
        table = pa.table({f"f{i}": pa.array([], pa.string()) for i in needed})
        bad: dict[int, int] = {}
    else:
        buf, fallbacks = to_utf8(lines, detection.encoding)  # also ends the last line with \n
        try:
            table, bad = parse_table(buf, len(lines), detection, needed, records)
        except InvalidUtf8Error:
            buf, fallbacks = repair_utf8(lines, detection.encoding)
            table, bad = parse_table(buf, len(lines), detection, needed, records)
    if fallbacks:
        warnings["encoding_fallback_cp1252"] += fallbacks
    unclosed: set[int] = set()
    if unclosed_lines:
        # a lenient parse may have taken the open quote as text: reject those records
        hit = np.flatnonzero(np.isin(numbers, np.asarray(unclosed_lines, dtype=np.int64)))
        unclosed = {int(i) for i in hit} - set(bad)
    if unclosed:
        parsed = [i for i in range(len(lines)) if i not in bad]
        table = table.filter(pa.array([i not in unclosed for i in parsed]))
        bad.update(dict.fromkeys(unclosed, _UNCLOSED))
    if bad:
        good_idx = np.setdiff1d(np.arange(len(lines)), np.fromiter(bad, dtype=np.int64))
    else:
        good_idx = np.arange(len(lines))
    for i, actual in sorted(bad.items()):
        if actual == _UNCLOSED:
            reason = f"a quoted value is not closed within {MAX_RECORD_LINES} lines"
        else:
            reason = f"wrong number of fields: expected {detection.field_count}, found {actual}"
        rejects.append(
            RowError(
                line=int(numbers[i]),
                member=member,
                reason=reason,
                raw=decode_line(lines[i], detection.encoding)[0].rstrip("\r\n"),
            )
        )
    frame, phones, reasons = normalise(
        table,
        detection,
        member,
        numbers[good_idx],
        warnings,
        line_pairs=None if pairs is None else pairs[good_idx],
    )
    if reasons:
        for pos, reason in reasons:
            i = int(good_idx[pos])
            rejects.append(
                RowError(
                    line=int(numbers[i]),
                    member=member,
                    reason=reason,
                    raw=decode_line(lines[i], detection.encoding)[0].rstrip("\r\n"),
                )
            )
        rejects.sort(key=lambda r: r.line)
    return Chunk(
        start_row=start_row,
        frame=frame,
        phones=phones,
        rejects=rejects,
        warnings=warnings,
        rows_read=len(read_numbers),
        numbers=np.asarray(read_numbers, dtype=np.int64),
        carried=carried_for(detection),
        member=member,
        skipped_lines=skipped_lines,
        skipped_pos=skipped_pos,
    )


def carried_for(detection: Detection) -> Carried:
    """The contact columns, phones and emails a file read this way carries."""
    return carried_columns(
        detection.mapping, LAYOUTS.get(detection.layout or "", LAYOUTS["generic"])
    )

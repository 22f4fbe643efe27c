"""Upload checks before anything parses a file: what it really is, and safe archives.

* `sniff(path)` says what a file is from its bytes, never from its name: "text", "zip"
  (an archive holding text files), "gzip" or "binary". NUL bytes in an 8-bit text, known
  binary signatures (PNG, JPEG, GIF, PDF, ELF, Windows executables, SQLite, Office
  documents) and zips without a text member (an .xlsx renamed .csv) are "binary".
* `check_upload(path)` refuses a binary file whole with a clear message.
* `check_archive(path, max_bytes, max_entries)` inspects a zip's directory before
  anything is extracted: entry count, total uncompressed size, compression ratio (zip
  bombs), absolute paths and `..` (path traversal), encrypted or nested archives.
* `check_gzip(path)` does the same for a `.gz` before anything parses it: it decompresses
  the stream (keeping nothing) and refuses it as soon as the output passes the size limit
  or the compression ratio, or when it holds another archive (a `.tar.gz` of several files,
  a zip or gzip inside); `open_gzip(path)` enforces the same size and ratio on every later
  read, so no reader can be made to unpack more than the check allowed.
* `check_container(path)` runs the right one of these for a stored upload, by its suffix.
* ARCHIVE_MAX_BYTES, ARCHIVE_MAX_ENTRIES and ARCHIVE_MAX_RATIO are the one set of limits
  for every compressed upload, zip or gzip.
* `storage_name(original)` is the name a stored upload gets: random, with a known
  extension; the client's filename is kept only as a label, never used as a path.
* `place_file(source, target)` stores a file that is already on disk without writing its
  bytes again where the file system allows (a copy-on-write clone, else a hard link).
* `incoming_file(upload_dir)` is where the web spools a large upload while it arrives:
  a named file in UPLOAD_DIR, so storing it is a hard link, not a second copy.
* `file_stamp(path)` is what says a stored file has not changed since it was checked.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import secrets
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".tab", ".dat", ".psv")
# A statewide file unpacks to a few GB; Texas ships ~510 county files in one delivery.
ARCHIVE_MAX_BYTES = 32 * 1024**3  # total uncompressed size of a zip's files or of a .gz
ARCHIVE_MAX_ENTRIES = 2000  # files in one zip (a .gz holds one)
ARCHIVE_MAX_RATIO = 200  # uncompressed / compressed; voter-file CSVs compress ~5-15x
#: below this many uncompressed bytes the ratio is not checked (tiny files compress oddly)
ARCHIVE_RATIO_FLOOR = 1024 * 1024
_CHUNK = 1 << 20
#: what an archive inside a compressed upload starts with (tar: "ustar" at offset 257)
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf")

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.xls/.doc)"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class UploadRejected(ValueError):
    """The upload is refused whole; the message says why, in words an organizer reads."""


def _magic_name(head: bytes) -> str | None:
    for magic, name in _BINARY_MAGIC:
        if head.startswith(magic):
            return name
    return None


def _zip_text_members(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return [
            info
            for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith(TEXT_SUFFIXES)
        ]


def sniff(path: str | Path) -> str:
    """'text', 'zip', 'gzip' or 'binary', from the file's bytes."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
        if head.startswith(b"\x1f\x8b"):
            return "gzip"
        if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
            try:
                return "zip" if _zip_text_members(path) else "binary"
            except (zipfile.BadZipFile, OSError, ValueError):
                return "binary"
        if _magic_name(head):
            return "binary"
        if head.startswith(_UTF16_BOMS):
            return "text"  # UTF-16 text is full of NULs; the reader decodes it
        chunk = head
        while chunk:
            if b"\x00" in chunk:
                return "binary"
            chunk = handle.read(_CHUNK)
    return "text"


def describe(path: str | Path) -> str:
    """A short human description of what a binary file looks like."""
    with Path(path).open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PK"):
        return "a spreadsheet or archive without a CSV or text file in it"
    return _magic_name(head) or "a binary file"


def check_upload(path: str | Path) -> str:
    """Return the sniffed kind ('text', 'zip', 'gzip'); raise UploadRejected for binaries."""
    kind = sniff(path)
    if kind == "binary":
        raise UploadRejected(
            f"This file is {describe(path)}, not a text voter file. Export it as CSV or "
            "tab-separated text (or a zip of those) and upload that. Nothing was imported."
        )
    return kind


def check_archive(
    path: str | Path,
    max_bytes: int | None = None,
    max_entries: int | None = None,
    max_ratio: float | None = None,
) -> list[zipfile.ZipInfo]:
    """Validate a zip before extraction; return its text members. Raises UploadRejected.

    Only the central directory is read (sizes as declared); extraction code must still
    stop at the declared size (zipfile does: it raises on a member longer than declared).
    Limits default to ARCHIVE_MAX_BYTES, ARCHIVE_MAX_ENTRIES and ARCHIVE_MAX_RATIO.
    """
    max_bytes = ARCHIVE_MAX_BYTES if max_bytes is None else max_bytes
    max_entries = ARCHIVE_MAX_ENTRIES if max_entries is None else max_entries
    max_ratio = ARCHIVE_MAX_RATIO if max_ratio is None else max_ratio
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadRejected("This zip file is damaged and cannot be read.") from exc
    if len(infos) > max_entries:
        raise UploadRejected(
            f"This zip holds {len(infos)} files; at most {max_entries} are accepted."
        )
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
            raise UploadRejected(f"This zip contains an unsafe path ({name[:80]!r}).")
        if info.flag_bits & 0x1:
            raise UploadRejected("This zip is password-protected; upload it without a password.")
        if name.lower().endswith((".zip", ".gz", ".7z", ".rar")):
            raise UploadRejected("Zips inside zips are not accepted; upload the text files.")
        total += info.file_size
        if total > max_bytes:
            raise UploadRejected(
                f"Unpacked, this zip would be over {max_bytes // (1024 * 1024)} MB, the limit."
            )
        if info.file_size > ARCHIVE_RATIO_FLOOR and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise UploadRejected("This zip expands far more than a real voter file would.")
    members = [i for i in infos if not i.is_dir() and i.filename.lower().endswith(TEXT_SUFFIXES)]
    if not members:
        raise UploadRejected("This zip has no CSV or text file in it.")
    return members


class ArchiveTooLarge(UploadRejected, OSError):
    """A compressed upload unpacked past its limits while being read.

    Also an OSError, so readers that turn read errors into "cannot read the file" refusals
    refuse the file with this message.
    """


def gzip_output_limit(
    path: str | Path, max_bytes: int | None = None, max_ratio: float | None = None
) -> int:
    """The most bytes a .gz at `path` may unpack to: the size limit, or the ratio times its
    compressed size when that is lower (never below ARCHIVE_RATIO_FLOOR)."""
    max_bytes = ARCHIVE_MAX_BYTES if max_bytes is None else max_bytes
    max_ratio = ARCHIVE_MAX_RATIO if max_ratio is None else max_ratio
    by_ratio = max(ARCHIVE_RATIO_FLOOR, int(max_ratio * Path(path).stat().st_size))
    return min(max_bytes, by_ratio)


class _LimitedGzip(io.RawIOBase):
    """A gzip stream that raises ArchiveTooLarge once it has produced more than `limit`."""

    def __init__(self, path: Path, limit: int, max_bytes: int) -> None:
        self._stream = gzip.open(path, "rb")  # noqa: SIM115 - closed by close()
        self._limit = limit
        self._max_bytes = max_bytes
        self._name = path.name
        self._compressed = path.stat().st_size
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        self.produced += len(data)
        if self.produced > self._limit:
            if self.produced > self._max_bytes:
                raise ArchiveTooLarge(
                    f"Unpacked, {self._name} would be over "
                    f"{self._max_bytes // (1024 * 1024)} MB, the limit."
                )
            raise ArchiveTooLarge(
                f"{self._name} expands far more than a real voter file would "
                f"(over {self._limit // (1024 * 1024)} MB from "
                f"{max(1, self._compressed // 1024)} KB)."
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def open_gzip(
    path: str | Path, max_bytes: int | None = None, max_ratio: float | None = None
) -> IO[bytes]:
    """Open a .gz for reading; reading past gzip_output_limit raises ArchiveTooLarge."""
    path = Path(path)
    max_bytes = ARCHIVE_MAX_BYTES if max_bytes is None else max_bytes
    limit = gzip_output_limit(path, max_bytes, max_ratio)
    return io.BufferedReader(_LimitedGzip(path, limit, max_bytes), _CHUNK)


def check_gzip(
    path: str | Path, max_bytes: int | None = None, max_ratio: float | None = None
) -> int:
    """Validate a .gz before anything parses it; returns its uncompressed size.

    Decompresses the whole stream without keeping it, stopping at the first byte past the
    size limit or the compression ratio (so a bomb costs at most ratio x its size). Raises
    UploadRejected for a damaged or truncated file, one over the limits, or one holding
    another archive (a .tar.gz of several files, a zip or gzip inside).
    """
    path = Path(path)
    try:
        with open_gzip(path, max_bytes, max_ratio) as stream:
            head = stream.read(512)
            if head.startswith(_ARCHIVE_MAGIC) or head[257:262] == b"ustar":
                raise UploadRejected(
                    "Archives inside a .gz are not accepted (a .tar.gz holds several files); "
                    "upload a .zip of the text files, or one text file gzipped."
                )
            total = len(head)
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
    except UploadRejected:
        raise
    except (OSError, EOFError, gzip.BadGzipFile, zipfile.error) as exc:
        raise UploadRejected(f"This .gz file is damaged and cannot be read ({exc}).") from exc
    return total


def check_container(path: str | Path) -> int:
    """Check a stored upload that is an archive (by its suffix: .zip or .gz) against the
    archive limits before any parsing; returns its unpacked size in bytes (a plain file's
    own size). Raises UploadRejected."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return sum(info.file_size for info in check_archive(path))
    if suffix == ".gz":
        return check_gzip(path)
    return path.stat().st_size


def read_head(path: str | Path, limit: int = _CHUNK) -> bytes:
    """The first `limit` unpacked bytes of an upload (a zip's first text file). Call it
    after check_container; raises UploadRejected or OSError for an unreadable file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gz":
        with open_gzip(path) as stream:
            return stream.read(limit)
    if suffix == ".zip":
        members = _zip_text_members(path)
        if not members:
            return b""
        with zipfile.ZipFile(path) as archive, archive.open(members[0]) as stream:
            return stream.read(limit)
    with path.open("rb") as stream:
        return stream.read(limit)


def storage_name(original: str | None, default_suffix: str = ".csv") -> str:
    """A random file name for storing an upload; only a known extension is kept."""
    suffix = PurePosixPath((original or "").replace("\\", "/")).suffix.lower()
    allowed = (*TEXT_SUFFIXES, ".zip", ".gz")
    return secrets.token_hex(16) + (suffix if suffix in allowed else default_suffix)


#: Linux FICLONE ioctl: a copy-on-write clone of a whole file (btrfs, XFS, bcachefs)
_FICLONE = 0x40049409


def place_file(source: str | Path, target: str | Path) -> str:
    """Store ``source`` at ``target`` (which must not exist); returns how: "clone", "link"
    or "copy".

    A copy-on-write clone shares the bytes until either side is written; a hard link
    shares them for good (rewriting the source in place then changes the stored file,
    which ``file_stamp`` lets the importer notice); a copy writes them again (across file
    systems, or where neither is allowed). Raises OSError when even the copy fails.
    """
    source, target = Path(source), Path(target)
    try:
        import fcntl

        with source.open("rb") as src, target.open("xb") as dst:
            try:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
                return "clone"
            except OSError:
                pass
        target.unlink()
    except ImportError:  # pragma: no cover - no fcntl off POSIX
        pass
    try:
        os.link(source, target)
        return "link"
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
    shutil.copyfile(source, target)
    return "copy"


def file_stamp(path: str | Path) -> dict[str, int]:
    """Size and modification time (ns) of a stored file: equal stamps, same file."""
    stat = Path(path).stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


#: spool files of uploads still arriving (deleted when the request ends; a process killed
#: meanwhile leaves one, which the retention sweep removes like any unreferenced entry)
INCOMING_PREFIX = ".incoming-"


def incoming_file(upload_dir: str | Path) -> IO[bytes]:
    """A named temporary file in ``upload_dir`` for an upload's bytes as they arrive."""
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=folder, prefix=INCOMING_PREFIX)  # noqa: SIM115


def spooled_path(stream: Any, upload_dir: str | Path) -> Path | None:
    """The path of ``stream`` when it is an ``incoming_file`` of ``upload_dir`` (an uploaded
    file object, or its ``.stream``); None for anything else."""
    inner = getattr(stream, "stream", stream)
    name = getattr(inner, "name", None)
    if not isinstance(name, str):
        return None
    path = Path(name)
    if not path.name.startswith(INCOMING_PREFIX):
        return None
    if path.resolve().parent != Path(upload_dir).resolve() or not path.is_file():
        return None
    return path

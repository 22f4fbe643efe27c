"""Containers: a voter file is a text file, a ``.gz`` of one, or a ``.zip`` of several read in
archive order as one stream (directories, ``__MACOSX``, dot files and documents such as
.pdf/.docx/.xlsx are skipped). Each member may repeat the header on its first line or carry
it only in the first member."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from fieldcrm.imports.reading.core import FileRefused
from fieldcrm.lib import uploads

_SKIPPED_SUFFIXES = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".rtf",
    ".md",
    ".html",
    ".htm",
    ".json",
    ".xml",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
)


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # pragma: no cover - only decoding uses it
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("fieldcrm_latin1", _latin1_fallback)


def _is_data_member(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    if name.endswith("/") or name.startswith("__MACOSX/") or not base or base.startswith("."):
        return False
    return not base.lower().endswith(_SKIPPED_SUFFIXES)


def open_members(path: Path) -> list[tuple[str, Callable[[], IO[bytes]]]]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        # Size, entry count, unsafe paths, encryption and zip bombs are checked from the
        # central directory before a byte is extracted.
        try:
            uploads.check_archive(path)
        except uploads.UploadRejected as exc:
            raise FileRefused(f"{path.name}: {exc}") from exc
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FileRefused(f"{path.name} is not a readable ZIP archive ({exc})") from exc
        with archive:
            names = [i.filename for i in archive.infolist() if _is_data_member(i.filename)]
        if not names:
            raise FileRefused(f"{path.name} holds no data files")

        def opener(name: str) -> Callable[[], IO[bytes]]:
            def open_member() -> IO[bytes]:
                zf = zipfile.ZipFile(path)
                return io.BufferedReader(_ClosingZipMember(zf, zf.open(name)), 1 << 20)

            return open_member

        return [(name, opener(name)) for name in names]
    if suffix == ".gz":
        # Checked whole (size, ratio, nested archives) by uploads.check_gzip before a batch
        # is parsed; every read is held to the same limits (ArchiveTooLarge, an OSError).
        return [(path.name[: -len(".gz")], lambda: uploads.open_gzip(path))]
    return [(path.name, lambda: open(path, "rb", buffering=1 << 20))]  # noqa: SIM115


class _ClosingZipMember(io.RawIOBase):
    """A zip member stream that also closes its archive."""

    def __init__(self, archive: zipfile.ZipFile, member: IO[bytes]) -> None:
        self._archive = archive
        self._member = member

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._member.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        self._archive.close()
        super().close()


def read_sample(opener: Callable[[], IO[bytes]], limit: int) -> tuple[bytes, bool]:
    """First ``limit`` bytes (cut at a line end) and whether the stream ended within them."""
    try:
        with opener() as stream:
            data = stream.read(limit)
            complete = len(data) < limit
            if not complete:
                data += stream.readline()
                complete = not stream.peek(1) if hasattr(stream, "peek") else False
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise FileRefused(f"cannot read the file: {exc}") from exc
    return data, complete

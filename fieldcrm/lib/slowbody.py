"""Slow request bodies get a clear 408 instead of holding a server thread for ever.

`RequestBodyDeadline` wraps a WSGI app. While the app reads a request body:

* no read may wait longer than `idle_seconds` for the next bytes (under gunicorn the
  client socket gets that timeout for the request; elsewhere only the rate rule holds);
* after `grace_seconds`, the body must keep arriving at `min_bytes_per_second` on average
  (Kestrel's MinRequestBodyDataRate, nginx's client_body_timeout, in one rule).

Either failure raises werkzeug's RequestTimeout inside the read, so the framework answers
408 with its own page; gunicorn then closes the connection (it cannot drain the rest).
No Flask here: the app passes its settings in.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import RequestTimeout


class BodyTooSlow(RequestTimeout):
    description = "The request body arrived too slowly."


class _DeadlineInput(io.RawIOBase):
    """wsgi.input that refuses to wait for ever (see module docstring)."""

    def __init__(
        self, stream: Any, grace: float, min_rate: float, clock: Callable[[], float]
    ) -> None:
        self._stream, self._grace, self._rate, self._clock = stream, grace, min_rate, clock
        self._start = clock()
        self._received = 0

    def readable(self) -> bool:
        return True

    def _check(self) -> None:
        elapsed = self._clock() - self._start
        if elapsed > self._grace and self._received < self._rate * (elapsed - self._grace):
            raise BodyTooSlow()

    def _read(self, reader: Callable[[], bytes]) -> bytes:
        self._check()
        try:
            data = reader()
        except TimeoutError as exc:
            raise BodyTooSlow() from exc
        self._received += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._read(lambda: self._stream.read(size if size is not None else -1))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        return self._read(lambda: self._stream.readline(size if size is not None else -1))

    def __iter__(self):  # type: ignore[no-untyped-def]
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class RequestBodyDeadline:
    """WSGI middleware: see the module docstring."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        idle_seconds: float,
        grace_seconds: float,
        min_bytes_per_second: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app, self.idle, self.grace = app, idle_seconds, grace_seconds
        self.min_rate, self.clock = min_bytes_per_second, clock

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        has_body = environ.get("CONTENT_LENGTH", "0") not in ("", "0") or (
            "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        )
        if not has_body:
            return self.app(environ, start_response)
        environ["wsgi.input"] = _DeadlineInput(
            environ["wsgi.input"], self.grace, self.min_rate, self.clock
        )
        sock = environ.get("gunicorn.socket")
        if sock is None or self.idle <= 0:
            return self.app(environ, start_response)
        # Reads of the body wait at most `idle` seconds. The timeout is lifted as soon as
        # the app answers: writing a large response to a slow reader is not limited here.
        sock.settimeout(self.idle)

        def answer(status: str, headers: list, exc_info: Any = None) -> Callable:
            sock.settimeout(None)
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, answer)
        finally:
            sock.settimeout(None)

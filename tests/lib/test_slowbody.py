"""A request body that crawls or stalls gets a 408 page; a normal one is untouched."""

from __future__ import annotations

import io

import pytest

from fieldcrm.lib.slowbody import BodyTooSlow, RequestBodyDeadline


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Trickle(io.RawIOBase):
    """A body that arrives `step` bytes per read, `seconds` apart."""

    def __init__(self, clock: Clock, total: int, step: int, seconds: float) -> None:
        self.clock, self.left, self.step, self.seconds = clock, total, step, seconds

    def read(self, size: int = -1) -> bytes:
        self.clock.now += self.seconds
        n = min(self.step, self.left, size if size and size > 0 else self.step)
        self.left -= n
        return b"x" * n

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


class Stalled(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise TimeoutError("timed out")


def _run(stream, clock: Clock, length: int) -> bytes:
    seen: dict = {}

    def app(environ, start_response):
        seen["body"] = environ["wsgi.input"].read(length)
        while chunk := environ["wsgi.input"].read(1024):
            seen["body"] += chunk
        start_response("200 OK", [])
        return [b"ok"]

    wrapped = RequestBodyDeadline(
        app, idle_seconds=5, grace_seconds=10, min_bytes_per_second=1024, clock=clock
    )
    environ = {"CONTENT_LENGTH": str(length), "wsgi.input": stream}
    list(wrapped(environ, lambda *a: None))
    return seen["body"]


def test_slowbody__a_body_at_a_fair_pace_is_read_whole():
    clock = Clock()
    body = _run(Trickle(clock, 100_000, 4096, 1.0), clock, 100_000)  # 4 KB/s
    assert len(body) == 100_000


def test_slowbody__a_crawling_body_is_cut_after_the_grace():
    clock = Clock()
    with pytest.raises(BodyTooSlow) as caught:
        _run(Trickle(clock, 100_000, 50, 0.1), clock, 100_000)  # 500 bytes a second
    assert caught.value.code == 408
    assert 19 < clock.now < 21  # when 500 t < 1024 (t - 10)


def test_slowbody__a_stalled_socket_read_is_a_408():
    with pytest.raises(BodyTooSlow):
        _run(Stalled(), Clock(), 10)


def test_slowbody__a_crawling_upload_gets_the_408_page(app, client):
    app.config["REQUEST_BODY_MIN_KBPS"] = 16
    clock = Clock()
    app_with_deadline = RequestBodyDeadline(
        app.wsgi_app, idle_seconds=5, grace_seconds=1, min_bytes_per_second=16 * 1024, clock=clock
    )
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path="/auth/login",
        method="POST",
        data=b"email=" + b"a" * 50_000,
        content_type="application/x-www-form-urlencoded",
    ).get_environ()
    environ["wsgi.input"] = Trickle(clock, 50_006, 100, 0.1)
    statuses: list[str] = []
    body = b"".join(app_with_deadline(environ, lambda status, headers, *a: statuses.append(status)))
    assert statuses[0].startswith("408")
    assert b"too long" in body

"""The browser tests' server stops only once no request holds a database connection.

A request still running at the end of a test (a phone's background sync) kept a pooled
PostgreSQL connection past the engine's dispose and the database's drop; its
ResourceWarning then failed an unrelated later test. These run without a browser.
"""

from __future__ import annotations

import threading

import pytest

from tests.browser.server import _Served


def _start(served: _Served, statuses: list[str]) -> threading.Thread:
    def call() -> None:
        served({}, lambda status, headers: statuses.append(status))

    thread = threading.Thread(target=call)
    thread.start()
    return thread


def test_close__waits_for_the_request_in_flight_and_turns_new_ones_away():
    entered, release = threading.Event(), threading.Event()

    def app(environ, start_response):
        entered.set()
        release.wait(5)
        start_response("200 OK", [])
        return [b"ok"]

    served, statuses = _Served(app), []
    running = _start(served, statuses)
    assert entered.wait(5)

    assert served.close(timeout=0.05) is False  # still running: close waited, then gave up
    _start(served, statuses).join(5)
    assert statuses == ["503 Service Unavailable"]

    release.set()
    running.join(5)
    assert served.close(timeout=5) is True
    assert statuses == ["503 Service Unavailable", "200 OK"]


def test_served__closes_the_body_and_counts_a_failed_request_as_finished():
    closed = []

    class Body(list):
        def close(self) -> None:
            closed.append(True)

    served = _Served(lambda environ, start_response: Body([b"a", b"b"]))
    assert served({}, lambda *args: None) == [b"ab"]
    assert closed == [True]

    def broken(environ, start_response):
        raise RuntimeError("boom")

    failing = _Served(broken)
    with pytest.raises(RuntimeError):
        failing({}, lambda *args: None)
    assert failing.close(timeout=0.05) is True

"""A WSGI app whose error escapes to the server while its response streams (as a streaming
export's would), served by gunicorn with gunicorn.conf.py in tests/security/test_logging.py.
The exception messages quote the values named in the environment (FAILING_WSGI_MARKS)."""

from __future__ import annotations

import os


def _rows(first: str, second: str):
    yield b"id,name\n"
    try:
        int(first)
    except ValueError as exc:
        raise RuntimeError(f"export stopped at the row of {second}") from exc


def app(environ, start_response):
    first, second = os.environ["FAILING_WSGI_MARKS"].split(",")
    start_response("200 OK", [("Content-Type", "text/csv")])
    return _rows(first, second)

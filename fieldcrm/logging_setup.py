"""Structured logs: one JSON object per line, each carrying the request id.

`configure(app)` installs a handler on the root logger (JSON when LOG_JSON, plain text
otherwise) with a filter that adds `request_id`, and an after-request hook writing one
access line per request (method, path, status, duration, user id). Nothing here ever
writes a request body, a query string or a form value: those may hold personal data.

Exceptions are logged scrubbed: the traceback's frames and each exception's type (plus,
for database errors, the SQL text with its placeholders and the SQLSTATE code), never an
exception's message. Messages carry values: SQLAlchemy's `[parameters: …]`, PostgreSQL's
`DETAIL: Key (email)=(…)`, `int()` and `fromisoformat()` quoting their input. The engine
also runs with `hide_parameters` (see `create_app`), so parameters never reach a message.

The same rule serves every process that writes logs: the web app (this module's handler),
the RQ worker (`fieldcrm.worker` logs job failures with `scrubbed_traceback`) and gunicorn's
own error log (`fieldcrm.gunicorn_logging`, which also drops query strings and client
request details); and `error_summary` is what a page may show of an unexpected error.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
import traceback
from datetime import UTC, datetime
from types import TracebackType

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from flask_login import current_user
from werkzeug.wrappers import Response

_HANDLER_NAME = "fieldcrm"


def _current_request_id() -> str:
    return getattr(g, "request_id", "-") if has_request_context() else "-"


def install_record_factory() -> None:
    """Stamp `request_id` on every log record when it is created (any logger, once)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "fieldcrm", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        record = previous(*args, **kwargs)
        record.request_id = _current_request_id()
        return record

    factory.fieldcrm = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """Add `request_id` (or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
_HIDDEN = "(message hidden: it may hold personal data)"
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _describe(exc: BaseException) -> str:
    """The exception's type, and for database errors the SQL text and SQLSTATE: no values."""
    kind = type(exc)
    text = f"{kind.__module__}.{kind.__qualname__}: {_HIDDEN}"
    statement = getattr(exc, "statement", None)  # sqlalchemy.exc.StatementError
    if isinstance(statement, str):
        text += f"\n[SQL: {statement[:2000]}]"
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(code, str):
        text += f"\n[SQLSTATE: {code}]"
    return text


def error_summary(exc: BaseException) -> str:
    """A one-line name for what went wrong, with no value in it: the exception's type, plus
    the SQLSTATE of a database error or the error name of an operating-system error."""
    text = type(exc).__name__
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(code, str):
        text += f" (SQLSTATE {code})"
    elif isinstance(exc, OSError) and exc.errno in errno.errorcode:
        text += f" ({errno.errorcode[exc.errno]}: {os.strerror(exc.errno)})"
    return text


def without_query(value: str) -> str:
    """A request target without its query string (which may hold names or phone numbers)."""
    return value.partition("?")[0]


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback of `exc` (and its causes) with every exception message left out."""
    parts: list[str] = []
    seen: set[int] = set()

    def walk(error: BaseException) -> None:
        seen.add(id(error))
        if error.__cause__ is not None and id(error.__cause__) not in seen:
            walk(error.__cause__)
            parts.append(_CAUSE)
        elif (
            error.__context__ is not None
            and not error.__suppress_context__
            and id(error.__context__) not in seen
        ):
            walk(error.__context__)
            parts.append(_CONTEXT)
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(_describe(error))

    walk(exc)
    return "".join(parts).rstrip("\n")


class ScrubbingFormatter(logging.Formatter):
    """A Formatter whose tracebacks never carry exception messages (see module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the first handler's traceback text on the record; never reuse an
        # unscrubbed one from another handler.
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(  # noqa: N802 - logging's name
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        exc = ei[1]
        return scrubbed_traceback(exc) if exc is not None else ""


class JsonFormatter(ScrubbingFormatter):
    """A JSON object per record: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def make_handler(json_lines: bool) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    return handler


def configure(app: Flask) -> None:
    """Install the log handler (once per process) and the access-log hook."""
    install_record_factory()
    root = logging.getLogger()
    if not app.testing and not any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        root.addHandler(make_handler(bool(app.config.get("LOG_JSON"))))
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # Flask-WTF logs each refused token as a bare INFO line (no path, user or request id);
    # the app's CSRF error handler writes the full line and the audit row instead.
    logging.getLogger("flask_wtf.csrf").setLevel(logging.WARNING)
    access = logging.getLogger("fieldcrm.access")

    def _user_id() -> int | None:
        """The signed-in user's id, read from the session's identity map: after a commit
        the user is expired, and `get_id()` would load it again (three queries)."""
        if not current_user.is_authenticated:
            return None
        state = sa.inspect(current_user._get_current_object(), raiseerr=False)
        if state is not None and state.identity:
            return state.identity[0]
        return int(current_user.get_id().partition(":")[0])

    @app.after_request
    def log_request(response: Response) -> Response:
        started = getattr(g, "request_started", None)
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        access.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
                "user_id": _user_id(),
                "remote_addr": request.remote_addr,
            },
        )
        return response

"""gunicorn's error log with FieldCRM's log rule: no exception message, no query string.

gunicorn logs what escapes the app (an error raised while a response streams, in WSGI
middleware, in an error handler) with its own formatter: the full traceback with every
message, after "Error handling request GET /path?q=…". `GunicornLogger` (gunicorn.conf.py
`logger_class`) formats that log with `fieldcrm.logging_setup.ScrubbingFormatter`, drops
query strings from the request targets it names, hides the text of a refused request
(gunicorn quotes the request line or header it could not parse) and names an exception
argument by its type only.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging

from fieldcrm.logging_setup import ScrubbingFormatter, error_summary, without_query

_REFUSED = "Invalid request from ip="


def _scrub(value: object) -> object:
    if isinstance(value, BaseException):
        return error_summary(value)
    if isinstance(value, str):
        return without_query(value)
    return value


class HideRequestDetails(logging.Filter):
    """Rewrite a gunicorn record's arguments (and a refused request's text) before formatting."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _scrub(arg) for key, arg in record.args.items()}
        if isinstance(record.msg, str) and record.msg.startswith(_REFUSED):
            client = record.msg[len(_REFUSED) :].partition(":")[0]
            record.msg = f"{_REFUSED}{client}: (details hidden: they may hold personal data)"
            record.args = ()
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's Logger whose error log goes through the scrubbing formatter and filter."""

    def setup(self, cfg: Any) -> None:  # noqa: ANN401 - gunicorn's Config
        super().setup(cfg)
        formatter = ScrubbingFormatter(self.error_fmt, self.datefmt)
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)
            if not any(isinstance(f, HideRequestDetails) for f in handler.filters):
                handler.addFilter(HideRequestDetails())

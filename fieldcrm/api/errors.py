"""JSON error answers for the API: one shape, `{"error", "message", "fields"?}`."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_babel import gettext as _

API_PREFIX = "/api/"

# HTTP status -> (stable error code, message)
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "server_error",
}


def _message(status: int) -> str:
    messages = {
        400: _("The request could not be read."),
        401: _("Send a valid API token: Authorization: Bearer <token>."),
        403: _("Your role may not do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        408: _("The request body arrived too slowly."),
        409: _("This conflicts with the current state of the record."),
        412: _("The record changed since you read it: read it again, then retry."),
        413: _("The request body is too large."),
        415: _("Send a JSON body (Content-Type: application/json)."),
        422: _("The input is not valid."),
        428: _("Send If-Match with the ETag you read, so a newer change is not overwritten."),
        429: _("Too many requests for this token: slow down."),
        500: _("Something went wrong on the server."),
    }
    return messages.get(status, _("The request failed."))


class InputInvalid(Exception):
    """Input refused before any service ran: {field: [messages]} (answered 422)."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))


def error_response(
    status: int,
    message: str | None = None,
    *,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON error answer for `status`."""
    body: dict[str, Any] = {
        "error": _CODES.get(status, "error"),
        "message": message or _message(status),
    }
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="FieldCRM API"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def fields_from_pairs(pairs: list[tuple[str | None, str]], rename: dict[str, str]) -> dict:
    """{field: [messages]} from a service's (field, message) pairs, in the API's names."""
    fields: dict[str, list[str]] = {}
    for name, message in pairs:
        key = rename.get(name or "", name) or "request"
        fields.setdefault(key, []).append(message)
    return fields


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def pydantic_message(error: dict[str, Any]) -> str:
    """A person-readable (and translatable) message for one pydantic error."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("Required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Must be a whole number.")
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        if kind == "greater_than_equal":
            return _("Must be at least %(n)s.", n=bound)
        return _("Must be at most %(n)s.", n=bound)
    if kind in ("string_too_long", "too_long"):
        return _("Too long: at most %(n)s.", n=ctx.get("max_length"))
    if kind in ("string_too_short", "too_short"):
        return _("Required.")
    if kind == "literal_error":
        return _("Must be one of: %(choices)s.", choices=ctx.get("expected", ""))
    if kind.startswith(("date_", "date")) and "time" not in kind:
        return _("Must be a date written YYYY-MM-DD.")
    if kind == "timezone_aware":
        return _("Include the UTC offset, e.g. 2026-11-03T18:30:00Z.")
    if kind.startswith("datetime"):
        return _("Must be a date-time such as 2026-11-03T18:30:00Z.")
    if kind.startswith("bool"):
        return _("Must be true or false.")
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        return _("Wrong type.")
    if kind == "string_pattern_mismatch":
        return _("Not in the expected format.")
    return str(error.get("msg", _("Not valid.")))


def fields_from_pydantic(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """{field: [messages]} from pydantic's error list (nested fields joined by dots)."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_location(tuple(error.get("loc", ()))), []).append(
            pydantic_message(error)
        )
    return fields

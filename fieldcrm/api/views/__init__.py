"""The /api/v1 blueprint: bearer-token sign-in, per-token rate limit, audit, JSON errors.

How a call is handled, in order:

1. `identify_caller` (an app-level hook that runs first, before the rate limiter and the
   session hooks) makes the request anonymous, so a session cookie never signs an API call
   in, then looks the `Authorization: Bearer` token up (fieldcrm.api.tokens).
2. The rate limiter counts the call against the token (or, without one, the client's IP):
   API_RATE_LIMIT, one budget shared by every API route.
3. `require_token` answers 401 when there is no good token (auditing the use of a revoked
   or expired one), else makes the token's user the request's user; 413 for a body over
   API_MAX_BODY_KB.
4. The view parses its input with the pydantic models (fieldcrm.api.schemas), calls the
   same services and scoping functions as the pages, and commits once.
5. `audit_call` writes one audit row per call (who, which token, method, path, status),
   after rolling back whatever an error left unsaved, and notes the token as used.

There are no cookies, so there is no CSRF check on this blueprint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from fieldcrm import audit
from fieldcrm.api import idempotency, openapi, tokens
from fieldcrm.api.errors import (
    API_PREFIX,
    InputInvalid,
    error_response,
    fields_from_pairs,
    fields_from_pydantic,
)
from fieldcrm.auth.models import User
from fieldcrm.contacts.services import StaleEdit
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import csrf, db, limiter, login_manager
from fieldcrm.transactions import retrying

bp = Blueprint("api", __name__, url_prefix="/api/v1")
operation = openapi.route_decorator(bp)
M = TypeVar("M", bound=BaseModel)

# Reachable without a token: the document and its reading page describe the API, no data.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_json", "api.docs"})


def _rate_key() -> str:
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-ip:{request.remote_addr}"


csrf.exempt(bp)
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=_rate_key)(
    bp
)


class MissingReference(Exception):
    """A body names a record (contact_id, packet_id…) that is not in the caller's scope."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(field)


def identify_caller() -> None:
    """For /api/ requests: no session user; the bearer token's user when it is good."""
    if not request.path.startswith(API_PREFIX):
        return
    login_manager._update_request_context_with_user(None)  # a session cookie signs nobody in
    g.api_token = None
    g.api_refusal = ("missing", None)
    if request.routing_exception is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return
    try:
        token = tokens.authenticate(raw.strip(), now=utcnow())
    except tokens.TokenRefused as refused:
        known = refused.token
        g.api_refusal = (refused.reason, (known.id, known.user_id) if known else None)
        return
    g.api_token = token
    g.api_caller = (token.id, token.user_id, token.last_used_at)


def _refusal_message(reason: str) -> str:
    return {
        "missing": _("Send your API token: Authorization: Bearer <token>."),
        "malformed": _("That is not a FieldCRM API token."),
        "unknown": _("Unknown API token."),
        "revoked": _("This API token was revoked."),
        "expired": _("This API token has expired."),
        "inactive": _("This API token's account is deactivated."),
    }.get(reason, _("Unknown API token."))


@bp.before_request
def require_token() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.get("api_token") is None:
        reason, known = g.get("api_refusal") or ("missing", None)
        if known is not None:
            token_id, user_id = known

            def record() -> None:
                audit.record(
                    "api.token_refused",
                    actor=SimpleNamespace(id=user_id),
                    ip=request.remote_addr,
                    token_id=token_id,
                    reason=reason,
                    method=request.method,
                    path=request.path[:300],
                )
                db.session.commit()

            _safely(record)
        return error_response(401, _refusal_message(reason))
    # The token's user is the request's user from here on (after the app's session hooks,
    # which have nothing to do with a token: timeouts, two-step enrolment).
    login_manager._update_request_context_with_user(g.api_token.user)
    limit = int(current_app.config["API_MAX_BODY_KB"]) * 1024
    if request.content_length is not None and request.content_length > limit:
        return error_response(413)
    return None


@bp.after_request
def audit_call(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    caller = g.get("api_caller")
    if caller is None:
        return response
    token_id, user_id, last_used = caller
    status = response.status_code
    if status >= 400:
        db.session.rollback()  # an error never commits what the view had flushed

    def record() -> None:
        audit.record(
            {403: "access.denied", 404: "access.not_found"}.get(status, "api.call"),
            actor=SimpleNamespace(id=user_id),
            ip=request.remote_addr,
            token_id=token_id,
            method=request.method,
            path=request.path[:300],
            endpoint=request.endpoint,
            status=status,
        )
        tokens.mark_used(token_id, last_used, now=utcnow())
        db.session.commit()

    _safely(record)
    return response


def _safely(work: Callable[[], None]) -> None:
    """Run an audit write; a failure is logged, never turned into the caller's error."""
    try:
        retrying(work)
    except Exception:  # noqa: BLE001 - the answer stands; the log says what was lost
        db.session.rollback()
        current_app.logger.exception("could not audit an API call")


# -- errors ----------------------------------------------------------------------------------


@bp.errorhandler(InputInvalid)
def _input_invalid(error: InputInvalid) -> Response:
    return error_response(422, fields=error.fields)


@bp.errorhandler(ValidationFailed)
def _validation_failed(error: ValidationFailed) -> Response:
    return error_response(422, fields=fields_from_pairs(error.errors, {}))


@bp.errorhandler(MissingReference)
def _missing_reference(error: MissingReference) -> Response:
    return error_response(404, fields={error.field: [_("No such record in your scope.")]})


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    return error_response(404)


@bp.errorhandler(PermissionDenied)
def _denied(error: PermissionDenied) -> Response:
    return error_response(403)


@bp.errorhandler(StaleEdit)
def _stale(error: StaleEdit) -> Response:
    return error_response(412)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    from fieldcrm.web import InvalidInput

    message = error.description if isinstance(error, InvalidInput) else None
    return error_response(error.code or 500, message)


@bp.errorhandler(500)
def _server_error(error: Exception) -> Response:
    db.session.rollback()
    current_app.logger.error("unhandled API error on %s", request.path, exc_info=error)
    return error_response(500)


def init_app(app: Flask) -> None:
    """Register the API and the token pages; run `identify_caller` before every other hook
    but the request id (security.init_app puts that first afterwards)."""
    from fieldcrm.api.views import account, contacts, docs, fieldwork, places  # noqa: F401

    app.register_blueprint(bp)
    app.register_blueprint(account.bp)
    app.before_request_funcs.setdefault(None, []).insert(0, identify_caller)


# -- helpers for the views --------------------------------------------------------------


def actor() -> User:
    """The user the request's token acts for."""
    return g.api_token.user


def query_args(model: type[M]) -> M:
    """The query string parsed by `model`. Raises InputInvalid (422) naming each field."""
    try:
        return model.model_validate(request.args.to_dict(flat=True))
    except ValidationError as exc:
        raise InputInvalid(fields_from_pydantic(exc.errors())) from None


def _nul_fields(value: Any, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "request"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += _nul_fields(str(key), path) + _nul_fields(
                item, f"{path}.{key}" if path else str(key)
            )
        return found
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _nul_fields(item, f"{path}.{i}")]
    return []


def json_body(model: type[M]) -> tuple[M, dict[str, Any]]:
    """(parsed body, raw JSON object). Raises 415 for a non-JSON body, InputInvalid (422)."""
    if not request.is_json:
        raise UnsupportedMediaType()
    raw = request.get_json(silent=True)
    if not isinstance(raw, dict):
        raise InputInvalid({"request": [_("Send one JSON object.")]})
    nul = _nul_fields(raw)
    if nul:
        message = _("Contains a NUL character, which cannot be saved.")
        raise InputInvalid({name: [message] for name in nul})
    try:
        return model.model_validate(raw), raw
    except ValidationError as exc:
        raise InputInvalid(fields_from_pydantic(exc.errors())) from None


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, keys in the order the records give them."""
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def renamed(error: ValidationFailed, rename: dict[str, str]) -> InputInvalid:
    """A service's field errors in the API's field names."""
    return InputInvalid(fields_from_pairs(error.errors, rename))


def write(
    operation_name: str,
    raw: dict[str, Any],
    save: Callable[[], int],
    read: Callable[[int], dict],
    status: int = 201,
) -> Response:
    """Run `save` (services that flush, returning the record id), commit once, answer with
    `read(id)`. Honours Idempotency-Key: a retry with the same key and body answers with the
    first record, a retry racing the first meets the unique key and does the same."""
    who = actor()
    key = idempotency.check_key(request.headers.get(idempotency.HEADER))
    digest = idempotency.fingerprint(raw) if key else ""
    replayed = {"Idempotent-Replayed": "true"}
    if key:
        earlier = idempotency.find(who, key)
        if earlier is not None:
            record_id = idempotency.check_replay(earlier, operation_name, digest)
            return answer(read(record_id), status, replayed)
    try:
        record_id = save()
        if key:
            idempotency.claim(who, key, operation_name, digest, record_id)
        db.session.commit()
    except IntegrityError:
        # The same key raced in from a second copy of this request: answer as its retry.
        db.session.rollback()
        earlier = idempotency.find(who, key) if key else None
        if earlier is None:
            raise
        record_id = idempotency.check_replay(earlier, operation_name, digest)
        return answer(read(record_id), status, replayed)
    return answer(read(record_id), status)

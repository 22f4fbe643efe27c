"""Request-level security: headers, proxies, request ids, session timeouts, 2FA gate.

* Every response carries a strict Content-Security-Policy (no inline script or style),
  frame denial, nosniff, `Referrer-Policy: same-origin` (Flask-WTF's HTTPS referrer
  check still sees our own origin) and a Permissions-Policy; HSTS when HSTS_SECONDS > 0.
  Pages for a signed-in user are `Cache-Control: no-store`.
* Proxy headers (X-Forwarded-For/-Proto/-Host) are trusted only from PROXY_COUNT proxies
  (werkzeug ProxyFix); with 0 they are ignored.
* Each request gets an id: the X-Request-ID of a trusted proxy when it looks sane, else a
  new one. It is in `g.request_id`, every log line and the response header.
* A signed-in session ends after SESSION_IDLE_MINUTES without a request and
  SESSION_ABSOLUTE_HOURS after sign-in, whatever the cookie says. The field app's own
  background requests (PASSIVE_ENDPOINTS) do not count as activity, and a request asking
  for JSON gets a 401 JSON answer instead of the redirect to the sign-in page.
* Users whose role must use two-factor (REQUIRE_2FA_FOR) are sent to enrol before
  anything else.
* A NUL character in any path part, query-string value, form field or upload name is
  refused (400, naming the field) before any view runs.
* A POST refused for its CSRF token is offered again ("Submit again") only when it is
  same-origin and its token is this session's own, merely expired (`may_rescue_form`).
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

SESSION_STARTED = "_started"
SESSION_SEEN = "_seen"
MAX_PAGE = 1_000_000
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Endpoints a signed-in user may reach before finishing a required 2FA enrolment.
# Requests the field app makes by itself (service worker updates, background sends): they
# are checked against the timeouts but do not count as the person being active.
PASSIVE_ENDPOINTS = {
    "fieldapp.service_worker",
    "fieldapp.manifest",
    "fieldapp.session_token",
    "fieldapp.device_lists",
    "fieldapp.sync_items",
}

ENROLMENT_ALLOWED = {
    "auth.two_factor_setup",
    "auth.logout",
    "static",
    "health.healthz",
}


def content_security_policy(app: Flask, tile_origin: str | None = None) -> str:
    """The CSP header value: our own origin only, plus the configured map tile host, and on
    a page that draws a map, the tile host in force there (`tile_origin`, which an admin may
    have set on the Settings page)."""
    from fieldcrm.settings.services import tile_origin as origin_of

    img = ["'self'", "data:"]
    for origin in (origin_of(app.config.get("MAP_TILE_URL")), tile_origin):
        if origin and origin not in img:
            img.append(origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + " ".join(img),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


PERMISSIONS_POLICY = "camera=(), microphone=(), payment=(), usb=(), geolocation=(self)"


def init_app(app: Flask) -> None:
    """Install the proxy fix and the request hooks."""
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    csp = content_security_policy(app)

    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        trusted = int(current_app.config.get("PROXY_COUNT") or 0) > 0
        g.request_id = incoming if trusted and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    # First of all hooks, ahead of extensions' (Flask-WTF's CSRF check runs as one and may
    # refuse the request): every log line and audit row of a request carries its id.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)

    @app.before_request
    def bounded_paging() -> None:
        # Flask-SQLAlchemy's paginate reads these; an absurd page would overflow OFFSET.
        for name in ("page", "per_page"):
            value = request.args.get(name, "").strip()
            if re.fullmatch(r"-?\d{1,30}", value) and abs(int(value)) > MAX_PAGE:
                abort(404)

    @app.before_request
    def refuse_nul_characters() -> None:
        # PostgreSQL text cannot hold NUL, and no person types one: refuse it here, for
        # every path part, query string, form field and upload name, instead of a
        # DataError later.
        from fieldcrm.web import InvalidInput

        path_values = (request.view_args or {}).items()
        sources = [request.args.items(multi=True), ((k, str(v)) for k, v in path_values)]
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            sources.append(request.form.items(multi=True))
            sources.append((k, f.filename or "") for k, f in request.files.items(multi=True))
        for items in sources:
            for name, value in items:
                if "\x00" in name or "\x00" in value:
                    raise InvalidInput(
                        _(
                            "“%(name)s” contains a NUL character, which cannot be saved or "
                            "searched. Remove it and try again.",
                            name=name.replace("\x00", "")[:60],
                        )
                    )

    @app.before_request
    def enforce_session_timeouts() -> Response | None:
        if not current_user.is_authenticated:
            return None
        now = int(time.time())
        cfg = current_app.config
        started = session.get(SESSION_STARTED, now)
        seen = session.get(SESSION_SEEN, now)
        idle = now - seen > cfg["SESSION_IDLE_MINUTES"] * 60
        expired = now - started > cfg["SESSION_ABSOLUTE_HOURS"] * 3600
        if idle or expired:
            logout_user()
            session.clear()
            if wants_json(request):
                return jsonify(error="signed_out", message=_("Your session timed out.")), 401
            flash(_("Your session timed out. Please sign in again."), "info")
            return redirect(url_for("auth.login"))
        session.setdefault(SESSION_STARTED, started)
        if request.endpoint in PASSIVE_ENDPOINTS:
            return None
        if now - seen >= 30 or SESSION_SEEN not in session:  # keep cookie churn low
            session[SESSION_SEEN] = now
        return None

    @app.before_request
    def require_two_factor_enrolment() -> Response | None:
        if not current_user.is_authenticated or request.endpoint in ENROLMENT_ALLOWED:
            return None
        from fieldcrm.auth import twofactor

        if twofactor.must_enrol(current_user, current_app.config["REQUIRE_2FA_FOR"]):
            flash(_("Your role requires two-step sign-in. Set it up to continue."), "info")
            return redirect(url_for("auth.two_factor_setup"))
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        page_tiles = getattr(g, "csp_image_origin", None)
        headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(app, page_tiles) if page_tiles else csp,
        )
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        hsts = int(current_app.config.get("HSTS_SECONDS") or 0)
        if hsts > 0:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
        if request.endpoint != "static" and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        request_id = getattr(g, "request_id", None)
        if request_id:
            headers["X-Request-ID"] = request_id
        return response


def wants_json(req) -> bool:  # noqa: ANN001 - a flask Request
    """True when the client asked for JSON (an app's fetch), not a page."""
    return req.accept_mimetypes.best == "application/json"


def begin_session() -> None:
    """Start a fresh signed-in session: drop everything the old one carried.

    Flask's session is a signed cookie, so "a new session id" means new cookie content
    (cleared, then re-issued by login_user) plus the per-user session token in the
    Flask-Login id, which the server checks on every request.
    """
    session.clear()
    now = int(time.time())
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now


# Never echoed back into a page: secrets and the expired token itself.
_NOT_RESUBMITTED = re.compile(r"(password|passwd|secret|csrf_token|otp|totp|recovery)", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an absolute http(s) URL, default ports filled in."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def is_same_origin(req) -> bool:  # noqa: ANN001 - a flask Request
    """True when the request says it came from a page of this site.

    The `Origin` header decides when present (browsers send it on every cross-site POST
    and on same-site ones); without it, the `Referer` (our Referrer-Policy keeps it for
    same-origin requests). Neither, or `Origin: null`, is not same-origin.
    """
    ours = _origin(f"{req.scheme}://{req.host}/")
    origin = req.headers.get("Origin")
    source = origin if origin is not None else req.headers.get("Referer")
    return ours is not None and bool(source) and _origin(source) == ours


def _csrf_serializer() -> URLSafeTimedSerializer:
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token")


def _sent_csrf_token(req) -> str | None:  # noqa: ANN001 - a flask Request
    """The token a refused request carried, where Flask-WTF looks for it."""
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    for name, value in req.form.items(multi=True):
        if (name == field or name.endswith(field)) and value:
            return value
    for header in current_app.config["WTF_CSRF_HEADERS"]:
        if req.headers.get(header):
            return req.headers[header]
    return None


def carries_expired_token_of_this_session(req) -> bool:  # noqa: ANN001 - a flask Request
    """True only when the request's CSRF token was issued to this very session and has
    merely run out of time (signature good, session secret matches, age over the limit).

    A missing, forged or foreign token (another browser's, even a genuinely expired one)
    is False: only someone who had this session's page in front of them holds such a token.
    """
    token = _sent_csrf_token(req)
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    issued = session.get(field)
    if not token or not isinstance(issued, str):
        return False
    serializer = _csrf_serializer()
    try:
        raw = serializer.loads(token)
    except BadData:
        return False
    if not isinstance(raw, str) or not hmac.compare_digest(raw, issued):
        return False
    try:
        serializer.loads(token, max_age=current_app.config["WTF_CSRF_TIME_LIMIT"])
    except SignatureExpired:
        return True
    except BadData:
        return False
    return False


def may_rescue_form(req) -> bool:  # noqa: ANN001 - a flask Request
    """Whether a CSRF-refused POST may be offered again with a fresh token.

    Only a same-origin POST whose token this session issued and which has expired: a
    forged cross-site request (no token, a wrong one, an attacker's own expired one, or
    any token from another origin) gets a plain refusal, with nothing of it echoed.
    """
    return (
        req.method == "POST" and is_same_origin(req) and carries_expired_token_of_this_session(req)
    )


def resubmittable_fields(req) -> list[tuple[str, str]]:  # noqa: ANN001 - a flask Request
    """(name, value) pairs of a refused POST worth re-sending with a fresh CSRF token.

    Used when a CSRF token expired on a long form (see `may_rescue_form`): the error page
    re-posts what the person typed behind a "Submit again" button, so no text is lost.
    Passwords, codes and the old token are left out; files cannot be re-sent and are not.
    """
    return [
        (name, value)
        for name, values in req.form.lists()
        if not _NOT_RESUBMITTED.search(name)
        for value in values
    ]

"""Configuration classes, read from the environment (house style §11).

`create_app` loads one of these, then applies `FIELDCRM_*` environment overrides
(`app.config.from_prefixed_env("FIELDCRM")`).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
_INSTANCE = Path(os.environ.get("FIELDCRM_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs and bare postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{_INSTANCE / 'fieldcrm.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL: str | None = os.environ.get("REDIS_URL") or None
    RQ_QUEUE = os.environ.get("FIELDCRM_RQ_QUEUE", "fieldcrm")
    # Without REDIS_URL, jobs a web request starts run on a background thread ("thread")
    # or inside the request ("inline"); see fieldcrm/jobs.py.
    JOB_RUNNER = "thread"  # FIELDCRM_JOB_RUNNER=inline overrides

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(_INSTANCE / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "512")) * 1024 * 1024
    # Uploaded voter files are deleted this long after their import finished (or after
    # they were last touched, never started); refused ones sooner (fieldcrm.imports.retention).
    # A request body (an upload) must keep arriving: no wait over REQUEST_BODY_IDLE_SECONDS
    # for the next bytes, and after REQUEST_BODY_GRACE_SECONDS at least
    # REQUEST_BODY_MIN_KBPS kilobytes a second on average; else 408 (fieldcrm.lib.slowbody).
    REQUEST_BODY_IDLE_SECONDS = float(os.environ.get("REQUEST_BODY_IDLE_SECONDS", "20"))
    REQUEST_BODY_GRACE_SECONDS = float(os.environ.get("REQUEST_BODY_GRACE_SECONDS", "10"))
    REQUEST_BODY_MIN_KBPS = float(os.environ.get("REQUEST_BODY_MIN_KBPS", "16"))
    UPLOAD_KEEP_DAYS = float(os.environ.get("UPLOAD_KEEP_DAYS", "7"))
    REFUSED_UPLOAD_KEEP_HOURS = float(os.environ.get("REFUSED_UPLOAD_KEEP_HOURS", "24"))

    # i18n: every user picks a UI language; these are the ones with catalogs.
    LANGUAGES = {"en": "English", "es": "Español"}
    BABEL_DEFAULT_LOCALE = "en"
    # The program's local time zone: "today", "this week", due dates and every time shown on
    # a page are program time (fieldcrm.programtime, the only module that reads it).
    PROGRAM_TIMEZONE = os.environ.get("PROGRAM_TIMEZONE", "America/New_York")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a long door-knocking shift keeps its forms valid
    # Sessions end after this long without a request, and this long after sign-in at most.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    # No "remember me" box is offered; if one is ever added, its cookie is short-lived.
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    # Two-factor sign-in: roles that must enrol before using the app (empty: optional).
    REQUIRE_2FA_FOR: tuple[str, ...] = tuple(
        r.strip() for r in os.environ.get("REQUIRE_2FA_FOR", "").split(",") if r.strip()
    )
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "FieldCRM")
    TWO_FACTOR_RATE_LIMIT = os.environ.get("TWO_FACTOR_RATE_LIMIT", "5 per minute;20 per hour")
    # Host names the app answers to (comma-separated); empty accepts any (development).
    TRUSTED_HOSTS: list[str] | None = [
        h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()
    ] or None
    # Strict-Transport-Security max-age in seconds; 0 sends no HSTS header.
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "0"))
    # JSON log lines (one object per line, with the request id) instead of plain text.
    LOG_JSON = _bool("LOG_JSON", False)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    # Login throttling (Flask-Limiter). Storage is Redis when REDIS_URL is set so limits
    # hold across workers; memory otherwise (one process).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    RATELIMIT_HEADERS_ENABLED = False
    # Redis when REDIS_URL is set (limits shared by every worker), else this process only.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
        os.environ.get("REDIS_URL") or "memory://"
    )
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # The JSON API (README "API"): calls per token, every API route sharing one budget
    # (calls without a good token count per client IP); request bodies up to this size.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute;20000 per hour")
    API_MAX_BODY_KB = int(os.environ.get("API_MAX_BODY_KB", "256"))

    # Exports (README "Exports"): requests per user, shared by every export download; an
    # export of more than EXPORT_REAUTH_ROWS rows asks for the password (or a two-step code)
    # again when the last one was given over EXPORT_REAUTH_MINUTES ago; more than
    # EXPORT_ALERT_COUNT exports or EXPORT_ALERT_ROWS rows by one user within
    # EXPORT_ALERT_HOURS writes an `export.unusual` audit row for admins.
    EXPORT_RATE_LIMIT = os.environ.get("EXPORT_RATE_LIMIT", "6 per minute;60 per day")
    EXPORT_REAUTH_ROWS = int(os.environ.get("EXPORT_REAUTH_ROWS", "1000"))
    EXPORT_REAUTH_MINUTES = int(os.environ.get("EXPORT_REAUTH_MINUTES", "15"))
    EXPORT_ALERT_HOURS = int(os.environ.get("EXPORT_ALERT_HOURS", "24"))
    EXPORT_ALERT_COUNT = int(os.environ.get("EXPORT_ALERT_COUNT", "20"))
    EXPORT_ALERT_ROWS = int(os.environ.get("EXPORT_ALERT_ROWS", "50000"))

    # Argon2id parameters (argon2-cffi defaults: RFC 9106 low-memory profile).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    PAGE_SIZE = 50
    CONVERSATION_EDIT_WINDOW_MINUTES = 60
    STALLED_AFTER_DAYS = 30
    # Follow-ups: the prefilled text for one-tap "Text" links ({first_name}, {commitment},
    # {sender}); each user may set their own. Empty: the built-in text in the sender's
    # language. {commitment} is the kind's phrase with its own article ("your volunteer
    # shift"), so write "about {commitment}", not "about the {commitment}". A kept rate
    # under KEPT_RATE_WATCH (after KEPT_RATE_MIN_OUTCOMES kept or flaked) marks a leader's
    # follow-ups as slipping.
    FOLLOW_UP_SMS_TEMPLATE = os.environ.get("FOLLOW_UP_SMS_TEMPLATE", "")
    FOLLOW_UPS_PER_SECTION = 15  # rows per follow-up section before "show all"
    KEPT_RATE_WATCH = 0.5
    KEPT_RATE_MIN_OUTCOMES = 3
    # A tapped outcome (kept / flaked / cancelled) can be undone by whoever tapped it for
    # this long; after that it is corrected from the person's page (kept in the history).
    COMMITMENT_UNDO_MINUTES = int(os.environ.get("COMMITMENT_UNDO_MINUTES", "10"))
    # How long an API Idempotency-Key is remembered (README "API"); older ones are deleted.
    API_IDEMPOTENCY_DAYS = int(os.environ.get("API_IDEMPOTENCY_DAYS", "7"))

    # The country phones are dialled from (ISO 3166 code): its numbers are shown in national
    # format ("(336) 752-0471"), others in international format ("+44 20 7946 0958").
    PHONE_REGION = os.environ.get("PHONE_REGION", "US").upper()

    # Geocoding: None/"offline" places contacts at their ZIP centroid (no network).
    GEOCODER = os.environ.get("GEOCODER") or None
    GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "FieldCRM self-hosted")
    # Map background tiles (README "Maps"): a URL template with {z}/{x}/{y}, the credit the
    # provider requires (plain text) and where it links. Admins may set these on the
    # Settings page instead, which wins. With no URL the maps draw turfs on a plain ground.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    MAP_TILE_ATTRIBUTION_URL = os.environ.get("MAP_TILE_ATTRIBUTION_URL", "")

    # Mail for the commitments digest; with no MAIL_SERVER the digest is printed.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "fieldcrm@localhost")

    # Outgoing webhooks (README "Webhooks"): seconds to wait for an endpoint's answer, and
    # the waits before each retry of a failed delivery (after the last one it is failed).
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
    WEBHOOK_RETRY_DELAYS = os.environ.get("WEBHOOK_RETRY_DELAYS", "30,120,600,3600,21600")

    DEMO_LOGINS = False


class DevelopmentConfig(Config):
    """Local development and the demo: SQLite under instance/, a per-checkout secret."""

    DEBUG = False
    DEMO_LOGINS = True


class TestConfig(Config):
    """The test suite: in-memory SQLite unless TEST_DATABASE_URL names PostgreSQL."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = (
        _database_url(os.environ["TEST_DATABASE_URL"])
        if os.environ.get("TEST_DATABASE_URL")
        else "sqlite://"
    )
    WTF_CSRF_ENABLED = False
    REDIS_URL = None
    # Jobs run inside the request that starts them, so a test sees their result at once
    # (the thread runner has tests of its own).
    JOB_RUNNER = "inline"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Users are recreated with the same ids in every test: tests of the export limit set it.
    EXPORT_RATE_LIMIT = "10000 per minute"
    # Cheap hashing keeps the suite fast; production keeps the defaults above.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    SERVER_NAME = "localhost"
    # The CLI tests run imports in the test process; keep its priority (tested on its own).
    JOB_NICE = 0


class ProductionConfig(Config):
    """Production: refuses to boot without a real SECRET_KEY and DATABASE_URL."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    # A `__Host-` cookie is accepted by browsers only when Secure, Path=/ and without a
    # Domain, so no sibling host or subdomain can set or shadow the session. A plain-HTTP
    # loopback run (SESSION_COOKIE_SECURE=0) keeps an unprefixed name browsers accept.
    SESSION_COOKIE_NAME = "__Host-fieldcrm_session" if SESSION_COOKIE_SECURE else "fieldcrm_session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-fieldcrm_remember"
    REMEMBER_COOKIE_PATH = "/"
    REMEMBER_COOKIE_DOMAIN = None
    PREFERRED_URL_SCHEME = "https"
    # Admins and directors see every contact of a program or region: two-factor is
    # required for them in production unless REQUIRE_2FA_FOR says otherwise.
    REQUIRE_2FA_FOR = Config.REQUIRE_2FA_FOR or ("admin", "director")
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    LOG_JSON = _bool("LOG_JSON", True)

    @classmethod
    def check(cls, config: dict) -> None:
        """Raise RuntimeError when a production setting is missing or unsafe."""
        secret = config.get("SECRET_KEY") or ""
        if len(secret) < 32 or "change-me" in secret or "not-for-production" in secret:
            raise RuntimeError(
                "ProductionConfig needs SECRET_KEY set to a random value of 32+ characters "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("ProductionConfig needs DATABASE_URL (e.g. postgresql://...).")
        for kind in ("SESSION", "REMEMBER"):
            name = config.get(f"{kind}_COOKIE_NAME") or ""
            if name.startswith("__Host-") and (
                not config.get(f"{kind}_COOKIE_SECURE")
                or config.get(f"{kind}_COOKIE_PATH") != "/"
                or config.get(f"{kind}_COOKIE_DOMAIN")
            ):
                raise RuntimeError(
                    f"{kind}_COOKIE_NAME starts with __Host-: it needs {kind}_COOKIE_SECURE on, "
                    f"{kind}_COOKIE_PATH '/' and no {kind}_COOKIE_DOMAIN (browsers drop it "
                    "otherwise)."
                )

"""FieldCRM: an open-source field-organizing CRM. `create_app` is the only entry point."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Request, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from fieldcrm import migrating, programtime
from fieldcrm.extensions import babel, csrf, db, limiter, login_manager

PACKAGE_DIR = Path(__file__).resolve().parent


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to the database's 32-bit ids: a longer number is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class FieldCRMRequest(Request):
    """A request whose large uploaded files arrive in a named file in UPLOAD_DIR, so that
    storing one (fieldcrm.imports.services.store_upload) is a hard link, not a second
    copy of up to a few GB. Small files stay in memory as usual."""

    #: below this a file part stays in memory (werkzeug's own threshold)
    SPOOL_BYTES = 500 * 1024

    def _get_file_stream(  # type: ignore[no-untyped-def]
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        if filename and (total_content_length is None or total_content_length > self.SPOOL_BYTES):
            from fieldcrm.lib.uploads import incoming_file

            return incoming_file(current_app.config["UPLOAD_DIR"])
        return super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )


class FieldCRM(Flask):
    """Flask, with every view run as a unit of work that is retried when it loses a lock
    race (fieldcrm.transactions): a busy SQLite, a PostgreSQL deadlock or serialization
    failure, a row changed under a guarded update. The view runs again from the start after
    a rollback, so it sees what the other transaction wrote; nobody gets a 500 for it."""

    request_class = FieldCRMRequest

    def dispatch_request(self):  # type: ignore[no-untyped-def]
        from fieldcrm.transactions import retrying

        return retrying(lambda: Flask.dispatch_request(self), before_retry=_rewind_uploads)


def _rewind_uploads() -> None:
    """Uploaded files are read again from their first byte when a view runs again."""
    for upload in request.files.values():
        if upload.stream.seekable():
            upload.stream.seek(0)


def create_app(
    config_object: str | object = "config.DevelopmentConfig",
    overrides: dict[str, Any] | None = None,
) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI."""
    app = FieldCRM(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(
            Path(os.environ.get("FIELDCRM_INSTANCE_DIR", PACKAGE_DIR.parent / "instance")).resolve()
        ),
    )
    configure(app, config_object, overrides)
    app.url_map.converters["int"] = BoundedIntConverter
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security(app)
    register_cli(app)
    register_body_deadline(app)
    return app


def register_body_deadline(app: Flask) -> None:
    """Slow or stalled request bodies get a 408 (fieldcrm.lib.slowbody)."""
    from fieldcrm.lib.slowbody import RequestBodyDeadline

    app.wsgi_app = RequestBodyDeadline(  # type: ignore[method-assign]
        app.wsgi_app,
        idle_seconds=float(app.config["REQUEST_BODY_IDLE_SECONDS"]),
        grace_seconds=float(app.config["REQUEST_BODY_GRACE_SECONDS"]),
        min_bytes_per_second=float(app.config["REQUEST_BODY_MIN_KBPS"]) * 1024,
    )


def configure(app: Flask, config_object: str | object, overrides: dict[str, Any] | None) -> None:
    """Load the config object, FIELDCRM_* env overrides, then explicit overrides."""
    app.config.from_object(config_object)
    app.config.from_prefixed_env("FIELDCRM")
    if overrides:
        app.config.update(overrides)
    check = getattr(config_object, "check", None)
    if isinstance(config_object, str):
        import importlib

        module, _, name = config_object.rpartition(".")
        check = getattr(getattr(importlib.import_module(module), name), "check", None)
    if check:
        check(app.config)
    programtime.check_config(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)


def _instance_secret(app: Flask) -> str:
    """A random secret kept in instance/ for development checkouts (never a default)."""
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from fieldcrm import models  # noqa: F401 - every table registered before use
    from fieldcrm.auth.services import load_user
    from fieldcrm.lib import sqlite_setup

    # SQL parameters are voters' names, phones, notes and search terms: never put them in
    # an exception message (and so in a log line). Not configurable on purpose.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        "hide_parameters": True,
    }
    db.init_app(app)
    with app.app_context():
        sqlite_setup.configure_engine(db.engine)
    migrating.init_app(app, db, directory=str(PACKAGE_DIR.parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    csrf.init_app(app)
    from fieldcrm.webhooks import events as webhook_events

    webhook_events.init_app(app)
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        # Every time on a page is shown in the viewer's program time zone.
        timezone_selector=programtime.viewer_zone,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )


def _select_locale() -> str | None:
    languages = list(current_user_locale_choices())
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) if request else None


def current_user_locale_choices():
    from flask import current_app

    return current_app.config["LANGUAGES"].keys()


def register_blueprints(app: Flask) -> None:
    from fieldcrm.api import views as api_views
    from fieldcrm.auth import views as auth_views
    from fieldcrm.commitments import views as commitments_views
    from fieldcrm.contacts import views as contacts_views
    from fieldcrm.conversations import views as conversations_views
    from fieldcrm.dashboards import views as dashboards_views
    from fieldcrm.door import views as door_views
    from fieldcrm.fieldapp import views as fieldapp_views
    from fieldcrm.health import views as health_views
    from fieldcrm.imports import views as imports_views
    from fieldcrm.ladder import views as ladder_views
    from fieldcrm.organizations import views as organizations_views
    from fieldcrm.settings import views as settings_views
    from fieldcrm.turf import views as turf_views
    from fieldcrm.van import views as van_views
    from fieldcrm.webhooks import views as webhooks_views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(auth_views.admin_bp)
    app.register_blueprint(contacts_views.bp)
    app.register_blueprint(dashboards_views.bp)
    app.register_blueprint(imports_views.bp)
    app.register_blueprint(conversations_views.bp)
    app.register_blueprint(commitments_views.bp)
    app.register_blueprint(ladder_views.bp)
    app.register_blueprint(organizations_views.bp)
    app.register_blueprint(turf_views.bp)
    app.register_blueprint(door_views.bp)
    app.register_blueprint(health_views.bp)
    app.register_blueprint(fieldapp_views.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(webhooks_views.bp)
    app.register_blueprint(van_views.bp)
    api_views.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """Generic error pages (never a stack trace); denials and crashes are logged."""
    from fieldcrm.api.errors import API_PREFIX, error_response
    from fieldcrm.errors import NotFound, PermissionDenied
    from fieldcrm.web import InvalidInput

    def render(code: int):
        def handler(error: Exception):
            if request.path.startswith(API_PREFIX):  # no such API route (or method): JSON
                if code == 500:
                    db.session.rollback()
                    app.logger.error("unhandled error on %s", request.path, exc_info=error)
                return error_response(code)
            if code == 500:
                db.session.rollback()
                app.logger.error("unhandled error on %s", request.path, exc_info=error)
            elif code in (403, 404):
                # an export refused over the role's row limit is audited as such (the
                # rollback here would drop the row check_export added)
                refused = getattr(error, "audit_details", None)
                if refused is not None:
                    _audit_denial(code, "export.refused", **refused)
                else:
                    _audit_denial(code)
            # Only our own refusals explain themselves; others keep the generic text.
            detail = error.description if isinstance(error, InvalidInput) else None
            return render_template(f"errors/{code}.html", detail=detail), code

        return handler

    for code in (400, 403, 404, 405, 408, 413, 429, 500):
        app.register_error_handler(code, render(code))
    app.register_error_handler(PermissionDenied, render(403))
    app.register_error_handler(NotFound, render(404))

    from fieldcrm.exports import ReauthRequired

    @app.errorhandler(ReauthRequired)
    def reauth_required(error: ReauthRequired):
        db.session.commit()  # keep the audit row of the request
        return redirect(url_for("auth.confirm", next=request.full_path.rstrip("?")))

    from werkzeug.exceptions import SecurityError

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # No URL adapter exists for an untrusted Host, so no templated page either.
        return "Bad request: unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        from fieldcrm.security import may_rescue_form, resubmittable_fields

        # The typed text comes back only for this session's own expired form, posted from
        # this site; a forged cross-site POST gets a plain refusal that echoes nothing.
        rescue = may_rescue_form(request)
        app.logger.warning(
            "CSRF check refused %s %s",
            request.method,
            request.path,
            extra={
                "event": "access.csrf_refused",
                "method": request.method,
                "path": request.path,
                "status": 400,
                "user_id": _user_id(),
                "reason": error.description,
                "rescue_offered": rescue,
            },
        )
        _audit_denial(
            400, action="access.csrf_refused", reason=error.description, rescue_offered=rescue
        )
        fields = resubmittable_fields(request) if rescue else []
        return render_template(
            "errors/csrf.html", rescue=rescue, fields=fields, action=request.full_path
        ), 400


def _user_id() -> str | None:
    """The signed-in user's id (without the session token), for log lines."""
    if not current_user.is_authenticated:
        return None
    return current_user.get_id().partition(":")[0]


def _audit_denial(code: int, action: str | None = None, **details: Any) -> None:
    """Audit a denial met by a signed-in user: a 403, a 404 (scoped records answer 404), a
    refused CSRF token (400). Anonymous denials get the log lines only."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    from fieldcrm import audit

    try:
        db.session.rollback()
        audit.record(
            action or ("access.denied" if code == 403 else "access.not_found"),
            actor=current_user,
            ip=request.remote_addr,
            path=request.path[:300],
            method=request.method,
            status=code,
            **details,
        )
        db.session.commit()
    except Exception:  # noqa: BLE001 - an audit failure must not turn a denial into a 500
        db.session.rollback()
        current_app.logger.exception("could not audit a denial")


def register_template_helpers(app: Flask) -> None:
    from fieldcrm import labels, web
    from fieldcrm.settings.views import map_tiles_for_page

    web.init_app(app)
    labels.init_app(app)
    app.jinja_env.globals["map_tiles"] = map_tiles_for_page


def register_security(app: Flask) -> None:
    from fieldcrm import logging_setup, security

    security.init_app(app)
    logging_setup.configure(app)


def register_cli(app: Flask) -> None:
    from fieldcrm.cli import register

    register(app)

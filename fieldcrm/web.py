"""Web glue shared by every blueprint: template globals, filters, paging."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, session, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from fieldcrm import programtime
from fieldcrm.lib.dates import DATE_MAX, DATE_MIN, parse_iso_date


class InvalidInput(BadRequest):
    """A query parameter or form value refused with a message for the person (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(description=message)


def date_message(name: str) -> str:
    """What a date parameter or field must look like."""
    return _(
        "“%(name)s” must be a date written YYYY-MM-DD, between %(min)s and %(max)s.",
        name=name,
        min=DATE_MIN.isoformat(),
        max=DATE_MAX.isoformat(),
    )


def date_arg(name: str) -> date | None:
    """An ISO date from the query string (``?since=2026-11-01``), None when absent or empty.

    Raises InvalidInput (400, with a message) when the value is not a YYYY-MM-DD date
    between DATE_MIN and DATE_MAX: a mistyped filter never silently widens an export.
    """
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_iso_date(raw)
    except ValueError:
        raise InvalidInput(date_message(name)) from None


@lru_cache(maxsize=256)
def _digest(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def static_url(filename: str) -> str:
    """url_for('static') with a content hash, so browsers never run stale assets."""
    full = Path(current_app.static_folder or "") / filename
    try:
        version = _digest(str(full), full.stat().st_mtime)
    except OSError:
        version = "0"
    return url_for("static", filename=filename, v=version)


def nav_items() -> list[tuple[str, str, str]]:
    """(endpoint, label, url) for the signed-in user's role."""
    if not current_user.is_authenticated:
        return []
    items: list[tuple[str, str]] = [("dashboards.home", _("Home"))]
    app = current_app
    role = current_user.role

    def add(endpoint: str, label: str, roles: tuple[str, ...]) -> None:
        if role in roles and endpoint in app.view_functions:
            items.append((endpoint, label))

    add("commitments.mine", _("Follow-ups"), ("admin", "director", "organizer", "leader"))
    add("contacts.index", _("Contacts"), ("admin", "director", "organizer", "leader"))
    add("door.packets", _("Walk packets"), ("admin", "director", "organizer", "leader"))
    add("dashboards.coverage", _("Coverage"), ("admin", "director"))
    add("dashboards.team", _("Team"), ("admin", "director", "organizer"))
    add("ladder.board", _("Ladder"), ("admin", "director", "organizer"))
    add("organizations.index", _("Organizations"), ("admin", "director", "organizer"))
    add("turf.index", _("Turfs"), ("admin", "director"))
    add("imports.index", _("Imports"), ("admin", "director"))
    add("admin.users", _("Users"), ("admin",))
    add("admin.audit", _("Audit log"), ("admin",))
    add("settings.index", _("Settings"), ("admin",))
    add("webhooks.index", _("Webhooks"), ("admin",))
    return [(e, label, url_for(e)) for e, label in items]


def add_page_section(app: Flask, page: str, render: Callable[..., str]) -> None:
    """Add a section to another feature's page: `render(**context)` returns its HTML.

    A page of a lower feature shows what features above it add (the turf page shows its
    walk packets, fieldcrm.door) without importing them; the feature registers its section
    when its blueprint is registered (Indico's template hooks, reduced to one function).
    """
    app.extensions.setdefault("page_sections", {}).setdefault(page, []).append(render)


def page_sections(page: str, **context: Any) -> Markup:
    """Template global: the sections other features added to `page`, in registration order."""
    renderers = current_app.extensions.get("page_sections", {}).get(page, [])
    # Each section is a rendered (autoescaped) template, not text to escape again.
    return Markup("".join(render(**context) for render in renderers))  # noqa: S704


def page_args(**changes: Any) -> dict[str, Any]:
    """The current query arguments with some replaced (for pagination and sort links)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        args.pop(k, None)
    return args


# -- exports ---------------------------------------------------------------------------

# When this session last proved its password (or two-step code) for a large export.
REAUTH_AT = "_reauth_at"


def authenticated_at() -> float:
    """Epoch time of the last password check in this session: sign-in or a re-confirmation.

    0 when the session carries neither (so a large export asks rather than trusts).
    """
    from fieldcrm.security import SESSION_STARTED

    times = [t for t in (session.get(SESSION_STARTED), session.get(REAUTH_AT)) if t]
    return float(max(times)) if times else 0.0


def excel_requested() -> bool:
    """True for the "for Excel" variant of a download (``?for=excel``)."""
    return request.args.get("for") == "excel"


def _export_key() -> str:
    who = current_user.get_id() if current_user.is_authenticated else request.remote_addr
    return f"export:{who}"


def export_rate_limit(view):  # noqa: ANN001, ANN201 - a view decorator
    """Count a view against the user's export budget (EXPORT_RATE_LIMIT, every export shared)."""
    from fieldcrm.extensions import limiter

    return limiter.shared_limit(
        lambda: current_app.config["EXPORT_RATE_LIMIT"], scope="export", key_func=_export_key
    )(view)


def can_see(field: str) -> bool:
    """Template helper: may the signed-in user see this Contact field (contacts.visibility)."""
    from fieldcrm.contacts.visibility import can_see as _can_see

    if not current_user.is_authenticated:
        return False
    return _can_see(current_user, field)


def init_app(app: Flask) -> None:
    """Register template globals and filters."""
    app.jinja_env.globals.update(
        can_see=can_see,
        static_url=static_url,
        nav_items=nav_items,
        page_args=page_args,
        page_sections=page_sections,
        local_today=programtime.today,
        get_locale=get_locale,
    )
    # Times and dates on pages: the viewer's program time (fieldcrm.programtime).
    app.jinja_env.filters["local_dt"] = programtime.format_datetime
    app.jinja_env.filters["local_date"] = programtime.format_date
    app.jinja_env.filters["local_day"] = programtime.format_day
    app.jinja_env.filters["number"] = format_decimal  # 1,000 / 1.000 by locale

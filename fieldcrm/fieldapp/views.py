"""The field app's routes: the service worker and manifest at the root, the device's
lists, a fresh CSRF token, the sync endpoint, and the on-device home page.

JSON endpoints answer 401 JSON (never a redirect) when nobody is signed in or the session
timed out (fieldcrm.security), so the device can say "sign in to send N waiting".
"""

from __future__ import annotations

import logging
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from fieldcrm.commitments.models import Commitment
from fieldcrm.commitments.summary import marked_message
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.summary import saved_message
from fieldcrm.database import utcnow
from fieldcrm.door import queries as door_queries
from fieldcrm.door.queries import get_packet
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db, limiter
from fieldcrm.fieldapp import lists, sync
from fieldcrm.fieldapp.forms import item_input
from fieldcrm.transactions import retrying
from fieldcrm.web import static_url

bp = Blueprint("fieldapp", __name__)
log = logging.getLogger(__name__)

# Static files the app shell needs offline (precached by the service worker).
SHELL_FILES = (
    "css/app.css",
    "js/app.js",
    "js/packet.js",
    "js/conversations.js",
    "js/field-store.js",
    "js/field.js",
    "js/field-forms.js",
    "vendor/idb-8.0.4/idb.umd.js",
    "icons/fieldcrm-192.png",
    "icons/fieldcrm-512.png",
)
WORKBOX = "vendor/workbox-7.4.1"
WORKBOX_MODULES = ("core", "routing", "strategies", "precaching", "background-sync")
# Pages cached for every contact on the lists, at most this many contacts.
MAX_CACHED_CONTACTS = 150


def _signed_out():
    return jsonify(error="signed_out", message=_("Sign in to send what is waiting.")), 401


def api_login_required(view):  # noqa: ANN001, ANN201 - a view decorator
    """Like login_required, but a 401 JSON answer instead of a redirect to the sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if not current_user.is_authenticated:
            return _signed_out()
        return view(*args, **kwargs)

    return wrapped


@bp.route("/sw.js")
@limiter.exempt
def service_worker():
    """The service worker, at the root so its scope covers every page."""
    body = render_template(
        "fieldapp/sw.js",
        modules=[static_url(f"{WORKBOX}/workbox-{m}.prod.js") for m in WORKBOX_MODULES],
        scripts=[static_url("vendor/idb-8.0.4/idb.umd.js"), static_url("js/field-store.js")],
        precache=[{"url": static_url(f), "revision": None} for f in SHELL_FILES],
        home=url_for("fieldapp.home"),
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
@limiter.exempt
def manifest():
    """The web app manifest: installs the field app on a phone's home screen."""
    body = {
        "name": _("FieldCRM in the field"),
        "short_name": "FieldCRM",
        "description": _("Walk packets, follow-ups and one-on-ones, with or without signal."),
        "start_url": url_for("fieldapp.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f8b",
        "icons": [
            {
                "src": static_url(f"icons/fieldcrm-{n}.png"),
                "sizes": f"{n}x{n}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for n in (192, 512)
        ],
    }
    response = jsonify(body)
    response.headers["Content-Type"] = "application/manifest+json"
    return response


@bp.route("/field")
@login_required
def home():
    """The on-device home: packets, follow-ups, what is waiting and what could not be sent.

    The page is a shell: static/js/field.js fills it from the device's store, so it works
    offline once cached; without JavaScript it links to the pages that do the same online.
    """
    return render_template("fieldapp/home.html")


@bp.route("/field/api/session")
@api_login_required
def session_token():
    """Who is signed in, and a fresh CSRF token for the sync request."""
    return jsonify(user_id=current_user.id, name=current_user.name, csrf_token=generate_csrf())


@bp.route("/field/api/lists")
@api_login_required
def device_lists():
    """The person's packets and follow-ups for the device, and the pages to keep offline."""
    data = lists.device_lists(current_user, utcnow())
    ids = lists.contact_ids(data)[:MAX_CACHED_CONTACTS]
    data["pages"] = [
        url_for("fieldapp.home"),
        url_for("commitments.mine"),
        url_for("door.packets"),
        *[url_for("door.packet", packet_id=p["id"]) for p in data["packets"]],
    ]
    data["contact_pages"] = [
        url
        for i in ids
        for url in (
            url_for("contacts.detail", contact_id=i),
            url_for("conversations.log", contact_id=i),
        )
    ]
    return jsonify(data)


@bp.route("/field/api/packets/<int:packet_id>/matches")
@api_login_required
def door_matches(packet_id: int):
    """The people on file who may be someone met at a door of the packet, offered before a
    new contact is added ("in_packet": already on the walk list at this door)."""
    try:
        packet = get_packet(current_user, packet_id)
    except NotFound:
        return jsonify(error="not_found"), 404
    door = door_queries.packet_door(packet, request.args.get("household_key"))
    if door is None:
        return jsonify(error="not_found"), 404
    first, last = (request.args.get(k, "").strip()[:100] for k in ("first_name", "last_name"))
    found = door_queries.people_on_file_at_door(current_user, packet, door, first, last)
    return jsonify(
        matches=[
            {
                "id": m.contact.id,
                "name": m.contact.display_name,
                "address": m.contact.address,
                "same_door": m.same_door,
                "voter_file": bool(m.contact.voter_id),
                "in_packet": m.contact.household_key == door.household_key
                and m.contact.turf_id == packet.turf_id,
            }
            for m in found
        ]
    )


# The reasons a device shows in its "could not send" list, by refusal code.
def _reason(code: str, detail: str = "") -> str:
    reasons = {
        "wrong_user": _("Saved while someone else was signed in on this phone."),
        "packet_taken_back": _("This packet is no longer assigned to you."),
        "out_of_scope": _("This person is no longer on your lists (the turf was reassigned)."),
        "invalid": _("Something in it could not be saved: %(detail)s", detail=detail),
    }
    return reasons.get(code, _("The server could not save it."))


def _refused(client_id: str | None, code: str, detail: str = "") -> dict[str, Any]:
    return {"id": client_id, "status": "refused", "code": code, "reason": _reason(code, detail)}


def _answer(row, status: str) -> dict[str, Any]:
    answer = {
        "id": row.client_id,
        "status": status,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "result": row.result or {},
    }
    answer.update(_told(row.kind, row.record_id, row.result or {}))
    return answer


# Contact fields as the device names them in "changes not applied".
FIELD_LABELS = {
    "support_level": _l("Support level"),
    "preferred_languages": _l("Preferred languages"),
    "notes": _l("Notes"),
    "do_not_contact": _l("Do not contact"),
}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return _("(blank)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _told(kind: str, record_id: int | None, result: dict[str, Any]) -> dict[str, Any]:
    """What the person is told about a stored item, in their language: what a conversation
    or an outcome created (as the page's confirmation says it), and the contact fields a
    later edit kept ("not_applied": field and the value kept)."""
    if kind == "conversation" and record_id:
        conversation = db.session.get(Conversation, record_id)
        return {"message": saved_message(current_user, conversation)} if conversation else {}
    if kind == "commitment_outcome" and record_id:
        commitment = db.session.get(Commitment, record_id)
        if commitment is None:
            return {}
        told: dict[str, Any] = {
            "message": marked_message(commitment, result.get("status", commitment.status))
        }
        if result.get("event_id"):
            # The Undo the page's own confirmation carries (commitments/_undo_flash.html).
            told["undo"] = {
                "action": url_for("commitments.undo", commitment_id=commitment.id),
                "event_id": result["event_id"],
            }
        return told
    if kind == "contact_edit":
        kept = result.get("kept_values") or {}
        contact = db.session.get(Contact, record_id) if kept and record_id else None
        return {
            "contact": contact.display_name if contact else None,
            "not_applied": [
                {"field": str(FIELD_LABELS.get(name, name)), "kept": _shown(value)}
                for name, value in kept.items()
            ],
        }
    return {}


def _sync_one(raw: Any) -> dict[str, Any]:
    """Store one item in its own transaction and say what happened to it."""
    client_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        item = sync.parse_item(raw)
        data = item_input(item)
    except sync.Refused as refusal:
        return _refused(client_id, refusal.code, refusal.detail)

    def store() -> dict[str, Any]:
        existing = sync.find_stored(current_user, item.client_id)
        if existing is not None:
            return _answer(existing, "already")
        row = sync.store_item(current_user, item, data, utcnow())
        answer = _answer(row, "stored")
        db.session.commit()
        return answer

    try:
        for _attempt in range(2):
            try:
                return retrying(store)
            except IntegrityError:
                # A concurrent send of the same item (or of the same page form) won:
                # look again, now that it is committed.
                db.session.rollback()
        return {"id": item.client_id, "status": "error", "reason": _reason("error")}
    except sync.Refused as refusal:
        db.session.rollback()
        return _refused(item.client_id, refusal.code, refusal.detail)
    except NotFound:
        db.session.rollback()
        return _refused(item.client_id, "out_of_scope")
    except (ValidationFailed, PermissionDenied) as exc:
        db.session.rollback()
        detail = "; ".join(m for _f, m in exc.errors) if isinstance(exc, ValidationFailed) else ""
        return _refused(item.client_id, "invalid", detail)
    except Exception:  # noqa: BLE001 - one bad item must not lose the others' answers
        db.session.rollback()
        log.exception("sync item failed", extra={"event": "fieldapp.sync_error"})
        return {"id": item.client_id, "status": "error", "reason": _reason("error")}


@bp.route("/field/api/sync", methods=["POST"])
@api_login_required
def sync_items():
    """Store a batch of queued items, each exactly once, answering per item.

    Body: {"items": [{"id": UUID, "kind": …, "user_id": …, "queued_at": ISO, "payload": {…}}]}.
    Each answer is "stored", "already" (sent before: same record), "refused" (with a code
    and a reason to show) or "error" (try again later). The CSRF token travels in the
    X-CSRFToken header, like every write.
    """
    body = request.get_json(silent=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return jsonify(error="bad_request", message=_("Send a list of items.")), 400
    if len(items) > sync.MAX_ITEMS:
        return jsonify(error="too_many", max=sync.MAX_ITEMS), 413
    answers = [_sync_one(raw) for raw in items]
    current_app.logger.info(
        "field sync",
        extra={
            "event": "fieldapp.sync",
            "items": len(items),
            "stored": sum(a["status"] == "stored" for a in answers),
            "refused": sum(a["status"] == "refused" for a in answers),
        },
    )
    return jsonify(items=answers, at=utcnow().isoformat())


@bp.app_context_processor
def _field_template_globals() -> dict[str, Any]:
    from fieldcrm import programtime

    return {"field_zone": programtime.zone_name}

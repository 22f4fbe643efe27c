"""Managing webhook endpoints (admins only): register, change, remove, test, resend."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.database import utcnow
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.webhooks import events
from fieldcrm.webhooks.models import WebhookDelivery, WebhookEndpoint

MIN_SECRET = 16
SCHEMES = ("http", "https")


@dataclass(frozen=True)
class EndpointInput:
    """An endpoint as an admin enters it; a blank secret keeps (or generates) one."""

    url: str
    events: tuple[str, ...]
    secret: str | None = None
    description: str | None = None
    active: bool = True


def require_admin(actor: User | None) -> None:
    """Only admins manage webhooks (a URL and secret decide where data goes)."""
    if actor is None or actor.role != "admin":
        raise PermissionDenied("Only admins manage webhooks.")


def check_url(url: str) -> str:
    """The URL, stripped, if it is an absolute http(s) URL with a host and no credentials.

    The minimal guard against pointing deliveries somewhere odd (README "Webhooks"): only
    admins register URLs, only http and https are accepted (no file:, gopher:, ftp:…),
    redirects are never followed and nothing of the answer but its status is kept.
    Raises ValidationFailed.
    """
    url = (url or "").strip()
    if not url or len(url) > 500 or any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationFailed(
            [("url", _("Enter the endpoint's full URL (up to 500 characters)."))]
        )
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise ValidationFailed([("url", _("That is not a valid URL."))]) from exc
    if parts.scheme.lower() not in SCHEMES:
        raise ValidationFailed([("url", _("Only http:// and https:// URLs are accepted."))])
    if not parts.hostname:
        raise ValidationFailed([("url", _("The URL needs a host name."))])
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed(
            [("url", _("Put no user name or password in the URL: the secret signs each delivery."))]
        )
    del port
    return url


def _check(data: EndpointInput) -> tuple[str, list[str]]:
    url = check_url(data.url)
    chosen = [e for e in dict.fromkeys(data.events) if e in events.EVENTS]
    if not chosen or len(chosen) != len(set(data.events)):
        raise ValidationFailed([("events", _("Pick one or more of the listed events."))])
    if data.secret and len(data.secret.strip()) < MIN_SECRET:
        raise ValidationFailed(
            [
                (
                    "secret",
                    _(
                        "Use a secret of at least %(n)d characters (or leave it blank).",
                        n=MIN_SECRET,
                    ),
                )
            ]
        )
    return url, chosen


def create_endpoint(actor: User, data: EndpointInput) -> tuple[WebhookEndpoint, str | None]:
    """Register an endpoint; returns it and the secret when one was generated (shown once).

    Raises PermissionDenied (not an admin), ValidationFailed. Flushes; audits (never the
    secret).
    """
    require_admin(actor)
    url, chosen = _check(data)
    generated = None if data.secret else secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url,
        secret=(data.secret or "").strip() or generated,
        events=chosen,
        description=(data.description or "").strip()[:200] or None,
        active=data.active,
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhook.create", actor=actor, entity=endpoint, url=url, events=",".join(chosen))
    return endpoint, generated


def update_endpoint(actor: User, endpoint: WebhookEndpoint, data: EndpointInput) -> WebhookEndpoint:
    """Change an endpoint (a blank secret keeps the current one). Flushes; audits."""
    require_admin(actor)
    url, chosen = _check(data)
    before = f"{endpoint.url}|{','.join(endpoint.events or [])}|{endpoint.active}"
    endpoint.url, endpoint.events, endpoint.active = url, chosen, data.active
    endpoint.description = (data.description or "").strip()[:200] or None
    if data.secret:
        endpoint.secret = data.secret.strip()
    db.session.flush()
    audit.record(
        "webhook.update",
        actor=actor,
        entity=endpoint,
        before=before,
        after=f"{url}|{','.join(chosen)}|{data.active}",
        secret_changed=bool(data.secret),
    )
    return endpoint


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log. Flushes; audits."""
    require_admin(actor)
    audit.record("webhook.delete", actor=actor, entity=endpoint, url=endpoint.url)
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


def send_test(actor: User, endpoint: WebhookEndpoint) -> int:
    """Queue a "ping" delivery to this endpoint (sent after commit); returns its id."""
    require_admin(actor)
    (delivery_id,) = events.queue_deliveries(
        [endpoint.id], events.PING, {"endpoint_id": endpoint.id, "by_user_id": actor.id}
    )
    audit.record("webhook.test", actor=actor, entity=endpoint)
    return delivery_id


def resend(actor: User, delivery: WebhookDelivery) -> None:
    """Send a delivery again from its first try (sent after commit). Flushes; audits."""
    require_admin(actor)
    if delivery.status == "sending":
        raise ValidationFailed([(None, _("That delivery is being sent right now."))])
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at, delivery.claimed_at = utcnow(), None
    db.session.flush()
    events.start_after_commit([delivery.id])
    audit.record("webhook.resend", actor=actor, entity=delivery, endpoint_id=delivery.endpoint_id)


def recent_deliveries(endpoint_id: int, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def status_counts() -> dict[int, dict[str, int]]:
    """Per endpoint, how many deliveries are in each status."""
    rows = db.session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, n in rows:
        counts.setdefault(endpoint_id, {})[status] = n
    return counts

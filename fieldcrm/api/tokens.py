"""Personal API tokens: create (shown once), list, revoke, and check a presented token.

A token is ``fcrm_`` followed by 32 random bytes (URL-safe base64, 256 bits from
`secrets`). Only its SHA-256 is stored. A slow password hash (Argon2, as for passwords) is
for secrets people choose, which are guessable; against a 256-bit random secret a guess is
hopeless whatever the hash, and a leaked table of SHA-256 digests gives nothing back. A fast,
unsalted digest also means a presented token is found with one indexed lookup on its digest
(no per-user salt to try, no 50 ms of Argon2 on every API call), and the lookup compares
digests, never the secret itself, so its timing tells an attacker nothing about a token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.api.models import ApiToken
from fieldcrm.auth.models import User
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db

TOKEN_PREFIX = "fcrm_"  # noqa: S105 - the public marker every token starts with
SHOWN_CHARS = 12  # "fcrm_" and 7 characters of the secret, to tell tokens apart
MAX_NAME = 80
MAX_TOKEN_LENGTH = 200
MAX_DAYS = 3650
# last_used_at is written at most this often per token: one write a minute, not per call.
LAST_USED_EVERY = timedelta(seconds=60)


class TokenRefused(Exception):
    """A presented token does not authenticate; `reason` says why (never shown in full)."""

    def __init__(self, reason: str, token: ApiToken | None = None):
        self.reason = reason
        self.token = token
        super().__init__(reason)


def hash_token(raw: str) -> str:
    """The stored form of a token: its SHA-256, in hex."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh token: the prefix plus 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    actor: User | None,
    user: User,
    name: str,
    *,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user` (by the user, or an operator when `actor` is None).

    Returns the row and the token itself, which exists nowhere else: show it once. Raises
    ValidationFailed (no name, name too long, expiry not in the future, inactive user).
    Flushes; audits.
    """
    name = (name or "").strip()
    errors: list[tuple[str | None, str]] = []
    if not name:
        errors.append(("name", _("Name the token (what will use it).")))
    elif len(name) > MAX_NAME:
        errors.append(("name", _("Keep the name under %(n)d characters.", n=MAX_NAME)))
    if expires_at is not None and expires_at <= now:
        errors.append(("expires_at", _("Pick an expiry in the future.")))
    if not user.active:
        errors.append((None, _("The account is deactivated.")))
    if actor is not None and actor.id != user.id:
        errors.append((None, _("People make their own tokens.")))
    if errors:
        raise ValidationFailed(errors)
    raw = new_secret()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:SHOWN_CHARS],
        created_at=now,
        created_by_id=actor.id if actor is not None else None,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.create",
        actor=actor if actor is not None else user,
        entity=token,
        user_id=user.id,
        name=name,
        by="operator" if actor is None else "user",
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return token, raw


def tokens_of(user_id: int) -> sa.Select[tuple[ApiToken]]:
    """SELECT a user's tokens, newest first."""
    return (
        sa.select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def all_tokens() -> sa.Select[tuple[ApiToken]]:
    """SELECT every token with its user (for the operator's list), by id."""
    return sa.select(ApiToken).options(so.joinedload(ApiToken.user)).order_by(ApiToken.id)


def get_own_token(actor: User, token_id: int) -> ApiToken:
    """The actor's own token. Raises NotFound for anyone else's (or none)."""
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.id)
    )
    if token is None:
        raise NotFound("token")
    return token


def revoke_token(actor: User | None, token: ApiToken, *, now: datetime) -> ApiToken:
    """Revoke a token at once (an operator when `actor` is None). Revoking twice is a no-op.

    Flushes; audits.
    """
    if token.revoked_at is not None:
        return token
    token.revoked_at = now
    db.session.flush()
    audit.record(
        "api_token.revoke",
        actor=actor if actor is not None else token.user,
        entity=token,
        user_id=token.user_id,
        by="operator" if actor is None else "user",
    )
    return token


def authenticate(raw: str, *, now: datetime) -> ApiToken:
    """The token `raw` stands for, with its user loaded, if it may be used now.

    Raises TokenRefused: "malformed", "unknown", "revoked", "expired" or "inactive" (the
    user is deactivated). One query.
    """
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(TOKEN_PREFIX):
        raise TokenRefused("malformed")
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == hash_token(raw))
        .options(
            so.joinedload(ApiToken.user).lazyload(User.regions),
            so.joinedload(ApiToken.user).lazyload(User.turfs),
        )
    )
    if token is None:
        raise TokenRefused("unknown")
    status = token.status(now)
    if status != "active":
        raise TokenRefused(status, token)
    if not token.user.active:
        raise TokenRefused("inactive", token)
    return token


def mark_used(token_id: int, last_used_at: datetime | None, *, now: datetime) -> bool:
    """Note that the token was used now, at most once per LAST_USED_EVERY (`last_used_at`
    is what the token said when the call began). Returns True when written. One UPDATE."""
    if last_used_at is not None and now - last_used_at < LAST_USED_EVERY:
        return False
    table = ApiToken.__table__
    db.session.execute(sa.update(table).where(table.c.id == token_id).values(last_used_at=now))
    return True


def expiry_from_days(days: int | None, now: datetime) -> datetime | None:
    """`now` plus `days` (None: never expires). Raises ValidationFailed outside 1..MAX_DAYS."""
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed([("expires_in_days", _("Pick 1 to %(n)d days.", n=MAX_DAYS))])
    return now + timedelta(days=days)

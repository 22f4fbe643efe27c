"""Account services: create, edit, deactivate users; authenticate; change passwords."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import ROLE_VALUES, Role, User, new_session_token
from fieldcrm.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    dummy_verify,
    hash_password,
    verify_password,
)
from fieldcrm.database import utcnow
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.turf.models import Region, Turf


@dataclass(frozen=True)
class UserInput:
    """What an admin may set on a user."""

    email: str
    name: str
    role: str
    active: bool = True
    password: str | None = None
    locale: str = "en"
    languages: str | None = None
    region_ids: tuple[int, ...] = field(default_factory=tuple)
    turf_ids: tuple[int, ...] = field(default_factory=tuple)


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise PermissionDenied("only admins manage users")


def _check_password(password: str, field_name: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [(field_name, _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))]
        )


def _apply(user: User, data: UserInput) -> None:
    email = data.email.strip().lower()
    clash = db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id))
    if clash:
        raise ValidationFailed([("email", _("Another user already has this email."))])
    if data.role not in ROLE_VALUES:
        raise ValidationFailed([("role", _("Unknown role."))])
    scope_before = (user.role, {r.id for r in user.regions}, {t.id for t in user.turfs})
    user.email = email
    user.name = data.name.strip()
    user.role = data.role
    user.locale = data.locale
    user.languages = data.languages
    user.regions = list(db.session.scalars(sa.select(Region).where(Region.id.in_(data.region_ids))))
    user.turfs = list(db.session.scalars(sa.select(Turf).where(Turf.id.in_(data.turf_ids))))
    scope_after = (user.role, {r.id for r in user.regions}, {t.id for t in user.turfs})
    if user.id is not None and (scope_after != scope_before or user.active != data.active):
        # Losing a role, turf or region, or being deactivated, ends existing sessions.
        user.session_token = new_session_token()
    user.active = data.active


def create_user(actor: User | None, data: UserInput) -> User:
    """Create a user; `actor=None` means the CLI. Raises ValidationFailed, PermissionDenied.

    Flushes and writes an audit row.
    """
    _require_admin(actor)
    if not data.password:
        raise ValidationFailed([("password", _("Set an initial password."))])
    _check_password(data.password)
    user = User(password_hash=hash_password(data.password), password_changed_at=utcnow())
    with db.session.no_autoflush:
        _apply(user, data)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor=actor, entity=user, role=user.role, email=user.email)
    return user


def update_user(actor: User, user: User, data: UserInput) -> User:
    """Edit a user (admin only). A new password, if given, replaces the old one.

    Raises ValidationFailed, PermissionDenied. Flushes and audits.
    """
    _require_admin(actor)
    if actor.id == user.id and (data.role != Role.ADMIN or not data.active):
        raise ValidationFailed([("role", _("You cannot demote or deactivate yourself."))])
    with db.session.no_autoflush:
        _apply(user, data)
    if data.password:
        _check_password(data.password)
        user.password_hash = hash_password(data.password)
        user.password_changed_at = utcnow()
        user.session_token = new_session_token()
    db.session.flush()
    audit.record("user.update", actor=actor, entity=user, role=user.role, active=user.active)
    return user


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Activate or deactivate a user; deactivation ends their sessions at once."""
    _require_admin(actor)
    if actor.id == user.id:
        raise ValidationFailed([(None, _("You cannot deactivate yourself."))])
    user.active = active
    user.session_token = new_session_token()
    db.session.flush()
    audit.record("user.activate" if active else "user.deactivate", actor=actor, entity=user)
    return user


def authenticate(email: str, password: str, ip: str | None = None) -> User | None:
    """The active user with this email and password, or None.

    Unknown emails cost the same hashing time as wrong passwords. Audits the attempt.
    """
    email = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        dummy_verify(password)
        audit.record("auth.login_failed", ip=ip, email=email[:254], reason="unknown")
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        audit.record("auth.login_failed", actor=user, ip=ip, reason="password_or_inactive")
        return None
    return user


def confirm_identity(user: User, secret: str, ip: str | None = None) -> bool:
    """Check a signed-in user's password, or their two-step code when 2FA is on, again.

    Used before sensitive actions (large exports) when the sign-in is old. Audits the outcome
    (`auth.reauth` with the method, or `auth.reauth_failed`); flushes a used code.
    """
    secret = secret or ""
    if user.active and verify_password(user.password_hash, secret):
        audit.record("auth.reauth", actor=user, ip=ip, method="password")
        return True
    from fieldcrm.auth import twofactor

    if user.active and user.totp_enabled and twofactor.verify_second_factor(user, secret, ip=ip):
        audit.record("auth.reauth", actor=user, ip=ip, method="code")
        return True
    audit.record("auth.reauth_failed", actor=user, ip=ip)
    return False


def record_login(user: User, ip: str | None = None) -> None:
    """Note a successful sign-in."""
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user, ip=ip)


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password; ends every other session. Raises ValidationFailed."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed([("current_password", _("That is not your current password."))])
    _check_password(new, "new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.flush()
    audit.record("auth.password_change", actor=user, entity=user)


def set_locale(user: User, locale: str, allowed: dict[str, str]) -> None:
    """Set the user's UI language. Raises ValidationFailed for an unknown one."""
    if locale not in allowed:
        raise ValidationFailed([("locale", _("Unknown language."))])
    user.locale = locale
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere (their next request needs a fresh sign-in)."""
    user.session_token = new_session_token()
    db.session.flush()


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: '<id>:<session token>' must match an active user."""
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit() or not token:
        return None
    # Every request loads its user: leave the turfs and regions to the few pages that use
    # them (a query each) instead of two more queries on every request.
    user = db.session.get(
        User, int(ident), options=[so.lazyload(User.regions), so.lazyload(User.turfs)]
    )
    if user is None or not user.active or user.session_token != token:
        return None
    return user

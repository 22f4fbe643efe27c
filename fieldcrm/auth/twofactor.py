"""Two-step sign-in with TOTP (RFC 6238, pyotp) and single-use recovery codes.

* Enrolment: a secret is proposed (kept in the person's session until confirmed), shown as
  an otpauth:// URI and a QR code; a correct code confirms it and turns 2FA on, and ten
  recovery codes are shown once. They are stored as salted SHA-256 hashes.
* A TOTP code is accepted for the current 30 s step and one step either side, and never
  twice: the last accepted step is stored (`totp_last_step`), so a code seen over a
  shoulder or replayed from a log is refused.
* Turning 2FA off needs the password and a current code (or a recovery code).
* Every step writes an audit row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import User, new_session_token
from fieldcrm.auth.passwords import verify_password
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db

RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
VALID_WINDOW = 1  # steps either side of now (clock drift on phones)


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """A QR code of `uri` as an SVG data: URI (rendered here, no external service)."""
    return segno.make(uri, error="m").svg_data_uri(scale=1, border=2)


def must_enrol(user: User, required_roles: tuple[str, ...] | list[str]) -> bool:
    """True when the user's role requires 2FA and they have not enrolled yet."""
    return user.role in tuple(required_roles) and not user.totp_enabled


def _normalise(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def _matching_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid and newer than `last_step`."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _hash_recovery(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _new_recovery_codes() -> tuple[list[str], list[str]]:
    """(plain codes to show once, salted hashes to store)."""
    plain = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    stored = []
    for code in plain:
        salt = secrets.token_hex(8)
        stored.append(f"{salt}${_hash_recovery(_normalise(code), salt)}")
    return plain, stored


def confirm_enrolment(
    user: User, secret: str, code: str, *, now: float | None = None, ip: str | None = None
) -> list[str]:
    """Turn 2FA on with `secret` once `code` proves the app has it.

    Returns the recovery codes (plain, to show once). Raises ValidationFailed on a wrong
    code. Flushes and audits.
    """
    now = time.time() if now is None else now
    step = _matching_step(secret, _normalise(code), now, None)
    if step is None:
        audit.record("auth.2fa_enrol_failed", actor=user, entity=user, ip=ip)
        raise ValidationFailed(
            [("code", _("That code is not right. Check the time on your phone."))]
        )
    plain, stored = _new_recovery_codes()
    user.totp_secret = secret
    user.totp_enabled = True
    user.totp_last_step = step
    user.recovery_codes = stored
    db.session.flush()
    audit.record("auth.2fa_enabled", actor=user, entity=user, ip=ip)
    return plain


def _use_recovery_code(user: User, code: str) -> bool:
    code = _normalise(code)
    remaining = list(user.recovery_codes or [])
    for entry in remaining:
        salt, _, digest = entry.partition("$")
        if hmac.compare_digest(_hash_recovery(code, salt), digest):
            remaining.remove(entry)
            user.recovery_codes = remaining  # a new list, so the JSON column is updated
            return True
    return False


def verify_second_factor(
    user: User, code: str, *, now: float | None = None, ip: str | None = None
) -> bool:
    """Check a TOTP or recovery code for a user with 2FA on; each code works once.

    Flushes the new last step / remaining recovery codes and audits the outcome.
    """
    if not (user.totp_enabled and user.totp_secret):
        return False
    now = time.time() if now is None else now
    normal = _normalise(code)
    step = _matching_step(user.totp_secret, normal, now, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        method = "totp"
    elif len(normal) == 12 and _use_recovery_code(user, normal):
        method = "recovery_code"
    else:
        audit.record("auth.2fa_failed", actor=user, entity=user, ip=ip)
        return False
    db.session.flush()
    audit.record(
        "auth.2fa_passed",
        actor=user,
        entity=user,
        ip=ip,
        method=method,
        recovery_codes_left=len(user.recovery_codes or []),
    )
    return True


def disable(
    user: User,
    password: str,
    code: str,
    *,
    required_roles: tuple[str, ...] | list[str] = (),
    now: float | None = None,
    ip: str | None = None,
) -> None:
    """Turn 2FA off; needs the password and a current code. Ends other sessions.

    Raises ValidationFailed (wrong password or code, or a role that requires 2FA).
    """
    if user.role in tuple(required_roles):
        raise ValidationFailed([(None, _("Your role requires two-step sign-in."))])
    if not verify_password(user.password_hash, password):
        audit.record("auth.2fa_disable_failed", actor=user, entity=user, ip=ip)
        raise ValidationFailed([("password", _("That is not your password."))])
    if not verify_second_factor(user, code, now=now, ip=ip):
        raise ValidationFailed([("code", _("That code is not right."))])
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_codes = None
    user.session_token = new_session_token()
    db.session.flush()
    audit.record("auth.2fa_disabled", actor=user, entity=user, ip=ip)


def new_recovery_codes(
    user: User, password: str, code: str, *, now: float | None = None, ip: str | None = None
) -> list[str]:
    """Replace the recovery codes (password and a current code needed); returns them."""
    if not verify_password(user.password_hash, password):
        raise ValidationFailed([("password", _("That is not your password."))])
    if not verify_second_factor(user, code, now=now, ip=ip):
        raise ValidationFailed([("code", _("That code is not right."))])
    plain, stored = _new_recovery_codes()
    user.recovery_codes = stored
    db.session.flush()
    audit.record("auth.2fa_recovery_codes_replaced", actor=user, entity=user, ip=ip)
    return plain

"""Signing and checking webhook deliveries (HMAC-SHA256), with no Flask or database.

A delivery carries two headers:

* ``X-FieldCRM-Timestamp``: the Unix time (seconds) the request was signed;
* ``X-FieldCRM-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the endpoint's
  secret, of the timestamp, a full stop and the exact body bytes (``b"1767225600." + body``).

Signing the timestamp with the body lets a receiver refuse a replayed request: check the
signature with a constant-time comparison, then that the timestamp is recent (``verify``
allows five minutes by default).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-FieldCRM-Signature"
TIMESTAMP_HEADER = "X-FieldCRM-Timestamp"
EVENT_HEADER = "X-FieldCRM-Event"
DELIVERY_HEADER = "X-FieldCRM-Delivery"
PREFIX = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (``sha256=<hex>``)."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """True when `signature` signs `body` at `timestamp` and the timestamp is recent."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    expected = sign(secret, int(timestamp), body)
    if not hmac.compare_digest(expected, signature.strip()):
        return False
    now = time.time() if now is None else now
    return abs(now - int(timestamp)) <= tolerance_seconds

"""Idempotency keys for API writes: a retried request stores one record.

A client sends ``Idempotency-Key: <its own unique string>`` with a POST. The first request
claims the key (one row per user and key, unique in the database) in the same transaction
as the record it creates, and notes the record's id. A retry with the same key and the same
body gets that record back instead of a second one; the same key with another body, or on
another operation, is refused (422), since the client has confused two requests. Two
copies racing in at once meet the unique constraint: the loser rolls back and answers as a
retry.

Keys are remembered for API_IDEMPOTENCY_DAYS (7 by default): a user's older keys are
deleted when they next claim one, so the table holds about a week of writes, not every
write ever made. A retry later than that is a new request.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from fieldcrm.api.models import ApiIdempotencyKey
from fieldcrm.auth.models import User
from fieldcrm.database import utcnow
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db

HEADER = "Idempotency-Key"
MAX_KEY = 255
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, no spaces


def check_key(raw: str | None) -> str | None:
    """The header's key, None when absent. Raises ValidationFailed for an unusable key."""
    if raw is None:
        return None
    key = raw.strip()
    if not _KEY.match(key):
        raise ValidationFailed(
            [(HEADER, f"Use 1 to {MAX_KEY} visible ASCII characters (a UUID is ideal).")]
        )
    return key


def fingerprint(body: Any) -> str:
    """A digest of the request body, independent of key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def remembered_since(now: datetime | None = None) -> datetime:
    """Keys claimed before this moment are forgotten."""
    return (now or utcnow()) - timedelta(days=current_app.config["API_IDEMPOTENCY_DAYS"])


def find(actor: User, key: str) -> ApiIdempotencyKey | None:
    """The actor's earlier use of `key` within the remembered days, if any."""
    return db.session.scalar(
        sa.select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.user_id == actor.id,
            ApiIdempotencyKey.key == key,
            ApiIdempotencyKey.created_at >= remembered_since(),
        )
    )


def check_replay(row: ApiIdempotencyKey, operation: str, digest: str) -> int:
    """The record id an earlier request with this key created.

    Raises ValidationFailed when the key was used for another operation or body.
    """
    if row.operation != operation or row.request_hash != digest:
        raise ValidationFailed(
            [(HEADER, "This key was already used for a different request. Use a new key.")]
        )
    if row.resource_id is None:  # claimed in a transaction that never committed a record
        raise ValidationFailed([(HEADER, "This key's request did not complete. Use a new key.")])
    return row.resource_id


def claim(actor: User, key: str, operation: str, digest: str, resource_id: int) -> None:
    """Record that `key` created `resource_id` (in the caller's transaction). Flushes: a
    concurrent claim of the same key raises IntegrityError here or at commit.

    First deletes the actor's keys older than the remembered days (one indexed statement;
    a forgotten key sent again is then free to be claimed anew)."""
    db.session.execute(
        sa.delete(ApiIdempotencyKey).where(
            ApiIdempotencyKey.user_id == actor.id,
            ApiIdempotencyKey.created_at < remembered_since(),
        )
    )
    db.session.add(
        ApiIdempotencyKey(
            user_id=actor.id,
            key=key,
            operation=operation,
            request_hash=digest,
            resource_id=resource_id,
        )
    )
    db.session.flush()

"""Field-app fixtures: a packet of East's doors assigned to leader Lena, and a sync helper."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldcrm.extensions import db as _db


@pytest.fixture
def lena_packet(street_world, cut):
    """OAK ST cut into one packet assigned to leader Lena (a door list of East)."""
    w = street_world
    [packet, *_rest] = cut(
        w.organizer_ana, w.east, target_size=50, assigned_user_id=w.leader_lena.id
    )
    _db.session.commit()
    return packet


def item(kind: str, user, payload: dict, minutes_ago: int = 30, **extra) -> dict:
    """A queued item as the phone sends it."""
    queued = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "user_id": user.id,
        "queued_at": queued.isoformat(),
        "payload": payload,
        **extra,
    }


@pytest.fixture
def send(client):
    """POST a batch to the sync endpoint as the signed-in client; returns the response."""

    def _send(*items):
        return client.post(
            "/field/api/sync", json={"items": list(items)}, headers={"Accept": "application/json"}
        )

    return _send

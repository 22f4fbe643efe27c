"""A canvass world for the VAN export: people with and without VANIDs, and their attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from fieldcrm.extensions import db as _db
from fieldcrm.van.models import SourceSetting, VanMapping


@pytest.fixture
def canvass(world, fieldwork, make_contact, make_conversation, make_commitment):
    """The README's worked example. East: Eve (matched to VAN, VANID 100001; on the ladder's
    "Team leader / captain" stage) was not home on 2 Mar, then
    talked by phone on 3 Mar (strong support, a volunteer shift); Vic (source "vanlist",
    whose voter ids are VANIDs) was texted a wrong number. West: Wes (no VANID) refused.
    The mapping: phone → Phone (id 1), not_home → Not Home (id 1), support 1 → "Support ID"
    "1 - Strong", a volunteer shift → activist code Volunteer, the top ladder stage →
    activist code Leader (the README's example)."""
    w = world
    leader_stage = fieldwork[3]  # Team leader / captain
    w.east_1.van_id = "100001"
    w.east_1.ladder_stage_id = leader_stage.id
    w.vic = make_contact(
        w.east, source="vanlist", voter_id="200002", first_name="Vic", last_name="Van",
        precinct_code="E1",
    )  # fmt: skip
    _db.session.add(SourceSetting(source="vanlist", voter_ids_are_vanids=True))
    ana, omar = w.organizer_ana, w.organizer_omar
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
    w.not_home = make_conversation(
        w.east_1, ana, occurred_at=at, channel="door", result_code="not_home",
        is_conversation=False,
    )  # fmt: skip
    w.talked = make_conversation(
        w.east_1, ana, occurred_at=datetime(2026, 3, 4, 2, 30, tzinfo=UTC),  # 3 Mar local
        channel="phone", support_level=1,
    )  # fmt: skip
    make_commitment(w.east_1, ana, conversation_id=w.talked.id, kind="volunteer_shift")
    w.texted = make_conversation(
        w.vic, ana, occurred_at=datetime(2026, 3, 5, 16, 0, tzinfo=UTC), channel="text",
        result_code="wrong_number", is_conversation=False,
    )  # fmt: skip
    w.west_refused = make_conversation(
        w.west_1, omar, occurred_at=datetime(2026, 3, 5, 17, 0, tzinfo=UTC),
        result_code="refused", is_conversation=False,
    )  # fmt: skip
    for kind, code, name, van_id, question in (
        ("contact_type", "phone", "Phone", "1", None),
        ("result", "not_home", "Not Home", "1", None),
        ("survey", "support:1", "1 - Strong", None, "Support ID"),
        ("activist_code", "commitment:volunteer_shift", "Volunteer", None, None),
        ("activist_code", f"ladder:{leader_stage.id}", "Leader", None, None),
    ):
        _db.session.add(
            VanMapping(
                kind=kind, fieldcrm_code=code, van_name=name, van_id=van_id, question=question
            )
        )
    _db.session.commit()
    return SimpleNamespace(w=w, leader_stage=leader_stage)

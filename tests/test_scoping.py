"""The scoping helper: each role sees exactly its contacts, turfs, users."""

from __future__ import annotations

import pytest

from fieldcrm.errors import NotFound
from fieldcrm.extensions import db
from fieldcrm.scoping import (
    get_contact,
    visible_commitments,
    visible_contacts,
    visible_conversations,
    visible_turfs,
    visible_users,
)


def _names(stmt):
    return sorted(c.first_name for c in db.session.scalars(stmt))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_dev", ["Dot", "Eve", "Ezra", "Otto", "Wes"]),
        ("director_dana", ["Eve", "Ezra", "Wes"]),
        ("organizer_ana", ["Eve", "Ezra"]),
        ("organizer_omar", ["Wes"]),
        ("organizer_tri", ["Dot"]),
        ("leader_lena", ["Ezra"]),
    ],
)
def test_visible_contacts__per_role(world, persona, expected):
    assert _names(visible_contacts(getattr(world, persona))) == expected


def test_visible_contacts__inactive_user_sees_nothing(world):
    world.organizer_ana.active = False
    assert _names(visible_contacts(world.organizer_ana)) == []


def test_visible_contacts__leader_sees_contacts_whose_commitments_they_own(world, make_commitment):
    make_commitment(world.east_1, world.leader_lena)
    assert _names(visible_contacts(world.leader_lena)) == ["Eve", "Ezra"]


def test_get_contact__out_of_scope_is_not_found(world):
    with pytest.raises(NotFound):
        get_contact(world.organizer_ana, world.west_1.id)
    with pytest.raises(NotFound):
        get_contact(world.organizer_ana, 999_999)
    assert get_contact(world.organizer_ana, world.east_1.id).id == world.east_1.id


def test_visible_conversations_and_commitments__follow_contact_scope(
    world, make_conversation, make_commitment
):
    make_conversation(world.east_1, world.organizer_ana)
    make_conversation(world.west_1, world.organizer_omar)
    make_commitment(world.west_1, world.organizer_omar)
    assert len(db.session.scalars(visible_conversations(world.organizer_ana)).all()) == 1
    assert len(db.session.scalars(visible_conversations(world.director_dana)).all()) == 2
    assert db.session.scalars(visible_commitments(world.organizer_ana)).all() == []
    assert len(db.session.scalars(visible_commitments(world.organizer_omar)).all()) == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_dev", ["Durham", "East", "West"]),
        ("director_dana", ["East", "West"]),
        ("organizer_ana", ["East"]),
        ("leader_lena", ["East"]),
    ],
)
def test_visible_turfs__per_role(world, persona, expected):
    turfs = db.session.scalars(visible_turfs(getattr(world, persona))).all()
    assert sorted(t.name for t in turfs) == expected


def test_visible_users__organizer_sees_own_turf_team_only(world):
    users = db.session.scalars(visible_users(world.organizer_ana)).all()
    assert sorted(u.name for u in users) == ["Ana", "Lena"]

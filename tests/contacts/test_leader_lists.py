"""Putting people on a volunteer leader's list: from a contact's page, several at once from
the contacts list, a whole walk packet; taking them off; scope and audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.auth.models import LeaderAssignment
from fieldcrm.contacts import leaders
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db


def _on_list(leader) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(LeaderAssignment.contact_id).where(LeaderAssignment.leader_id == leader.id)
        )
    )


def _audit(action: str) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(AuditEvent.entity_id, AuditEvent.details)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
    ).all()
    return [(r[0], r[1]["leader_id"]) for r in rows]


def test_contact_page__organizer_puts_a_person_on_the_list(login_as, world):
    client = login_as(world.organizer_ana)
    page = client.get(f"/contacts/{world.east_1.id}").get_data(as_text=True)
    assert "Volunteer leaders following up" in page
    assert "Not on any volunteer leader’s list." in page
    response = client.post(
        "/contacts/leader-list",
        data={
            "leader_id": world.leader_lena.id,
            "contact_ids": world.east_1.id,
            "next": f"/contacts/{world.east_1.id}",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contacts/{world.east_1.id}")
    assert world.east_1.id in _on_list(world.leader_lena)
    assert _audit("leader.assign") == [(world.east_1.id, world.leader_lena.id)]
    page = client.get(f"/contacts/{world.east_1.id}").get_data(as_text=True)
    assert "1 person put on Lena’s list." in page
    assert "Take off the list" in page
    assert login_as(world.leader_lena).get(f"/contacts/{world.east_1.id}").status_code == 200


def test_list__several_at_once_skipping_people_out_of_scope(login_as, world):
    client = login_as(world.organizer_ana)
    body = client.get("/contacts/").get_data(as_text=True)
    assert 'name="contact_ids"' in body
    assert 'form="bulk-leader"' in body
    ids = [world.east_1.id, world.east_assigned.id, world.west_1.id, world.durham_1.id]
    response = client.post(
        "/contacts/leader-list",
        data={"leader_id": world.leader_lena.id, "contact_ids": ids, "next": "/contacts/?q=e"},
    )
    assert response.headers["Location"].endswith("/contacts/?q=e")
    # east_assigned was there already; West and Durham are outside Ana's turf.
    assert _on_list(world.leader_lena) == {world.east_1.id, world.east_assigned.id}
    assert _audit("leader.assign") == [(world.east_1.id, world.leader_lena.id)]


def test_packet__everyone_in_it_goes_on_the_list(login_as, street_world, cut):
    w = street_world
    [first, *_rest] = cut(w.organizer_ana, w.east, target_size=5)
    residents = set(leaders.packet_people(w.organizer_ana, first))
    assert len(residents) >= 5
    client = login_as(w.organizer_ana)
    assert "Put everyone in this packet on a volunteer leader" in client.get(
        f"/turf/packets/{first.id}"
    ).get_data(as_text=True)
    response = client.post(
        "/contacts/leader-list",
        data={
            "leader_id": w.leader_lena.id,
            "packet_id": first.id,
            "next": f"/turf/packets/{first.id}",
        },
    )
    assert response.headers["Location"].endswith(f"/turf/packets/{first.id}")
    assert residents <= _on_list(w.leader_lena)
    removed = client.post(
        "/contacts/leader-list",
        data={"leader_id": w.leader_lena.id, "packet_id": first.id, "action": "remove"},
    )
    assert removed.status_code == 302
    assert not residents & _on_list(w.leader_lena)
    assert {c for c, _l in _audit("leader.unassign")} == residents


def test_unassign__from_the_contact_page(login_as, world):
    client = login_as(world.organizer_ana)
    client.post(
        "/contacts/leader-list",
        data={
            "leader_id": world.leader_lena.id,
            "contact_ids": world.east_assigned.id,
            "action": "remove",
        },
    )
    assert _on_list(world.leader_lena) == set()
    assert _audit("leader.unassign") == [(world.east_assigned.id, world.leader_lena.id)]
    assert login_as(world.leader_lena).get(f"/contacts/{world.east_assigned.id}").status_code == (
        404
    )


def test_director_assigns_in_her_region_only(login_as, world, make_user):
    durham_leader = make_user("leader", name="Dee", turfs=[world.durham])
    client = login_as(world.director_dana)
    client.post(
        "/contacts/leader-list",
        data={"leader_id": world.leader_lena.id, "contact_ids": [world.west_1.id]},
    )
    assert world.west_1.id in _on_list(world.leader_lena)
    refused = client.post(
        "/contacts/leader-list",
        data={"leader_id": durham_leader.id, "contact_ids": [world.west_1.id]},
        follow_redirects=True,
    )
    assert "Pick one of your volunteer leaders." in refused.get_data(as_text=True)
    assert _on_list(durham_leader) == set()


def test_services__scope_rules(world, make_user):
    omar_leader = make_user("leader", name="Wil", turfs=[world.west])
    # Ana (East) may not assign to a leader of West only.
    with pytest.raises(ValidationFailed):
        leaders.assign_to_leader(world.organizer_ana, omar_leader, [world.east_1.id])
    # A leader may not put people on anyone's list, her own included, by id.
    with pytest.raises(PermissionDenied):
        leaders.assign_to_leader(world.leader_lena, world.leader_lena, [world.east_1.id])
    # Inactive leaders are not offered.
    world.leader_lena.active = False
    db.session.flush()
    assert db.session.scalars(leaders.assignable_leaders(world.organizer_ana)).all() == []


@pytest.mark.parametrize(
    ("persona", "status"),
    [("leader_lena", 403), ("organizer_ana", 302), ("admin_dev", 302)],
)
def test_leader_list__roles(login_as, world, persona, status):
    response = login_as(getattr(world, persona)).post(
        "/contacts/leader-list",
        data={"leader_id": world.leader_lena.id, "contact_ids": [world.east_1.id]},
    )
    assert response.status_code == status


def test_leader_list__leader_sees_no_assign_controls(login_as, world):
    client = login_as(world.leader_lena)
    assert "bulk-leader" not in client.get("/contacts/").get_data(as_text=True)
    detail = client.get(f"/contacts/{world.east_assigned.id}").get_data(as_text=True)
    assert "Volunteer leaders following up" not in detail

"""Organizations: create and edit, link people with a role, each one's people in scope."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Affiliation, Organization
from fieldcrm.errors import PermissionDenied
from fieldcrm.extensions import db
from fieldcrm.organizations import services


def test_create_and_edit(login_as, world):
    client = login_as(world.organizer_ana)
    response = client.post(
        "/organizations/new", data={"name": "Tenants United", "kind": "tenants", "region_id": ""}
    )
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organization))
    client.post(
        f"/organizations/{org.id}/edit",
        data={"name": "Tenants United East", "kind": "tenants", "description": "Est. 1998"},
    )
    db.session.refresh(org)
    assert (org.name, org.description) == ("Tenants United East", "Est. 1998")
    dup = client.post("/organizations/new", data={"name": "tenants united east", "kind": "other"})
    assert dup.status_code == 422


def test_create__region_outside_scope_refused(login_as, world):
    response = login_as(world.organizer_ana).post(
        "/organizations/new", data={"name": "X", "kind": "other", "region_id": world.triangle.id}
    )
    assert response.status_code == 422


def test_link__from_contact_page_with_role(login_as, world, make_org):
    org = make_org("Local 1199")
    client = login_as(world.organizer_ana)
    assert "Local 1199" in client.get(f"/contacts/{world.east_1.id}").get_data(True)
    client.post(
        f"/organizations/link/{world.east_1.id}", data={"organization_id": org.id, "role": "leader"}
    )
    client.post(
        f"/organizations/link/{world.east_1.id}",
        data={"organization_id": org.id, "role": "contact_person"},
    )
    [link] = db.session.scalars(sa.select(Affiliation)).all()
    assert link.role == "contact_person"
    client.post(f"/organizations/{org.id}/unlink/{world.east_1.id}")
    assert db.session.scalar(sa.select(sa.func.count(Affiliation.id))) == 0


def test_link__other_turf_contact_is_404(login_as, world, make_org):
    org = make_org("Local 1199")
    response = login_as(world.organizer_omar).post(
        f"/organizations/link/{world.east_1.id}", data={"organization_id": org.id, "role": "member"}
    )
    assert response.status_code == 404


def test_detail__people_only_in_scope_with_stage_and_latest(
    login_as, world, fieldwork, make_org, make_conversation
):
    world.east_1.ladder_stage_id = fieldwork[2].id
    db.session.commit()
    org = make_org("Congregation", members=[world.east_1, world.west_1, world.durham_1])
    make_conversation(world.east_1, world.organizer_ana, channel="phone")
    body = login_as(world.organizer_ana).get(f"/organizations/{org.id}").get_data(True)
    assert "Eve East" in body
    assert "Regular volunteer" in body
    assert "Phone" in body  # the channel, in words
    assert "Wes West" not in body
    assert "Dot Durham" not in body
    listing = login_as(world.director_dana).get("/organizations/").get_data(True)
    assert "2 people" in listing  # Dana sees Piedmont's two


def test_detail__query_count_does_not_grow(
    login_as, world, fieldwork, make_org, make_contact, make_conversation, count_queries
):
    people = [make_contact(world.east) for _ in range(2)]
    org = make_org("Campus", members=people)
    make_conversation(people[0], world.organizer_ana)
    client = login_as(world.organizer_ana)
    with count_queries() as few:
        client.get(f"/organizations/{org.id}")
    for _ in range(6):
        contact = make_contact(world.east, ladder_stage_id=fieldwork[1].id)
        make_conversation(contact, world.organizer_ana)
        db.session.add(Affiliation(contact_id=contact.id, organization_id=org.id))
    db.session.commit()
    with count_queries() as many:
        client.get(f"/organizations/{org.id}")
    assert few() == many() == 8


def test_services__leaders_cannot_edit(world, make_org):
    with pytest.raises(PermissionDenied):
        services.create_organization(world.leader_lena, services.OrganizationInput(name="Mine"))
    with pytest.raises(PermissionDenied):
        services.link_contact(world.leader_lena, world.east_assigned, make_org("O"), "member")

"""The VAN mapping page: admins map FieldCRM codes to VAN names and mark VANID sources."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.extensions import db
from fieldcrm.van import services
from fieldcrm.van.models import SourceSetting, VanMapping


def _mappings() -> list[tuple]:
    db.session.expire_all()
    return [
        (m.kind, m.fieldcrm_code, m.van_name, m.van_id, m.question)
        for m in db.session.scalars(sa.select(VanMapping).order_by(VanMapping.id))
    ]


@pytest.mark.parametrize("persona", ["director_dana", "organizer_ana", "leader_lena"])
def test_mapping__admins_only(login_as, world, fieldwork, persona):
    client = login_as(getattr(world, persona))
    assert client.get("/van/mapping").status_code == 403
    data = {"kind": "result", "fieldcrm_code": "refused", "van_name": "Refused"}
    assert client.post("/van/mapping/new", data=data).status_code == 403
    assert client.post("/van/sources", data={"source": "test", "vanids": "y"}).status_code == 403
    assert _mappings() == []


def test_mapping__page_lists_codes_defaults_and_sources(login_as, world, fieldwork):
    page = login_as(world.admin_dev).get("/van/mapping").get_data(True)
    assert 'value="support:1"' in page
    assert 'value="commitment:volunteer_shift"' in page
    assert f'value="ladder:{fieldwork[0].id}"' in page
    assert 'value="not_home"' in page
    assert "channel: Door → Walk" in page  # the FieldCRM side in words
    assert "result: Not home (not_home) → Not Home" in page
    assert 'name="source" value="test"' in page  # the world's contacts' source


def test_mapping__add_replace_and_remove(login_as, world, fieldwork):
    client = login_as(world.admin_dev)
    post = client.post
    assert post("/van/mapping/new", data={"kind": "result", "fieldcrm_code": "refused",
                "van_name": "Refused", "van_id": "2"}).status_code == 302  # fmt: skip
    # mapping the same code again replaces it
    post("/van/mapping/new", data={"kind": "result", "fieldcrm_code": "refused",
         "van_name": "Hostile", "van_id": "9"})  # fmt: skip
    post("/van/mapping/new", data={"kind": "survey", "fieldcrm_code": "support:5",
         "question": "Support ID", "van_name": "5 - Strong Oppose"})  # fmt: skip
    host = {"kind": "activist_code", "fieldcrm_code": "commitment:house_meeting"}
    post("/van/mapping/new", data={**host, "van_name": "House Meeting Host"})
    assert _mappings() == [
        ("result", "refused", "Hostile", "9", None),
        ("survey", "support:5", "5 - Strong Oppose", None, "Support ID"),
        ("activist_code", "commitment:house_meeting", "House Meeting Host", None, None),
    ]
    assert db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "van.mapping_set")
    ) == 4  # fmt: skip
    page = client.get("/van/mapping").get_data(True)
    assert "House Meeting Host" in page
    row_id = db.session.scalar(sa.select(VanMapping.id).where(VanMapping.kind == "result"))
    assert post(f"/van/mapping/{row_id}/delete").status_code == 302
    assert [m[0] for m in _mappings()] == ["survey", "activist_code"]


@pytest.mark.parametrize(
    ("kind", "code", "van_name", "extra", "field"),
    [
        ("result", "support:1", "x", {}, "fieldcrm_code"),
        ("survey", "support:1", "1", {}, "question"),
        ("activist_code", "support:1", "", {}, "van_name"),
        ("contact_type", "door", "Walk", {"van_id": "x2"}, "van_id"),
        ("activist_code", "support:2", "VANID", {}, "van_name"),
        ("wizardry", "door", "Walk", {}, "kind"),
        ("contact_type", "ladder:999", "Walk", {}, "fieldcrm_code"),
    ],
)
def test_mapping__refuses_what_does_not_fit(
    login_as, world, fieldwork, kind, code, van_name, extra, field
):
    data = {"kind": kind, "fieldcrm_code": code, "van_name": van_name, **extra}
    response = login_as(world.admin_dev).post("/van/mapping/new", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(True)
    assert _mappings() == []


def test_mapping__a_question_and_an_activist_code_never_share_a_column(world, fieldwork):
    services.add_mapping(
        world.admin_dev, services.MappingInput("activist_code", "support:1", "Supporter")
    )
    with pytest.raises(services.ValidationFailed):
        services.add_mapping(
            world.admin_dev,
            services.MappingInput("survey", "support:2", "2", question="supporter"),
        )


def test_sources__admin_marks_a_source_as_vanids(login_as, world, fieldwork):
    client = login_as(world.admin_dev)
    assert client.post("/van/sources", data={"source": "test", "vanids": "y"}).status_code == 302
    assert db.session.get(SourceSetting, "test").voter_ids_are_vanids is True
    assert services.vanid_sources() == ["test"]
    client.post("/van/sources", data={"source": "test"})
    db.session.expire_all()
    assert db.session.get(SourceSetting, "test").voter_ids_are_vanids is False

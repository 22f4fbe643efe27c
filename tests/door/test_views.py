"""Door pages: cutting from the turf page, the walk list, one-tap results, the phone-bank
list, assigning and deleting packets."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.conversations.models import Conversation
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.extensions import db


def test_cut_then_packet_pages(login_as, street_world):
    w = street_world
    client = login_as(w.organizer_ana)
    response = client.post(
        f"/turf/{w.east.id}/cut",
        data={"universe": "all", "target_size": 10, "mode": "door", "stale_days": 30},
    )
    assert response.status_code == 302
    packets = db.session.scalars(sa.select(WalkPacket).order_by(WalkPacket.id)).all()
    assert len(packets) == 2
    detail = client.get(f"/turf/{w.east.id}").get_data(as_text=True)
    assert "0 of 12 doors attempted" in detail  # OAK ST stays whole
    walk = client.get(f"/turf/packets/{packets[0].id}").get_data(as_text=True)
    assert "Not home" in walk
    assert "Talked" in walk
    sheet = client.get(f"/turf/packets/{packets[0].id}/sheet").get_data(as_text=True)
    for label in ("Not home", "Refused", "Moved", "Come back later"):
        assert f'class="rc">{label}</th>' in sheet
    assert "☐" in sheet


def test_log_attempt__one_tap_json_is_idempotent(login_as, street_world, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    client = login_as(w.organizer_ana)
    person = w.oak[3][0]
    data = {"contact_id": person.id, "result": "not_home", "idempotency_key": "k1"}
    headers = {"Accept": "application/json"}
    first = client.post(f"/turf/packets/{packet.id}/attempt", data=data, headers=headers)
    again = client.post(f"/turf/packets/{packet.id}/attempt", data=data, headers=headers)
    assert first.get_json()["ok"] is True
    assert again.get_json()["conversation_id"] == first.get_json()["conversation_id"]
    conversation = db.session.scalar(sa.select(Conversation))
    assert conversation.packet_id == packet.id
    assert conversation.result_code == "not_home"
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1
    page = client.get(f"/turf/packets/{packet.id}").get_data(as_text=True)
    assert "1 of 20 doors attempted" in page


def test_log_attempt__talked_opens_the_form_and_stores_nothing(login_as, street_world, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    person = w.oak[4][0]
    client = login_as(w.organizer_ana)
    data = {"contact_id": person.id, "result": "talked", "idempotency_key": "k2"}
    response = client.post(f"/turf/packets/{packet.id}/attempt", data=data)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/contacts/{person.id}/log?")
    assert f"next=/turf/packets/{packet.id}" in location.replace("%2F", "/")
    as_json = client.post(
        f"/turf/packets/{packet.id}/attempt", data=data, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 422
    assert as_json.get_json()["form"] == location
    # No empty conversation: talking is logged on the form.
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 0
    form = client.get(location).get_data(as_text=True)
    assert 'name="next" value="/turf/packets/' in form


def test_packet_page__talked_is_a_link_to_the_short_form(login_as, street_world, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    person = w.oak[3][0]
    page = login_as(w.organizer_ana).get(f"/turf/packets/{packet.id}").get_data(as_text=True)
    link = f'href="/contacts/{person.id}/log?next=/turf/packets/{packet.id}&amp;channel=door"'
    assert link in page
    assert 'value="talked"' not in page


def test_packet_page__latest_result_of_each_person_after_a_reload(
    login_as, street_world, cut, make_conversation
):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    client = login_as(w.organizer_ana)
    [nina] = w.oak[5]
    tap = {"contact_id": nina.id, "result": "not_home", "idempotency_key": "k5"}
    client.post(f"/turf/packets/{packet.id}/attempt", data=tap)
    page = client.get(f"/turf/packets/{packet.id}").get_data(as_text=True)
    mark = page[page.index(f'data-latest-for="{nina.id}"') :]
    assert mark[: mark.index("</span>")].split(">", 1)[1].startswith("Not home · ")
    # a talk logged later (anyone's) is the latest
    make_conversation(nina, w.leader_lena, is_conversation=True, result_code=None)
    page = client.get(f"/turf/packets/{packet.id}").get_data(as_text=True)
    mark = page[page.index(f'data-latest-for="{nina.id}"') :]
    assert mark[: mark.index("</span>")].split(">", 1)[1].startswith("Talked · ")


def test_packet_page__first_untried_door_is_open_and_streets_have_sides(
    login_as, street_world, cut
):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    client = login_as(w.organizer_ana)
    first = db.session.scalars(
        sa.select(PacketDoor).where(PacketDoor.packet_id == packet.id).order_by("position")
    ).first()
    [person] = [c for c in w.oak[1] + w.elm[1] if c.household_key == first.household_key]
    client.post(
        f"/turf/packets/{packet.id}/attempt",
        data={"contact_id": person.id, "result": "refused", "idempotency_key": "k6"},
    )
    page = client.get(f"/turf/packets/{packet.id}").get_data(as_text=True)
    assert page.count('<details class="door-details" open>') == 1
    opened = page.index('<details class="door-details" open>')
    assert page.rindex('id="door-', 0, opened) == page.index('id="door-2"')
    assert "odd side, going up" in page
    assert "even side, coming back down" in page


def test_log_attempt__contact_outside_scope_is_404(login_as, street_world, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    response = login_as(w.organizer_ana).post(
        f"/turf/packets/{packet.id}/attempt",
        data={"contact_id": w.west_1.id, "result": "not_home", "idempotency_key": "k3"},
    )
    assert response.status_code == 404


def test_phone_list__tel_and_sms_links(login_as, street_world, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50, mode="phone")[0]
    body = login_as(w.organizer_ana).get(f"/turf/packets/{packet.id}/phone").get_data(True)
    assert 'href="tel:+13365550101"' in body
    assert 'href="sms:+13365550101"' in body


def test_packets__leader_sees_only_assigned(login_as, street_world, cut):
    w = street_world
    mine = cut(w.organizer_ana, w.east, target_size=50, assigned_user_id=w.leader_lena.id)[0]
    other = cut(w.organizer_ana, w.east, target_size=50)[0]
    client = login_as(w.leader_lena)
    body = client.get("/turf/packets").get_data(as_text=True)
    assert mine.name in body
    assert other.name not in body
    assert client.get(f"/turf/packets/{mine.id}").status_code == 200
    assert client.get(f"/turf/packets/{other.id}").status_code == 404


def test_packets__query_count_is_pinned(login_as, street_world, cut, count_queries):
    w = street_world
    for _ in range(3):
        cut(w.organizer_ana, w.east, target_size=5)
    client = login_as(w.organizer_ana)
    client.get("/turf/packets")
    with count_queries() as n:
        assert client.get("/turf/packets").status_code == 200
    few = n()
    cut(w.organizer_ana, w.east, target_size=5)
    with count_queries() as n:
        client.get("/turf/packets")
    assert n() == few


def test_packet_delete_and_assign(login_as, street_world, cut):
    w = street_world
    packet_id = cut(w.organizer_ana, w.east, target_size=50)[0].id
    client = login_as(w.organizer_ana)
    client.post(f"/turf/packets/{packet_id}/assign", data={"assigned_user_id": w.leader_lena.id})
    db.session.expire_all()
    assert db.session.get(WalkPacket, packet_id).assigned_user_id == w.leader_lena.id
    client.post(f"/turf/packets/{packet_id}/delete")
    db.session.expunge_all()
    assert db.session.get(WalkPacket, packet_id) is None


def test_log_attempt__unknown_result_code_is_an_error(login_as, street_world, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    client = login_as(w.organizer_ana)
    data = {"contact_id": w.oak[1][0].id, "result": "abducted", "idempotency_key": "k4"}
    response = client.post(
        f"/turf/packets/{packet.id}/attempt", data=data, headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "Unknown result code."
    page = client.post(f"/turf/packets/{packet.id}/attempt", data=data, follow_redirects=True)
    assert "Unknown result code." in page.get_data(as_text=True)
    bad = client.post(f"/turf/packets/{packet.id}/attempt", data={**data, "contact_id": "x"})
    assert bad.status_code == 400

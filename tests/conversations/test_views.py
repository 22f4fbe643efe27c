"""Logging pages: one-tap attempts, the one-on-one form, double taps, editing, lists, export."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.commitments.models import Commitment
from fieldcrm.conversations.models import ChoiceOption, Conversation
from fieldcrm.extensions import db


def _conversations(contact_id: int) -> list[Conversation]:
    return list(
        db.session.scalars(sa.select(Conversation).where(Conversation.contact_id == contact_id))
    )


def test_log__page_offers_one_tap_attempts_with_their_own_keys(login_as, world, fieldwork):
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}/log").get_data(True)
    assert body.count('class="attempt-form"') == 7
    keys = re.findall(r'name="idempotency_key" (?:type="hidden" )?value="([^"]+)"', body)
    assert len(set(keys)) == len(keys) == 8  # seven attempts and the one-on-one form
    assert "Not home" in body
    assert "Come back later" in body
    assert 'name="commitments-2-kind"' in body  # three blank commitment rows without JS


def test_create__one_tap_attempt(login_as, world, fieldwork):
    client = login_as(world.organizer_ana)
    response = client.post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"channel": "door", "result_code": "not_home", "idempotency_key": "tap-1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contacts/{world.east_1.id}")
    [conv] = _conversations(world.east_1.id)
    assert (conv.result_code, conv.is_conversation, conv.channel) == ("not_home", False, "door")


def test_create__double_tap_creates_one_record(login_as, world, fieldwork):
    client = login_as(world.organizer_ana)
    data = {"channel": "phone", "result_code": "wrong_number", "idempotency_key": "tap-2"}
    for _ in range(2):
        assert (
            client.post(f"/contacts/{world.east_1.id}/conversations", data=data).status_code == 302
        )
    assert len(_conversations(world.east_1.id)) == 1


def test_create__returns_to_the_list_it_came_from(login_as, world, fieldwork):
    response = login_as(world.organizer_ana).post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"result_code": "refused", "idempotency_key": "n1", "next": "/commitments/"},
    )
    assert response.headers["Location"].endswith("/commitments/")
    evil = login_as(world.organizer_ana).post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"result_code": "refused", "idempotency_key": "n2", "next": "https://evil.test/"},
    )
    assert "evil" not in evil.headers["Location"]


def test_create__one_on_one_with_commitment_owned_by_leader(login_as, world, fieldwork):
    response = login_as(world.organizer_ana).post(
        f"/contacts/{world.east_1.id}/conversations",
        data={
            "idempotency_key": "ooo-1",
            "channel": "one_on_one",
            "support_level": "1",
            "issues": ["rent", "wages"],
            "issues_text": "landlord ignores repairs",
            "story": "Two kids, works nights.",
            "agitation": "The landlord owns 40 buildings.",
            "ask_kind": "house_meeting",
            "ask_text": "Host neighbours on Saturday",
            "response": "yes",
            "commitments-0-kind": "house_meeting",
            "commitments-0-due_date": "2026-12-05",
            "commitments-0-owner_id": str(world.leader_lena.id),
            "commitments-1-kind": "",
            "commitments-1-owner_id": str(world.organizer_ana.id),
            "follow_up_date": "2026-12-01",
            "notes": "Natural leader.",
        },
    )
    assert response.status_code == 302
    [conv] = _conversations(world.east_1.id)
    assert conv.issues == ["rent", "wages"]
    assert conv.response == "yes"
    assert conv.support_level == 1
    [commitment] = db.session.scalars(sa.select(Commitment)).all()
    assert commitment.owner_id == world.leader_lena.id
    assert commitment.conversation_id == conv.id
    db.session.refresh(world.east_1)
    assert world.east_1.support_level == 1


def test_create__bad_input_shows_the_form_again(login_as, world, fieldwork):
    response = login_as(world.organizer_ana).post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"idempotency_key": "bad", "channel": "door", "support_level": "9"},
    )
    assert response.status_code == 422
    assert _conversations(world.east_1.id) == []


def test_create__other_turf_contact_is_404(login_as, world, fieldwork):
    client = login_as(world.organizer_omar)
    assert client.get(f"/contacts/{world.east_1.id}/log").status_code == 404
    response = client.post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"result_code": "not_home", "idempotency_key": "x"},
    )
    assert response.status_code == 404
    assert _conversations(world.east_1.id) == []


def test_create__leader_logs_only_on_their_list(login_as, world, fieldwork):
    client = login_as(world.leader_lena)
    ok = client.post(
        f"/contacts/{world.east_assigned.id}/conversations",
        data={"result_code": "not_home", "idempotency_key": "l1"},
    )
    assert ok.status_code == 302
    assert client.get(f"/contacts/{world.east_1.id}/log").status_code == 404


def test_edit__author_saves_and_is_audited(login_as, world, fieldwork, make_conversation):
    client = login_as(world.organizer_ana)
    client.post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"idempotency_key": "e1", "channel": "door", "notes": "short"},
    )
    [conv] = _conversations(world.east_1.id)
    assert client.get(f"/conversations/{conv.id}/edit").status_code == 200
    detail = client.get(f"/contacts/{world.east_1.id}").get_data(True)
    assert f"/conversations/{conv.id}/edit" in detail
    response = client.post(
        f"/conversations/{conv.id}/edit", data={"channel": "phone", "notes": "longer notes"}
    )
    assert response.status_code == 302
    db.session.refresh(conv)
    assert (conv.channel, conv.notes) == ("phone", "longer notes")
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "conversation.update")
    )
    assert event.details["before_channel"] == "door"


def test_edit__someone_else_is_refused(login_as, world, fieldwork):
    login_as(world.organizer_ana).post(
        f"/contacts/{world.east_1.id}/conversations", data={"idempotency_key": "e2"}
    )
    [conv] = _conversations(world.east_1.id)
    assert login_as(world.director_dana).get(f"/conversations/{conv.id}/edit").status_code == 403
    assert login_as(world.organizer_omar).get(f"/conversations/{conv.id}/edit").status_code == 404


def test_choices__admin_adds_and_retires(login_as, world, fieldwork):
    client = login_as(world.admin_dev)
    assert "Kinds of ask" in client.get("/conversations/choices").get_data(True)
    client.post(
        "/conversations/choices/issue", data={"issue-list_name": "issue", "issue-label": "Water"}
    )
    option = db.session.scalar(sa.select(ChoiceOption).where(ChoiceOption.code == "water"))
    assert option is not None
    client.post(
        f"/conversations/choices/option/{option.id}",
        data={f"o{option.id}-label": "Water bills", f"o{option.id}-position": "2"},
    )
    db.session.refresh(option)
    assert (option.label, option.active) == ("Water bills", False)


def test_choices__leaders_and_organizers_cannot_reach(login_as, world, fieldwork):
    assert login_as(world.leader_lena).get("/conversations/choices").status_code == 403
    assert login_as(world.organizer_ana).post("/conversations/choices/issue").status_code == 403


def test_export__scoped_tidy_columns(login_as, world, fieldwork, make_conversation):
    make_conversation(world.east_1, world.organizer_ana, support_level=2, issues=["rent", "wages"])
    make_conversation(
        world.west_1, world.organizer_omar, result_code="not_home", is_conversation=False
    )
    response = login_as(world.organizer_ana).get("/conversations/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(True).lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["voter_id"] == world.east_1.voter_id
    assert row["issues"] == "rent;wages"
    assert row["support_level"] == "2"
    assert row["is_conversation"] == "true"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"])
    assert db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "export.conversations")
    )


def test_export__leaders_refused(login_as, world, fieldwork):
    assert login_as(world.leader_lena).get("/conversations/export.csv").status_code == 403


def test_log__shows_who_else_lives_at_the_door(login_as, world, fieldwork, make_contact):
    make_contact(
        world.east,
        first_name="Hal",
        last_name="Housemate",
        household_key=world.east_1.household_key,
    )
    make_contact(
        world.west, first_name="Other", last_name="Turf", household_key=world.east_1.household_key
    )
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}/log").get_data(True)
    assert "1 other person at this door" in body
    assert "Hal Housemate" in body
    assert "Other Turf" not in body


def test_create__user_and_record_are_not_read_again_after_the_commit(login_as, world, fieldwork):
    """A save is the busiest request: after its commit, the redirect and the access log must
    not load the signed-in user (and their turfs and regions) or the conversation again."""
    client = login_as(world.organizer_ana)
    statements: list[str] = []
    engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: PLR0913
        statements.append(statement.lstrip().upper())

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        response = client.post(
            f"/contacts/{world.east_1.id}/conversations",
            data={"channel": "door", "result_code": "not_home", "idempotency_key": "tap-9"},
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 302
    audit = max(i for i, s in enumerate(statements) if s.startswith("INSERT INTO AUDIT_EVENTS"))
    read_again = [
        s
        for s in statements[audit + 1 :]
        if re.search(r"\bFROM (USERS|USER_REGIONS|USER_TURFS|REGIONS|TURFS|CONVERSATIONS)\b", s)
    ]
    assert read_again == []


def _flash(client) -> str:
    """The latest message flashed (and not shown yet)."""
    with client.session_transaction() as session:
        return session["_flashes"][-1][1]


def test_create__the_confirmation_names_what_was_created(login_as, world, fieldwork, app):
    with app.app_context():
        from fieldcrm import programtime

        year = programtime.today().year + 1
    client = login_as(world.organizer_ana)
    client.post(
        f"/contacts/{world.east_1.id}/conversations",
        data={
            "idempotency_key": "named-1",
            "channel": "one_on_one",
            "commitments-0-kind": "house_meeting",
            "commitments-0-due_date": f"{year}-12-12",
            "commitments-0-owner_id": str(world.leader_lena.id),
            "commitments-1-kind": "volunteer_shift",
            "commitments-1-owner_id": str(world.organizer_ana.id),
            "follow_up_date": f"{year}-12-14",
        },
    )
    assert _flash(client) == (
        f"Conversation saved · commitment “Host a house meeting” due Dec 12, {year} handed to "
        "Lena · commitment “Volunteer shift”, you follow up · follow up on "
        f"Dec 14, {year}"
    )


def test_create__a_talk_without_commitments_and_an_attempt_say_so(login_as, world, fieldwork):
    client = login_as(world.organizer_ana)
    url = f"/contacts/{world.east_1.id}/conversations"
    client.post(url, data={"idempotency_key": "plain-1", "support_level": "2"})
    assert _flash(client) == "Conversation saved."
    client.post(url, data={"idempotency_key": "plain-2", "result_code": "not_home"})
    assert _flash(client) == "Logged: Not home."


def test_log__essentials_first_the_rest_under_more(login_as, world, fieldwork):
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}/log").get_data(True)
    form = body[body.index('class="form conversation-form"') :]
    more = form.index('<details class="more-fields">')
    for essential in ('name="channel"', 'name="support_level"', 'name="ask_kind"'):
        assert form.index(essential) < more, essential
    for name in ('name="response"', 'name="commitments-0-kind"', 'name="commitments-0-owner_id"'):
        assert form.index(name) < more, name
    for later in ('name="story"', 'name="agitation"', 'name="issues"', 'name="notes"'):
        assert form.index(later) > more, later
    assert form.index('name="commitments-1-kind"') > more
    assert form.index('class="save-bar"') > more
    # the one-tap results for no conversation are one tap away too, above the form
    assert body.index('<details class="card attempts" id="attempts">') < body.index(form[:40])


def test_log__talked_by_phone_starts_on_phone(login_as, world, fieldwork):
    body = (
        login_as(world.organizer_ana)
        .get(f"/contacts/{world.east_1.id}/log?channel=phone&next=/turf/packets/1/phone")
        .get_data(True)
    )
    assert re.search(
        r'<input checked id="channel-\d" name="channel" type="radio" value="phone">', body
    )
    assert '<input type="hidden" name="next" value="/turf/packets/1/phone">' in body

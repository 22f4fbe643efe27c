"""Contact edits from a phone's queue: the later edit wins per field, a field nobody changed
since the person saw it applies, and the answer names the values a later edit kept; the
answers to one-on-ones and outcomes say what was created, as the pages' confirmations do."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.commitments import services as commitment_services
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from tests.fieldapp.conftest import item


def _edit(actor, contact, fields, seen, minutes_ago=60):
    edited = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return item(
        "contact_edit",
        actor,
        {"contact_id": contact.id, "edited_at": edited.isoformat(), "fields": fields, "seen": seen},
    )


def test_contact_edit__field_unchanged_since_seen_applies_after_a_later_form_save(
    street_world, login_as, send, client
):
    w = street_world
    login_as(w.organizer_ana)
    contact = w.east_1
    seen_notes = contact.notes
    phone_a = _edit(
        w.organizer_ana,
        contact,
        {"notes": "from phone A", "preferred_languages": "es"},
        {"notes": seen_notes, "preferred_languages": contact.preferred_languages},
    )
    # Later, the office saves the edit form changing the notes only.
    client.post(
        f"/contacts/{contact.id}/edit",
        data={
            "version": str(contact.version),
            "notes": "from the office",
            "preferred_languages": contact.preferred_languages or "",
        },
    )
    [answer] = send(phone_a).get_json()["items"]
    assert answer["status"] == "stored", answer
    assert answer["result"]["applied"] == ["preferred_languages"]
    assert answer["result"]["kept_newer"] == ["notes"]
    assert answer["not_applied"] == [{"field": "Notes", "kept": "from the office"}]
    db.session.expire_all()
    fresh = db.session.get(Contact, contact.id)
    assert (fresh.notes, fresh.preferred_languages) == ("from the office", "es")
    [lost] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "contact.field_edit_kept_newer")
    ).all()
    assert lost.details["offline_value"] == "from phone A"
    assert lost.details["server_value"] == "from the office"


def test_contact_edit__an_edit_later_than_the_server_overwrites_and_audits_the_old_value(
    street_world, login_as, send
):
    w = street_world
    login_as(w.organizer_ana)
    contact = w.east_1
    contact.notes = "old note"
    db.session.commit()
    edit = _edit(w.organizer_ana, contact, {"notes": "new note"}, {"notes": "old note"}, 1)
    [answer] = send(edit).get_json()["items"]
    assert (answer["result"]["applied"], answer["not_applied"]) == (["notes"], [])
    [audit] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "contact.field_edit")
    ).all()
    assert (audit.details["before"], audit.details["after"]) == ("old note", "new note")
    assert audit.details["seen"] == "old note"


def test_contact_edit__notes_over_the_limit_are_refused_never_cut(street_world, login_as, send):
    """Notes longer than the edit form allows were cut to fit and the rest lost; the item is
    now refused, so it stays on the phone ("Could not send": copy, shorten, send again)."""
    w = street_world
    login_as(w.organizer_ana)
    contact = w.east_1
    contact.notes = "old note"
    db.session.commit()
    long = "x" * 5001
    edit = _edit(w.organizer_ana, contact, {"notes": long}, {"notes": "old note"}, 1)
    [answer] = send(edit).get_json()["items"]
    assert (answer["status"], answer["code"]) == ("refused", "invalid")
    assert "5,000" in answer["reason"]
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).notes == "old note"


def test_conversation_answer__names_what_was_created(street_world, login_as, send):
    w = street_world
    login_as(w.organizer_ana)
    due = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    form = [
        ["channel", "one_on_one"],
        ["commitments-0-kind", "house_meeting"],
        ["commitments-0-due_date", due],
        ["commitments-0-owner_id", str(w.leader_lena.id)],
    ]
    talk = item("conversation", w.organizer_ana, {"contact_id": w.east_1.id, "form": form})
    [answer] = send(talk).get_json()["items"]
    assert answer["message"].startswith("Conversation saved · commitment “")
    assert answer["message"].endswith(f"handed to {w.leader_lena.name}")
    again = send(talk).get_json()["items"][0]
    assert (again["status"], again["message"]) == ("already", answer["message"])


def test_contact_page__quick_edit_carries_the_values_the_person_sees(street_world, login_as):
    w = street_world
    contact = w.east_1
    contact.notes, contact.support_level = "met at the fair", 2
    db.session.commit()
    body = login_as(w.organizer_ana).get(f"/contacts/{contact.id}").get_data(as_text=True)
    [seen] = re.findall(r"data-seen='([^']*)'", body)
    assert json.loads(html.unescape(seen)) == {
        "support_level": 2,
        "preferred_languages": contact.preferred_languages,
        "notes": "met at the fair",
        "do_not_contact": False,
    }
    assert 'id="quick-edit" hidden' in body  # shown by the field app's script only
    assert 'name="qe-notes"' in body


def test_outcome_answer__says_what_was_marked(street_world, login_as, send):
    w = street_world
    login_as(w.organizer_ana)
    form = [["channel", "door"], ["commitments-0-kind", "house_meeting"]]
    talk = item("conversation", w.organizer_ana, {"contact_id": w.east_1.id, "form": form})
    [answer] = send(talk).get_json()["items"]
    [commitment_id] = answer["result"]["commitment_ids"]
    kept = item(
        "commitment_outcome", w.organizer_ana, {"commitment_id": commitment_id, "status": "kept"}
    )
    [marked] = send(kept).get_json()["items"]
    assert marked["message"] == f"{w.east_1.display_name}: marked kept."
    # The phone shows the same Undo as the page's confirmation: the event it takes back.
    event = commitment_services.latest_event(commitment_id)
    assert marked["undo"] == {
        "action": f"/commitments/{commitment_id}/undo",
        "event_id": event.id,
    }
    again = item(
        "commitment_outcome", w.organizer_ana, {"commitment_id": commitment_id, "status": "kept"}
    )
    [unchanged] = send(again).get_json()["items"]
    assert "undo" not in unchanged  # already kept: nothing of this send to take back

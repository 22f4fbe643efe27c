"""What logging does to a contact: times only move forward; only a new ID bumps the version."""

from __future__ import annotations

from datetime import timedelta

from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.services import touch_contact
from fieldcrm.database import utcnow


def test_touch_contact__times_move_forward_only_and_no_version_check(db, make_contact):
    contact = make_contact()
    version = contact.version
    now = utcnow().replace(microsecond=0)
    touch_contact(contact, attempt_at=now, talked=True)
    db.session.commit()
    assert (contact.last_attempt_at, contact.last_contacted_at) == (now, now)
    assert contact.version == version  # not an edit of their record
    touch_contact(contact, attempt_at=now - timedelta(days=2), talked=True)  # logged late
    touch_contact(contact, attempt_at=now + timedelta(minutes=5))  # a failed attempt
    db.session.commit()
    assert contact.last_attempt_at == now + timedelta(minutes=5)
    assert contact.last_contacted_at == now
    # Someone else saved on the person meanwhile (the in-memory version is stale): still fine.
    db.session.execute(
        Contact.__table__.update()
        .where(Contact.__table__.c.id == contact.id)
        .values(version=Contact.__table__.c.version + 1)
    )
    touch_contact(contact, support_level=2)
    db.session.commit()
    assert contact.support_level == 2
    assert contact.version == version + 2  # the new ID makes older edit forms stale

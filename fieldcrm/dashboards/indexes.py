"""Covering indexes for the coverage report's grouped reads (declared here, next to the
report that needs them, so the feature models stay as their owners wrote them).

* conversations (contact_id, occurred_at, is_conversation): attempts, conversations and
  reach per turf read only this index, never the conversation rows;
* commitments (contact_id, created_at, status): commitments made and kept, likewise;
* contacts (turf_id, last_attempt_at, last_contacted_at, do_not_contact), only people with
  an attempt: people attempted and reached since a date, and each turf's last activity,
  for the report read from the rollups (fieldcrm.dashboards.rollup_coverage). Partial, so
  an import's new people (never attempted) cost it nothing, and a bulk load keeps it
  instead of building it again (0.15-0.34 s at 1M contacts).
"""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact, where_filled
from fieldcrm.conversations.models import Conversation

conversations_coverage = sa.Index(
    "ix_conversations_coverage",
    Conversation.contact_id,
    Conversation.occurred_at,
    Conversation.is_conversation,
)
commitments_coverage = sa.Index(
    "ix_commitments_coverage", Commitment.contact_id, Commitment.created_at, Commitment.status
)
contacts_attempts = sa.Index(
    "ix_contacts_turf_attempts",
    Contact.turf_id,
    Contact.last_attempt_at,
    Contact.last_contacted_at,
    Contact.do_not_contact,
    **where_filled("last_attempt_at"),
)

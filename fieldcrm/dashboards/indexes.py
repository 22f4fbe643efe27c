"""Covering indexes for the coverage report's grouped reads (declared here, next to the
report that needs them, so the feature models stay as their owners wrote them).

* conversations (contact_id, occurred_at, is_conversation): attempts, conversations and
  reach per turf read only this index, never the conversation rows;
* commitments (contact_id, created_at, status): commitments made and kept, likewise.
"""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.commitments.models import Commitment
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

"""What logging a conversation created, in words: the confirmation shown after saving,
on the page (a flash) and on a phone that sent it from its queue (the sync answer)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from fieldcrm import programtime
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.labels import label


def saved_message(actor: User, conversation: Conversation) -> str:
    """What saving created, in words: "Conversation saved · commitment “Host a house
    meeting” due Dec 12 handed to Lena" (a failed attempt: "Logged: Not home.")."""
    if conversation.result_code:
        return _("Logged: %(what)s.", what=label(conversation.result_code, "result_code"))
    parts = [_("Conversation saved")]
    made = db.session.scalars(
        sa.select(Commitment)
        .where(Commitment.conversation_id == conversation.id)
        .options(so.joinedload(Commitment.owner))
        .order_by(Commitment.id)
    )
    for commitment in made:
        kind = label(commitment.kind, "commitment_kind")
        due = programtime.format_day(commitment.due_date)
        owner = commitment.owner
        if owner is not None and owner.id != actor.id:
            parts.append(
                _(
                    "commitment “%(kind)s” due %(date)s handed to %(name)s",
                    kind=kind,
                    date=due,
                    name=owner.name,
                )
                if due
                else _("commitment “%(kind)s” handed to %(name)s", kind=kind, name=owner.name)
            )
        else:
            parts.append(
                _("commitment “%(kind)s” due %(date)s, you follow up", kind=kind, date=due)
                if due
                else _("commitment “%(kind)s”, you follow up", kind=kind)
            )
    if conversation.follow_up_date:
        parts.append(
            _("follow up on %(date)s", date=programtime.format_day(conversation.follow_up_date))
        )
    return " · ".join(parts) if len(parts) > 1 else _("Conversation saved.")

"""Conversations (attempts and one-on-ones) and configurable choice lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, TranslatedMixin
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.auth.models import User
    from fieldcrm.contacts.models import Contact

CHANNELS = ("door", "phone", "text", "one_on_one", "event")
RESPONSES = ("yes", "no", "maybe")


class Conversation(TimestampMixin, db.Model):
    """One logged try to reach someone.

    With a `result_code` it is a failed attempt (not home, refused…); without one it is a
    real conversation, and the one-on-one parts (story, issues, agitation, ask, response)
    may be filled in.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "idempotency_key"),
        sa.CheckConstraint("support_level BETWEEN 1 AND 5", name="support_level_range"),
        sa.Index("ix_conversations_contact_when", "contact_id", "occurred_at"),
        sa.Index("ix_conversations_user_when", "user_id", "occurred_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    occurred_at: so.Mapped[datetime] = so.mapped_column(index=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(20), default="door")
    result_code: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    is_conversation: so.Mapped[bool] = so.mapped_column(default=False)
    support_level: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    issues: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    issues_text: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    story: so.Mapped[str | None] = so.mapped_column(sa.Text)
    agitation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    ask_kind: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    ask_text: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    response: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    notes: so.Mapped[str | None] = so.mapped_column(sa.Text)
    follow_up_date: so.Mapped[date | None]
    packet_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("walk_packets.id", ondelete="SET NULL"), index=True
    )
    # A double-tapped submit carries the same key and creates one record.
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    contact: so.Mapped[Contact] = so.relationship()
    user: so.Mapped[User | None] = so.relationship()

    @property
    def is_one_on_one(self) -> bool:
        return self.channel == "one_on_one"


class ChoiceOption(TranslatedMixin, db.Model):
    """An entry in a configurable list: result codes, issues, ask kinds, commitment kinds.

    `label` is the default text; `translations` holds the label (and `phrase`) per other
    interface language. `phrase` is how a follow-up text names a commitment kind
    ("your volunteer shift"): "Just checking in about {commitment}".
    """

    __tablename__ = "choice_options"
    __table_args__ = (sa.UniqueConstraint("list_name", "code"),)

    LISTS = ("result_code", "issue", "ask_kind", "commitment_kind")

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    list_name: so.Mapped[str] = so.mapped_column(sa.String(40))
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    label: so.Mapped[str] = so.mapped_column(sa.String(120))
    phrase: so.Mapped[str | None] = so.mapped_column(sa.String(160))
    position: so.Mapped[int] = so.mapped_column(default=0)
    active: so.Mapped[bool] = so.mapped_column(default=True)

"""The FieldCRM → VAN mapping admins edit, and per-source settings (VANIDs as voter ids)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, utcnow
from fieldcrm.extensions import db

#: What a mapping row maps: a channel to a VAN contact type, a result code (or
#: "conversation") to a VAN result, a FieldCRM fact (support level, a commitment made in
#: the conversation, a ladder stage) to a survey question's response or an activist code.
MAPPING_KINDS = ("contact_type", "result", "survey", "activist_code")


class VanMapping(db.Model):
    """One FieldCRM code → one VAN name (README "VAN canvass results" has the codes)."""

    __tablename__ = "van_mappings"
    __table_args__ = (sa.Index("ix_van_mappings_kind", "kind", "fieldcrm_code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    # a channel (door), a result code (not_home) or "conversation", or a fact:
    # support:<1-5>, commitment:<kind>, ladder:<stage id>
    fieldcrm_code: so.Mapped[str] = so.mapped_column(sa.String(80))
    # the VAN contact type, result, survey response or activist code, as VAN names it
    van_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    # VAN's numeric id of a contact type or result, when the admin knows it
    van_id: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    # the survey question (kind "survey"): the column the response goes in
    question: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<VanMapping {self.kind} {self.fieldcrm_code} -> {self.van_name!r}>"


class SourceSetting(TimestampMixin, db.Model):
    """Settings of one source (the `source` of contacts, e.g. "nc", "van")."""

    __tablename__ = "source_settings"

    source: so.Mapped[str] = so.mapped_column(sa.String(50), primary_key=True)
    # The voter ids of this source are VANIDs (a VAN export's source is set so when it is
    # imported with the VAN layout); the canvass export then uses them as VANIDs.
    voter_ids_are_vanids: so.Mapped[bool] = so.mapped_column(default=False)

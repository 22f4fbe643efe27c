"""VAN canvass results: the admin-edited mapping, per-source VANID settings, export rows.

A VAN bulk upload of canvass results takes one row per attempt: who (VANID), how (contact
type), what happened (a result, or survey responses and activist codes for a real
conversation), when (DateCanvassed) and by whom (CanvassedBy). FieldCRM's own codes become
VAN's names through `VanMapping` rows an admin keeps (README "VAN canvass results"):

* ``contact_type``: a channel (door, phone, text, one_on_one, event) → a VAN contact type;
  unmapped channels use DEFAULT_CONTACT_TYPES;
* ``result``: a result code (not_home…) → a VAN result; ``conversation`` (they talked) →
  nothing by default, since VAN implies "Canvassed" when responses are given; unmapped
  codes use DEFAULT_RESULTS, then the code's own label;
* ``survey``: a fact → a response to a survey question (one column per question);
* ``activist_code``: a fact → an activist code (one column per code, holding its name).

Facts of a conversation: ``support:<1-5>`` (the support level logged), ``commitment:<kind>``
(a commitment of that kind made in it), ``ladder:<stage id>`` (the person's ladder stage
now). Failed attempts carry only their result: VAN takes no responses with a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit, programtime
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import CHANNELS, ChoiceOption, Conversation
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderStage
from fieldcrm.scoping import contact_scope
from fieldcrm.van.models import MAPPING_KINDS, SourceSetting, VanMapping

DEFAULT_CONTACT_TYPES = {
    "door": "Walk",
    "phone": "Phone",
    "text": "SMS Text",
    "one_on_one": "Walk",
    "event": "Walk",
}
DEFAULT_RESULTS = {
    "not_home": "Not Home",
    "refused": "Refused",
    "moved": "Moved",
    "deceased": "Deceased",
    "wrong_number": "Wrong Number",
    "inaccessible": "Inaccessible",
    "come_back": "Come Back",
}
CONVERSATION = "conversation"
BASE_COLUMNS = (
    "VANID", "ContactTypeID", "ContactType", "ResultID", "Result", "DateCanvassed",
    "CanvassedBy",
)  # fmt: skip
FACT_KINDS = ("survey", "activist_code")
_IN_BATCH = 500


@dataclass(frozen=True)
class MappingInput:
    """One mapping row as an admin enters it."""

    kind: str
    fieldcrm_code: str
    van_name: str
    van_id: str | None = None
    question: str | None = None


def _require_admin(actor: User | None) -> None:
    if actor is None or actor.role != "admin":
        raise PermissionDenied("Only admins edit the VAN mapping.")


def fieldcrm_codes(kind: str) -> list[tuple[str, str, str]]:
    """The FieldCRM codes a mapping of `kind` may start from, as (code, what, name): what is
    channel, conversation, result, support, commitment or ladder (the page words it)."""
    if kind == "contact_type":
        return [(c, "channel", c) for c in CHANNELS]
    if kind == "result":
        return [
            (CONVERSATION, "conversation", ""),
            *((c, "result", lbl) for c, lbl in _labels("result_code")),
        ]
    stages = db.session.execute(
        sa.select(LadderStage.id, LadderStage.name).order_by(LadderStage.position, LadderStage.id)
    ).all()
    return [
        *((f"support:{n}", "support", str(n)) for n in range(1, 6)),
        *((f"commitment:{c}", "commitment", lbl) for c, lbl in _labels("commitment_kind")),
        *((f"ladder:{i}", "ladder", name) for i, name in stages),
    ]


def mappings() -> list[VanMapping]:
    """Every mapping row, by kind then in the order they were added."""
    rows = db.session.scalars(sa.select(VanMapping).order_by(VanMapping.id)).all()
    order = {k: i for i, k in enumerate(MAPPING_KINDS)}
    return sorted(rows, key=lambda m: (order.get(m.kind, 99), m.id))


def _clean(value: str | None, limit: int) -> str | None:
    return (value or "").strip()[:limit] or None


def add_mapping(actor: User, data: MappingInput) -> VanMapping:
    """Add (or, for a channel, result or question already mapped, replace) a mapping row.

    Raises PermissionDenied (not an admin), ValidationFailed. Flushes; audits.
    """
    _require_admin(actor)
    if data.kind not in MAPPING_KINDS:
        raise ValidationFailed([("kind", _("Pick what to map."))])
    code = (data.fieldcrm_code or "").strip()
    if code not in {c for c, _what, _name in fieldcrm_codes(data.kind)}:
        raise ValidationFailed([("fieldcrm_code", _("Pick one of the listed FieldCRM codes."))])
    name = _clean(data.van_name, 120)
    if data.kind != "result" and not name:
        raise ValidationFailed([("van_name", _("Enter the name VAN uses."))])
    van_id = _clean(data.van_id, 20)
    if van_id and not van_id.isdigit():
        raise ValidationFailed([("van_id", _("VAN ids are whole numbers."))])
    question = _clean(data.question, 120) if data.kind == "survey" else None
    if data.kind == "survey" and not question:
        raise ValidationFailed([("question", _("Name the survey question (the column)."))])
    column = question if data.kind == "survey" else name
    if data.kind in FACT_KINDS:
        _check_column(data.kind, column or "")
    same = sa.select(VanMapping).where(
        VanMapping.kind == data.kind, VanMapping.fieldcrm_code == code
    )
    if data.kind == "survey":
        same = same.where(VanMapping.question == question)
    elif data.kind == "activist_code":
        same = same.where(VanMapping.van_name == name)
    for old in db.session.scalars(same):
        db.session.delete(old)
    row = VanMapping(
        kind=data.kind, fieldcrm_code=code, van_name=name or "", van_id=van_id, question=question
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "van.mapping_set", actor=actor, entity=row, kind=data.kind, code=code, van=name or ""
    )
    return row


def _check_column(kind: str, column: str) -> None:
    """A survey question and an activist code each get a column: names must not collide."""
    if column.casefold() in {c.casefold() for c in BASE_COLUMNS}:
        raise ValidationFailed(
            [("van_name", _("%(column)s is a column of the file already.", column=column))]
        )
    other = "activist_code" if kind == "survey" else "survey"
    taken = db.session.scalars(
        sa.select(VanMapping.question if other == "survey" else VanMapping.van_name).where(
            VanMapping.kind == other
        )
    ).all()
    if column.casefold() in {(t or "").casefold() for t in taken}:
        field = "question" if kind == "survey" else "van_name"
        raise ValidationFailed(
            [
                (
                    field,
                    _(
                        "%(column)s names a survey question and an activist code: rename one.",
                        column=column,
                    ),
                )
            ]
        )


def delete_mapping(actor: User, row: VanMapping) -> None:
    """Remove a mapping row (the defaults apply again). Flushes; audits."""
    _require_admin(actor)
    audit.record(
        "van.mapping_delete", actor=actor, entity=row, kind=row.kind, code=row.fieldcrm_code
    )
    db.session.delete(row)
    db.session.flush()


# --- sources ---------------------------------------------------------------------------


def vanid_sources() -> list[str]:
    """Sources whose voter ids are VANIDs."""
    return list(
        db.session.scalars(
            sa.select(SourceSetting.source).where(SourceSetting.voter_ids_are_vanids.is_(True))
        )
    )


def source_flags() -> list[tuple[str, bool]]:
    """Every source of contacts (and every configured one) with its VANID flag."""
    settings = {
        s.source: s.voter_ids_are_vanids for s in db.session.scalars(sa.select(SourceSetting))
    }
    sources = set(db.session.scalars(sa.select(Contact.source).distinct())) | set(settings)
    return [(s, settings.get(s, False)) for s in sorted(sources)]


def set_vanid_source(actor: User | None, source: str, flag: bool) -> SourceSetting:
    """Say whether `source`'s voter ids are VANIDs (admins; None: an import run).

    Raises PermissionDenied, ValidationFailed (no source). Flushes; audits.
    """
    if actor is not None:
        _require_admin(actor)
    source = (source or "").strip()[:50]
    if not source:
        raise ValidationFailed([("source", _("Name the source."))])
    setting = db.session.get(SourceSetting, source)
    if setting is None:
        setting = SourceSetting(source=source, voter_ids_are_vanids=flag)
        db.session.add(setting)
    elif setting.voter_ids_are_vanids == flag:
        return setting
    setting.voter_ids_are_vanids = flag
    db.session.flush()
    audit.record(
        "van.source", actor=actor, entity_type="source_settings", source=source, vanids=flag
    )
    return setting


# --- the export ------------------------------------------------------------------------


def vanid_clause(sources: list[str]) -> sa.ColumnElement:
    """SQL for a contact's VANID: its van_id, else its voter id when its source is VAN's."""
    if not sources:
        return Contact.van_id
    return sa.func.coalesce(
        Contact.van_id, sa.case((Contact.source.in_(sources), Contact.voter_id), else_=None)
    )


def _conversations(actor: User | None, since: date | None, until: date | None) -> sa.Select:
    stmt = (
        sa.select(Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(contact_scope(actor) if actor is not None else sa.true())
    )
    if since:
        stmt = stmt.where(Conversation.occurred_at >= programtime.day_start(since))
    if until:
        stmt = stmt.where(Conversation.occurred_at < programtime.day_start(until, days=1))
    return stmt


@dataclass(frozen=True)
class CanvassCount:
    """Attempts in the period and how many of them have a VANID (the rows of the file)."""

    attempts: int
    with_vanid: int

    @property
    def left_out(self) -> int:
        return self.attempts - self.with_vanid


def count_canvass(actor: User | None, since: date | None, until: date | None) -> CanvassCount:
    """How many attempts the export covers and how many it can give a VANID (one query).

    `actor` None is an operator (everything).
    """
    vanid = vanid_clause(vanid_sources())
    stmt = _conversations(actor, since, until).with_only_columns(
        sa.func.count(), sa.func.count(vanid)
    )
    attempts, with_vanid = db.session.execute(stmt).one()
    return CanvassCount(int(attempts or 0), int(with_vanid or 0))


def export_header() -> tuple[str, ...]:
    """The file's columns: the base ones, then one per survey question and activist code."""
    rows = mappings()
    questions = list(dict.fromkeys(m.question for m in rows if m.kind == "survey"))
    codes = list(dict.fromkeys(m.van_name for m in rows if m.kind == "activist_code"))
    return (*BASE_COLUMNS, *questions, *codes)  # type: ignore[arg-type]


def canvass_rows(
    actor: User | None, since: date | None, until: date | None
) -> tuple[tuple[str, ...], list[list[object]]]:
    """The header and one row per attempt with a VANID, oldest first (README columns)."""
    rows_map = mappings()
    header = export_header()
    channels = {**DEFAULT_CONTACT_TYPES}
    channel_ids: dict[str, str | None] = {}
    results = dict(_labels("result_code"))
    results.update(DEFAULT_RESULTS)
    results[CONVERSATION] = ""
    result_ids: dict[str, str | None] = {}
    facts: list[VanMapping] = []
    for m in rows_map:
        if m.kind == "contact_type":
            channels[m.fieldcrm_code], channel_ids[m.fieldcrm_code] = m.van_name, m.van_id
        elif m.kind == "result":
            results[m.fieldcrm_code], result_ids[m.fieldcrm_code] = m.van_name, m.van_id
        else:
            facts.append(m)
    vanid = vanid_clause(vanid_sources()).label("vanid")
    stmt = (
        _conversations(actor, since, until)
        .with_only_columns(
            Conversation.id,
            Conversation.occurred_at,
            Conversation.channel,
            Conversation.result_code,
            Conversation.is_conversation,
            Conversation.support_level,
            Contact.ladder_stage_id,
            User.email,
            vanid,
        )
        .outerjoin(User, User.id == Conversation.user_id)
        .where(vanid.is_not(None))
        .order_by(Conversation.occurred_at, Conversation.id)
    )
    found = db.session.execute(stmt).all()
    made = _commitment_kinds([r.id for r in found if r.is_conversation]) if facts else {}
    out: list[list[object]] = []
    for r in found:
        code = r.result_code if r.result_code else CONVERSATION
        row: dict[str, object] = {
            "VANID": r.vanid,
            "ContactTypeID": channel_ids.get(r.channel) or "",
            "ContactType": channels.get(r.channel, r.channel),
            "ResultID": result_ids.get(code) or "",
            "Result": results.get(code, code),
            "DateCanvassed": programtime.local_date(r.occurred_at).strftime("%m/%d/%Y"),
            "CanvassedBy": r.email or "",
        }
        if r.is_conversation and facts:
            have = {f"commitment:{k}" for k in made.get(r.id, ())}
            if r.support_level:
                have.add(f"support:{r.support_level}")
            if r.ladder_stage_id:
                have.add(f"ladder:{r.ladder_stage_id}")
            for m in facts:
                if m.fieldcrm_code not in have:
                    continue
                column = m.question if m.kind == "survey" else m.van_name
                row.setdefault(column or "", m.van_name)
        out.append([row.get(column, "") for column in header])
    return header, out


def _labels(list_name: str) -> list[tuple[str, str]]:
    """(code, label) of every entry of a choice list, retired ones too, in list order."""
    return [
        (r.code, r.label)
        for r in db.session.execute(
            sa.select(ChoiceOption.code, ChoiceOption.label)
            .where(ChoiceOption.list_name == list_name)
            .order_by(ChoiceOption.position, ChoiceOption.id)
        )
    ]


def _commitment_kinds(conversation_ids: list[int]) -> dict[int, set[str]]:
    """Kinds of the commitments made in each conversation (cancelled ones left out)."""
    kinds: dict[int, set[str]] = {}
    for start in range(0, len(conversation_ids), _IN_BATCH):
        part = conversation_ids[start : start + _IN_BATCH]
        for conversation_id, kind in db.session.execute(
            sa.select(Commitment.conversation_id, Commitment.kind).where(
                Commitment.conversation_id.in_(part), Commitment.status != "cancelled"
            )
        ):
            kinds.setdefault(conversation_id, set()).add(kind)
    return kinds

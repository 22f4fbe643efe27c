"""Ladder services: the default ladder, configuring stages, moving people up and down."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.ladder.defaults import shipped_stages
from fieldcrm.ladder.models import LadderMove, LadderStage
from fieldcrm.lib.i18n import clean_translations, split_texts
from fieldcrm.scoping import can_see_contact
from fieldcrm.transactions import ConcurrentChange
from fieldcrm.webhooks import events as webhook_events

TEXT_LIMITS = {"name": 80, "description": 500}


def ensure_default_ladder(default_locale: str = "en") -> list[LadderStage]:
    """Create the default ladder when no stage exists yet, named in `default_locale` (else
    English) with the other shipped languages as translations; return the stages in order.

    On an existing ladder nothing is added or renamed; a default stage still named as
    shipped and without translations (it predates them) gets the shipped ones. Flushes.
    """
    stages = list(db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)))
    shipped = shipped_stages()
    if stages:
        for stage in stages:
            if stage.translations:
                continue
            for texts in shipped:
                language = next((k for k, v in texts.items() if v["name"] == stage.name), None)
                if language is not None:
                    stage.translations = split_texts(texts, language)[1]
                    break
        db.session.flush()
        return stages
    for position, texts in enumerate(shipped, start=1):
        main, others = split_texts(texts, default_locale)
        db.session.add(
            LadderStage(
                name=main["name"],
                description=main.get("description"),
                position=position,
                translations=others,
            )
        )
    db.session.flush()
    return list(db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)))


def move_contact(
    actor: User,
    contact: Contact,
    to_stage: LadderStage | None,
    reason: str | None = None,
    at: datetime | None = None,
) -> LadderMove:
    """Move a contact to `to_stage` (None = off the ladder), keeping history.

    Raises NotFound when the contact is outside the actor's scope, ValidationFailed when
    the stage is unchanged or inactive. Flushes; audits.
    """
    if not can_see_contact(actor, contact.id):
        raise NotFound("contact")
    if to_stage is not None and not to_stage.active:
        raise ValidationFailed([("stage", _("That stage is no longer in use."))])
    if (to_stage.id if to_stage else None) == contact.ladder_stage_id:
        raise ValidationFailed([("stage", _("They are already at that stage."))])
    when = at or utcnow()
    move = LadderMove(
        contact_id=contact.id,
        from_stage_id=contact.ladder_stage_id,
        to_stage_id=to_stage.id if to_stage else None,
        moved_at=when,
        by_user_id=actor.id,
        reason=(reason or "").strip()[:500] or None,
    )
    # Guarded on the stage this move starts from, without the contact's version: a move
    # never fails because someone logged a conversation meanwhile, and a concurrent move
    # makes the whole step run again from the stage it now finds.
    table = Contact.__table__
    moved = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == contact.id,
            table.c.ladder_stage_id.is_not_distinct_from(move.from_stage_id),
        )
        .values(ladder_stage_id=move.to_stage_id, ladder_stage_since=when)
    )
    if moved.rowcount != 1:
        raise ConcurrentChange("contact's ladder stage")
    db.session.expire(
        contact, ["ladder_stage_id", "ladder_stage", "ladder_stage_since", "updated_at"]
    )
    db.session.add(move)
    db.session.flush()
    audit.record("ladder.move", actor=actor, entity=contact, to=to_stage.name if to_stage else None)

    def payload() -> dict[str, object]:
        start = db.session.get(LadderStage, move.from_stage_id) if move.from_stage_id else None
        return {
            "move_id": move.id,
            "contact_id": contact.id,
            "from_stage_id": move.from_stage_id,
            "from_stage": start.name if start else None,
            "to_stage_id": move.to_stage_id,
            "to_stage": to_stage.name if to_stage else None,
            "moved_at": when,
            "by_user_id": actor.id,
        }

    webhook_events.emit("ladder.moved", payload)
    return move


def active_stages() -> list[LadderStage]:
    """The ladder's stages in use, bottom rung first."""
    return list(
        db.session.scalars(
            sa.select(LadderStage)
            .where(LadderStage.active.is_(True))
            .order_by(LadderStage.position, LadderStage.id)
        )
    )


def step_contact(
    actor: User, contact: Contact, direction: str, reason: str | None = None
) -> LadderMove:
    """Move a contact one rung up or down the active ladder (one tap on their page).

    Up from no stage is the first rung; down from the first rung takes them off the ladder.
    Raises ValidationFailed (unknown direction, already at the top, not on the ladder),
    NotFound (out of scope). Flushes; audits (through move_contact).
    """
    if direction not in ("up", "down"):
        raise ValidationFailed([("direction", _("Move up or down."))])
    stages = active_stages()
    # Read the current stage by id: the relationship may still hold a stage from before a move.
    current = db.session.get(LadderStage, contact.ladder_stage_id or 0)
    here = (current.position, current.id) if current else None
    if direction == "up":
        above = [s for s in stages if here is None or (s.position, s.id) > here]
        if not above:
            raise ValidationFailed([("direction", _("They are already at the top of the ladder."))])
        target: LadderStage | None = above[0]
    else:
        if here is None:
            raise ValidationFailed([("direction", _("They are not on the ladder yet."))])
        below = [s for s in stages if (s.position, s.id) < here]
        target = below[-1] if below else None
    return move_contact(actor, contact, target, reason)


def _clean_stage(name: str, description: str | None) -> tuple[str, str | None]:
    name = (name or "").strip()[:80]
    if not name:
        raise ValidationFailed([("name", _("Name the stage."))])
    return name, (description or "").strip()[:500] or None


def create_stage(
    actor: User,
    name: str,
    position: int,
    description: str | None = None,
    *,
    translations: dict[str, dict[str, str | None]] | None = None,
    locales: tuple[str, ...] = (),
) -> LadderStage:
    """Add a ladder stage, with its name (and description) per other language in
    `translations` for the given `locales` (blank = the default name).

    Raises ValidationFailed (no name, name taken). Flushes; audits.
    """
    name, description = _clean_stage(name, description)
    if db.session.scalar(sa.select(LadderStage.id).where(LadderStage.name == name)):
        raise ValidationFailed([("name", _("A stage has that name already."))])
    stage = LadderStage(
        name=name,
        position=position,
        description=description,
        active=True,
        translations=clean_translations(translations or {}, locales, TEXT_LIMITS),
    )
    db.session.add(stage)
    db.session.flush()
    audit.record("ladder.stage_create", actor=actor, entity=stage, name=name, position=position)
    return stage


def update_stage(
    actor: User,
    stage: LadderStage,
    name: str,
    position: int,
    description: str | None,
    active: bool,
    *,
    translations: dict[str, dict[str, str | None]] | None = None,
    locales: tuple[str, ...] = (),
) -> LadderStage:
    """Rename, translate, reorder, describe or retire a stage (people on it keep it). The
    texts of `locales` are replaced by `translations` (blank = none); others stay.

    Raises ValidationFailed (no name, name taken). Flushes; audits before and after.
    """
    name, description = _clean_stage(name, description)
    taken = db.session.scalar(
        sa.select(LadderStage.id).where(LadderStage.name == name, LadderStage.id != stage.id)
    )
    if taken:
        raise ValidationFailed([("name", _("A stage has that name already."))])
    before = f"{stage.name}|{stage.position}|{stage.active}"
    texts = {k: v for k, v in (stage.translations or {}).items() if k not in locales}
    texts.update(clean_translations(translations or {}, locales, TEXT_LIMITS))
    stage.name, stage.position, stage.description, stage.active = (
        name,
        position,
        description,
        active,
    )
    stage.translations = texts
    db.session.flush()
    audit.record(
        "ladder.stage_update",
        actor=actor,
        entity=stage,
        before=before,
        after=f"{name}|{position}|{active}",
    )
    return stage

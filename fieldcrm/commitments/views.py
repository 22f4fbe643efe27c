"""Follow-ups: my list by due date with one-tap outcomes (undo for a few minutes, correct
later), handing over, the team view, export."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldcrm import programtime
from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.views import safe_next
from fieldcrm.commitments import queries, services
from fieldcrm.commitments.forms import (
    CorrectForm,
    FollowUpFilterForm,
    OutcomeForm,
    ReassignForm,
    SmsTemplateForm,
    UndoForm,
)
from fieldcrm.commitments.models import Commitment
from fieldcrm.commitments.summary import marked_message
from fieldcrm.contacts.models import Organization
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.exports import check_export, csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.labels import label, labels_of, sms_phrases
from fieldcrm.scoping import visible_commitments
from fieldcrm.web import (
    authenticated_at,
    date_arg,
    excel_requested,
    export_rate_limit,
)

bp = Blueprint("commitments", __name__, url_prefix="/commitments")


def _get(commitment_id: int) -> Commitment:
    """The commitment if its contact is in scope; NotFound (404) otherwise."""
    commitment = db.session.scalar(
        visible_commitments(current_user).where(Commitment.id == commitment_id)
    )
    if commitment is None:
        raise NotFound("commitment")
    return commitment


def sms_default() -> str:
    """The program's follow-up text (FOLLOW_UP_SMS_TEMPLATE), else the built-in one in the
    viewer's language. {commitment} is the kind's phrase, article included."""
    return current_app.config["FOLLOW_UP_SMS_TEMPLATE"] or _(
        "Hi {first_name}, it's {sender}. Just checking in about {commitment}. Still good?"
    )


def _dial(items: list[Commitment]) -> tuple[dict, dict]:
    """Per commitment: the E.164 number to call and the prefilled `sms:` link (if dialable)."""
    template = current_user.sms_template or sms_default()
    numbers = queries.best_phones(
        sorted({c.contact_id for c in items if not c.contact.do_not_contact})
    )
    phrases = sms_phrases() if numbers else {}
    links, phones = {}, {}
    for c in items:
        e164 = numbers.get(c.contact_id)
        if e164:
            body = services.sms_body(
                template,
                first_name=c.contact.first_name,
                commitment=phrases.get(c.kind) or label(c.kind, "commitment_kind"),
                sender=current_user.name,
            )
            links[c.id] = services.sms_link(e164, body)
            phones[c.id] = e164
    return links, phones


def _row_labels() -> dict[str, str]:
    """The follow-up rows' labels, translated once per page (templates format the names in)."""
    return {
        "no_name": _("(no name)"),
        "due": _("due %(d)s"),
        "no_date": _("no date"),
        "rescheduled": label("rescheduled", "commitment_status"),
        "call": _("Call"),
        "call_who": _("Call %(name)s"),
        "text": _("Text"),
        "text_who": _("Text %(name)s"),
        "log": _("Log"),
        "log_who": _("Log a conversation with %(name)s"),
        "outcome_who": _("Outcome for %(name)s"),
        "kept": _("Kept"),
        "flaked": _("Flaked"),
        "cancelled": _("Cancelled"),
        "more": _("Reschedule or add a note"),
        "note": _("Note (optional)"),
        "new_date": _("New date"),
        "reschedule": _("Reschedule"),
        "hand_summary": _("Hand to someone else"),
        "hand_to": _("Hand to"),
        "hand_over": _("Hand over"),
    }


@bp.route("/")
@login_required
def mine():
    form = FollowUpFilterForm(request.args)
    orgs = db.session.execute(
        sa.select(Organization.id, Organization.name).order_by(Organization.name)
    ).all()
    form.organization.choices = [("", _("Any organization")), *[(o.id, o.name) for o in orgs]]
    form.validate()
    filters = queries.FollowUpFilters(form.organization.data, form.language.data or None)
    today = programtime.today()
    limit = 200 if request.args.get("all") else current_app.config["FOLLOW_UPS_PER_SECTION"]
    sections, totals = queries.followup_sections(current_user, today, filters, limit)
    items = [c for rows in sections.values() for c in rows]
    team = queries.active_team(current_user) if current_user.role != "leader" else []
    sms, phones = _dial(items)
    return render_template(
        "commitments/mine.html",
        form=form,
        sections=sections,
        totals=totals,
        today=today,
        labels=labels_of("commitment_kind"),
        sms=sms,
        phones=phones,
        t=_row_labels(),
        sms_form=SmsTemplateForm(formdata=None, sms_template=current_user.sms_template),
        sms_default=sms_default(),
        dates={d: programtime.format_date(d) for d in {c.due_date for c in items if c.due_date}},
        outcome_form=OutcomeForm(formdata=None),
        team=[u for u in team if u.id != current_user.id],
        here=request.full_path.rstrip("?"),
    )


@bp.route("/<int:commitment_id>/status", methods=["POST"])
@login_required
def set_status(commitment_id: int):
    commitment = _get(commitment_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            services.set_status(
                current_user,
                commitment,
                form.status.data,
                note=form.note.data,
                new_due_date=form.new_due_date.data,
            )
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            text = marked_message(commitment, form.status.data)
            event = services.latest_event(commitment.id)
            if form.status.data in services.OUTCOMES and event is not None:
                # Shown with an Undo button (templates/commitments/_undo_flash.html).
                flash({"text": text, "commitment_id": commitment.id, "event_id": event.id}, "undo")
            else:
                flash(text, "success")
    else:
        flash(_("Pick an outcome (and a date to reschedule)."), "error")
    return redirect(safe_next(request.form.get("next")) or url_for("commitments.mine"))


def _on_contact_page(commitment: Commitment) -> str:
    return (
        url_for("contacts.detail", contact_id=commitment.contact_id)
        + f"#commitment-{commitment.id}"
    )


@bp.route("/<int:commitment_id>/undo", methods=["POST"])
@login_required
def undo(commitment_id: int):
    """Take back an outcome tapped minutes ago (the Undo button under the confirmation)."""
    commitment = _get(commitment_id)
    form = UndoForm()
    back = safe_next(request.form.get("next")) or url_for("commitments.mine")
    if not form.validate_on_submit() or not form.event_id.data:
        flash(_("Nothing to undo."), "error")
        return redirect(back)
    try:
        services.undo_status(
            current_user,
            commitment,
            form.event_id.data,
            now=utcnow(),
            window_minutes=current_app.config["COMMITMENT_UNDO_MINUTES"],
        )
    except ValidationFailed:
        flash(_("Too late to undo: correct the outcome here instead."), "error")
        return redirect(_on_contact_page(commitment))
    db.session.commit()
    flash(
        _("Undone: %(name)s’s follow-up is as it was.", name=commitment.contact.display_name),
        "success",
    )
    return redirect(back)


@bp.route("/<int:commitment_id>/correct", methods=["POST"])
@login_required
def correct(commitment_id: int):
    """Correct a kept / flaked / cancelled outcome later; the change stays in the history."""
    commitment = _get(commitment_id)
    form = CorrectForm()
    if form.validate_on_submit():
        try:
            services.correct_outcome(current_user, commitment, form.status.data, form.note.data)
        except ValidationFailed:
            flash(_("Pick the outcome it should have been."), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Corrected: %(name)s’s follow-up is now %(status)s.",
                    name=commitment.contact.display_name,
                    status=label(form.status.data, "commitment_status"),
                ),
                "success",
            )
    else:
        flash(_("Pick the outcome it should have been."), "error")
    return redirect(_on_contact_page(commitment))


@bp.route("/sms-template", methods=["POST"])
@login_required
def sms_template():
    form = SmsTemplateForm()
    if form.validate_on_submit():
        try:
            services.set_sms_template(current_user, form.sms_template.data)
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Your follow-up text is saved."), "success")
    else:
        flash(_("Keep it under 320 characters."), "error")
    return redirect(url_for("commitments.mine"))


@bp.route("/<int:commitment_id>/owner", methods=["POST"])
@roles_required("admin", "director", "organizer")
def reassign(commitment_id: int):
    commitment = _get(commitment_id)
    form = ReassignForm()
    if form.validate_on_submit() and form.owner_id.data:
        try:
            services.reassign_commitment(
                current_user, commitment, form.owner_id.data, form.note.data
            )
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Handed over to %(name)s.", name=commitment.owner.name), "success")
    else:
        flash(_("Pick who follows up."), "error")
    return redirect(safe_next(request.form.get("next")) or url_for("commitments.mine"))


@bp.route("/team")
@roles_required("admin", "director", "organizer")
def team():
    today = programtime.today()
    rows = queries.team_rows(current_user, today)
    watch = current_app.config["KEPT_RATE_WATCH"]
    minimum = current_app.config["KEPT_RATE_MIN_OUTCOMES"]
    slipping_ids = [r.user.id for r in rows if r.slipping(watch, minimum)]
    return render_template(
        "commitments/team.html",
        rows=rows,
        today=today,
        watch=watch,
        minimum=minimum,
        slipping_ids=set(slipping_ids),
        overdue=queries.team_overdue(current_user, [r.user.id for r in rows], today),
        labels=labels_of("commitment_kind"),
    )


EXPORT_COLUMNS = (
    "voter_id", "source", "contact_id", "commitment_id", "conversation_id", "commitment_kind",
    "description", "commitment_status", "due_date", "created_at", "status_changed_at",
    "owner_email",
)  # fmt: skip


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


@bp.route("/export.csv")
@roles_required("admin", "director", "organizer")
@export_rate_limit
def export():
    since, until = date_arg("since"), date_arg("until")
    stmt = queries.export_commitments(current_user, since, until)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    check_export(current_user, count or 0, "commitments", authenticated_at=authenticated_at())
    rows = [
        [*r[:8], _iso(r[8]), _iso(r[9]), _iso(r[10]), r[11] or ""] for r in db.session.execute(stmt)
    ]
    record_export(current_user, "commitments", len(rows), since=since, until=until)
    db.session.commit()
    return csv_response("commitments.csv", EXPORT_COLUMNS, rows, excel=excel_requested())

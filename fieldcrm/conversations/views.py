"""Logging conversations from a contact, editing them, the choice lists, the CSV export."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from fieldcrm import programtime
from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import User
from fieldcrm.auth.views import safe_next
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.queries import household_members
from fieldcrm.conversations import services
from fieldcrm.conversations.forms import (
    ChoiceAddForm,
    ChoiceEditForm,
    EditConversationForm,
    LogConversationForm,
)
from fieldcrm.conversations.models import CHANNELS, ChoiceOption, Conversation
from fieldcrm.conversations.summary import saved_message
from fieldcrm.database import utcnow
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.exports import check_export, csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.forms import with_translations
from fieldcrm.labels import current_locale, label, language_names
from fieldcrm.scoping import contact_scope, get_contact, visible_users
from fieldcrm.turf.models import Turf
from fieldcrm.web import (
    authenticated_at,
    date_arg,
    excel_requested,
    export_rate_limit,
)

bp = Blueprint("conversations", __name__)

LIST_TITLES = {
    "result_code": _l("Result codes (failed attempts)"),
    "issue": _l("Issues"),
    "ask_kind": _l("Kinds of ask"),
    "commitment_kind": _l("Kinds of commitment"),
}


def edit_cutoff() -> datetime:
    """Conversations created after this instant are still inside the edit window."""
    return utcnow() - timedelta(minutes=current_app.config["CONVERSATION_EDIT_WINDOW_MINUTES"])


def _lists() -> dict[str, list[tuple[str, str]]]:
    locale = current_locale()
    return {name: services.choices(name, locale) for name in ChoiceOption.LISTS}


def _owner_choices() -> list[tuple[int, str]]:
    users = db.session.execute(
        visible_users(current_user)
        .with_only_columns(User.id, User.name, User.role)
        .where(User.active.is_(True))
        .order_by(User.name)
    ).all()
    me = [(current_user.id, _("Me (%(name)s)", name=current_user.name))]
    return me + [
        (u.id, f"{u.name} ({label(u.role, 'role')})") for u in users if u.id != current_user.id
    ]


def _choose(form: LogConversationForm, lists) -> LogConversationForm:
    """Fill the configurable lists and the possible owners in (for rendering the form)."""
    form.set_choices(lists)
    form.set_commitment_choices(lists["commitment_kind"], _owner_choices(), current_user.id)
    return form


def _render_log(contact: Contact, form: LogConversationForm, lists, status: int = 200):
    channel = request.args.get("channel", "door")
    attempts = [(code, label, secrets.token_urlsafe(16)) for code, label in lists["result_code"]]
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(16)
    next_url = safe_next(request.values.get("next"))
    return render_template(
        "conversations/log.html",
        contact=contact,
        form=form,
        attempts=attempts,
        channel=channel if channel in ("door", "phone", "text") else "door",
        next_url=next_url,
        household=household_members(current_user, contact),
    ), status


@bp.route("/contacts/<int:contact_id>/log")
@login_required
def log(contact_id: int):
    contact = get_contact(current_user, contact_id)
    lists = _lists()
    form = LogConversationForm()
    if request.args.get("channel") in CHANNELS:  # "Talked" on a phone-bank list: by phone
        form.channel.data = request.args["channel"]
    return _render_log(contact, _choose(form, lists), lists)


@bp.route("/contacts/<int:contact_id>/conversations", methods=["POST"])
@login_required
def create(contact_id: int):
    contact = get_contact(current_user, contact_id)
    # No list lookups before saving: the service checks codes, owners and scope itself.
    form = LogConversationForm()
    if form.validate_on_submit():
        data = form.to_input(form.commitment_inputs(), form.idempotency_key.data or None)
        try:
            conversation = services.log_conversation(current_user, contact, data)
            message = saved_message(current_user, conversation)  # before the commit expires it
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            form.populate_errors(exc.errors)
        except IntegrityError:  # the same key raced in from a double tap: one record
            db.session.rollback()
            return redirect(
                safe_next(request.form.get("next"))
                or url_for("contacts.detail", contact_id=contact_id)
            )
        else:
            flash(message, "success")
            return redirect(
                safe_next(request.form.get("next"))
                or url_for("contacts.detail", contact_id=contact_id)
            )
    lists = _lists()
    return _render_log(contact, _choose(form, lists), lists, 422)


@bp.route("/conversations/<int:conversation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(conversation_id: int):
    conversation = services.get_conversation(current_user, conversation_id)
    window = current_app.config["CONVERSATION_EDIT_WINDOW_MINUTES"]
    if not services.can_edit(current_user, conversation, utcnow(), window):
        raise PermissionDenied("not the author, or past the edit window")
    form = EditConversationForm(obj=conversation)
    form.set_choices(_lists())
    if form.validate_on_submit():
        try:
            services.update_conversation(
                current_user, conversation, form.to_input(), now=utcnow(), window_minutes=window
            )
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("contacts.detail", contact_id=conversation.contact_id))
    status = 422 if form.is_submitted() else 200
    return render_template("conversations/edit.html", form=form, conversation=conversation), status


def _choice_form(base: type) -> type:
    """A list-entry form with a label (and phrase) per other interface language."""
    return with_translations(
        base,
        current_app.config["LANGUAGES"],
        current_app.config["BABEL_DEFAULT_LOCALE"],
        services.TEXT_LIMITS,
    )


@bp.route("/conversations/choices")
@roles_required("admin")
def choice_lists():
    options = db.session.scalars(
        sa.select(ChoiceOption).order_by(
            ChoiceOption.list_name, ChoiceOption.position, ChoiceOption.id
        )
    ).all()
    edit_form, add_form = _choice_form(ChoiceEditForm), _choice_form(ChoiceAddForm)
    rows = {
        name: [
            (
                o,
                edit_form(
                    prefix=f"o{o.id}",
                    formdata=None,
                    label=o.label,
                    position=o.position,
                    active=o.active,
                    phrase=o.phrase,
                    **edit_form.initial(o.translations),
                ),
            )
            for o in options
            if o.list_name == name
        ]
        for name in ChoiceOption.LISTS
    }
    add_forms = {name: add_form(list_name=name, prefix=name) for name in ChoiceOption.LISTS}
    return render_template(
        "conversations/choices.html",
        rows=rows,
        add_forms=add_forms,
        titles=LIST_TITLES,
        default_language=language_names(current_app.config["BABEL_DEFAULT_LOCALE"]),
    )


@bp.route("/conversations/choices/<list_name>", methods=["POST"])
@roles_required("admin")
def add_choice(list_name: str):
    form = _choice_form(ChoiceAddForm)(prefix=list_name)
    if form.validate_on_submit():
        try:
            services.add_choice(
                current_user,
                list_name,
                form.label.data,
                form.code.data,
                phrase=form.phrase.data if list_name == "commitment_kind" else None,
                translations=form.translations(),
                locales=form.locales,
            )
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Added."), "success")
    else:
        flash(_("Enter a label."), "error")
    return redirect(url_for("conversations.choice_lists", _anchor=list_name))


@bp.route("/conversations/choices/option/<int:option_id>", methods=["POST"])
@roles_required("admin")
def edit_choice(option_id: int):
    option = db.get_or_404(ChoiceOption, option_id)
    form = _choice_form(ChoiceEditForm)(prefix=f"o{option.id}")
    if form.validate_on_submit():
        try:
            services.update_choice(
                current_user,
                option,
                form.label.data,
                form.position.data or 0,
                bool(form.active.data),
                phrase=form.phrase.data if option.list_name == "commitment_kind" else None,
                translations=form.translations(),
                locales=form.locales,
            )
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
    else:
        flash(_("Enter a label and an order number."), "error")
    return redirect(url_for("conversations.choice_lists", _anchor=option.list_name))


EXPORT_COLUMNS = (
    "voter_id", "source", "contact_id", "conversation_id", "date", "occurred_at", "channel",
    "result_code", "is_conversation", "support_level", "issues", "issues_text", "ask_kind",
    "ask_text", "response", "follow_up_date", "turf", "canvasser_email",
)  # fmt: skip


@bp.route("/conversations/export.csv")
@roles_required("admin", "director", "organizer")
@export_rate_limit
def export():
    since, until = date_arg("since"), date_arg("until")
    stmt = (
        sa.select(Conversation, Contact.voter_id, Contact.source, Turf.name, User.email)
        .join(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Turf, Turf.id == Contact.turf_id)
        .outerjoin(User, User.id == Conversation.user_id)
        .where(contact_scope(current_user))
        .order_by(Conversation.occurred_at, Conversation.id)
    )
    if since:
        stmt = stmt.where(Conversation.occurred_at >= programtime.day_start(since))
    if until:
        stmt = stmt.where(Conversation.occurred_at < programtime.day_start(until, days=1))
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    check_export(current_user, count or 0, "conversations", authenticated_at=authenticated_at())
    rows = [
        services.export_row(c, voter_id, source, turf, email)
        for c, voter_id, source, turf, email in db.session.execute(stmt)
    ]
    record_export(current_user, "conversations", len(rows), since=since, until=until)
    db.session.commit()
    return csv_response("conversations.csv", EXPORT_COLUMNS, rows, excel=excel_requested())

"""Contact pages: scoped list with search and filters, detail, create (offering the people
already on file), edit, phones, and putting people on a volunteer leader's list."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import User
from fieldcrm.auth.views import safe_next
from fieldcrm.contacts import export as contacts_export
from fieldcrm.contacts import leaders, matching, queries, services
from fieldcrm.contacts.forms import (
    ContactEditForm,
    ContactForm,
    ContactSearchForm,
    LeaderListForm,
    PhoneForm,
)
from fieldcrm.contacts.models import Organization
from fieldcrm.contacts.timeline import contact_timeline, kept_rate, vote_history
from fieldcrm.conversations import views as conversations_views
from fieldcrm.door.queries import get_packet
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.exports import csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.labels import label
from fieldcrm.ladder.models import LadderStage
from fieldcrm.organizations import views as organizations_views
from fieldcrm.scoping import get_contact, visible_turfs
from fieldcrm.turf.models import Turf
from fieldcrm.web import authenticated_at, excel_requested, export_rate_limit

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def _turf_choices():
    # the ids and names only: a Turf loads its organizers and their regions with it
    turfs = visible_turfs(current_user).with_only_columns(Turf.id, Turf.name)
    return [(t.id, t.name) for t in db.session.execute(turfs.order_by(Turf.name))]


def _leaders() -> list[User]:
    """The volunteer leaders the signed-in user may put people on the list of."""
    return list(db.session.scalars(leaders.assignable_leaders(current_user)))


def _search() -> tuple[ContactSearchForm, queries.ContactFilters]:
    """The list's filter form from the query string, and the filters it gives."""
    form = ContactSearchForm(request.args)
    form.turf.choices = [("", _("All turfs")), *_turf_choices()]
    stages = db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)).all()
    form.stage.choices = [("", _("Any stage")), *[(s.id, label(s)) for s in stages]]
    orgs = db.session.scalars(sa.select(Organization).order_by(Organization.name)).all()
    form.organization.choices = [("", _("Any organization")), *[(o.id, o.name) for o in orgs]]
    form.validate()
    filters = queries.ContactFilters(
        q=form.q.data or "",
        turf_id=form.turf.data,
        support_level=form.support.data,
        ladder_stage_id=form.stage.data,
        organization_id=form.organization.data,
        language=form.language.data or None,
        not_contacted=bool(form.not_contacted.data),
        sort=form.sort.data or "name",
    )
    return form, filters


@bp.route("/")
@login_required
def index():
    form, filters = _search()
    page = queries.contacts_page(
        current_user, filters, per_page=current_app.config["PAGE_SIZE"], max_per_page=200
    )
    return render_template(
        "contacts/index.html",
        form=form,
        page=page,
        leaders=_leaders(),
        export_args={k: v for k, v in request.args.items() if k not in ("page", "per_page")},
    )


@bp.route("/export.csv")
@login_required
@export_rate_limit
def export():
    """The contacts list as CSV: same filters, columns (`?columns=full`), limits and audit as
    `fieldcrm contacts export`; `?for=excel` for the Excel variant."""
    _form, filters = _search()
    column_set = request.args.get("columns") or "default"
    if column_set not in contacts_export.COLUMN_SETS:
        abort(400)
    columns, total = contacts_export.prepare_export(
        current_user, column_set, filters, authenticated_at=authenticated_at()
    )
    record_export(
        current_user,
        "contacts",
        total,
        columns=column_set,
        q=filters.q,
        turf=filters.turf_id,
        support=filters.support_level,
        stage=filters.ladder_stage_id,
        organization=filters.organization_id,
        language=filters.language,
        not_contacted=filters.not_contacted or None,
    )
    db.session.commit()
    # Streamed in chunks of contacts_export.CHUNK rows: a large file never sits in memory.
    # The generator looks its user up again: after the commit above the signed-in user is
    # expired, and by the time the rows are read it may belong to a session already closed.
    actor_id = current_user.id

    def export_rows():
        actor = db.session.get(User, actor_id)
        yield from contacts_export.export_rows(actor, columns, filters)

    rows = stream_with_context(export_rows())
    return csv_response(
        "contacts.csv",
        columns,
        rows,
        phone_columns=contacts_export.PHONE_COLUMNS,
        excel=excel_requested(),
    )


@bp.route("/<int:contact_id>")
@login_required
def detail(contact_id: int):
    contact = get_contact(current_user, contact_id)
    kept, flaked, rate = kept_rate(contact.id)
    return render_template(
        "contacts/detail.html",
        contact=contact,
        household=queries.household_members(current_user, contact),
        timeline=contact_timeline(contact),
        votes=vote_history(current_user, contact),
        kept=kept,
        flaked=flaked,
        rate=rate,
        phone_form=PhoneForm(),
        # The quick edit (static/js/field-forms.js): saved on the phone first, then sent.
        quick_form=ContactEditForm(obj=contact, prefix="qe", meta={"csrf": False}),
        leaders=_leaders(),
        on_lists=leaders.leaders_of(current_user, contact),
        **organizations_views.contact_panel(current_user, contact),
        edit_since=conversations_views.edit_cutoff(),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a person: first offer the people on file who may be them (open one, or for a
    leader put them on their list); add a new contact only when none is the person."""
    form = ContactForm()
    form.turf_id.choices = [("", _("No turf")), *_turf_choices()]
    matches: list[matching.Match] = []
    if form.validate_on_submit():
        data = form.to_input()
        try:
            if form.link_contact_id.data:
                contact = services.link_existing(current_user, form.link_contact_id.data, data)
                message = _(
                    "%(name)s was already on file: nothing was added twice.",
                    name=contact.display_name,
                )
            else:
                if not form.confirm_new.data:
                    matches = matching.find_matches(current_user, data.probe())
                contact = None if matches else services.create_contact(current_user, data)
                message = _("Contact added.")
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        except NotFound:
            form.form_errors.append(_("That person is not a match any more: check the form."))
        else:
            if contact is not None:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("contacts.detail", contact_id=contact.id))
    status = 422 if form.is_submitted() and not matches else 200
    return render_template("contacts/new.html", form=form, matches=matches), status


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id: int):
    contact = get_contact(current_user, contact_id)
    form = ContactEditForm(obj=contact)
    if request.method == "GET":
        form.version.data = contact.version
        form.tags.data = ", ".join(t.name for t in contact.tags)
    if form.validate_on_submit():
        try:
            services.update_contact(current_user, contact, form.to_input())
        except services.StaleEdit:
            db.session.rollback()
            fresh = get_contact(current_user, contact_id)
            return render_template("contacts/stale.html", contact=fresh, form=form), 409
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("contacts.detail", contact_id=contact.id))
    status = 422 if form.is_submitted() else 200
    return render_template("contacts/edit.html", form=form, contact=contact), status


@bp.route("/<int:contact_id>/phones", methods=["POST"])
@login_required
def add_phone(contact_id: int):
    contact = get_contact(current_user, contact_id)
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            phone = services.add_phone(contact, form.phone.data, kind=form.kind.data)
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            if phone.valid:
                flash(_("Phone added."), "success")
            else:
                flash(_("Phone kept, but it is not dialable as entered."), "warning")
    else:
        flash(_("Enter a phone number."), "error")
    return redirect(url_for("contacts.detail", contact_id=contact.id))


@bp.route("/leader-list", methods=["POST"])
@roles_required("admin", "director", "organizer")
def leader_list():
    """Put people on a volunteer leader's list, or take them off: the checked people, or
    everyone in a walk packet. Back to the page the form was on."""
    form = LeaderListForm()
    back = safe_next(request.form.get("next")) or url_for("contacts.index")
    if not form.validate_on_submit():
        flash(_("Pick a volunteer leader and the people."), "error")
        return redirect(back)
    ids = [i for i in form.contact_ids.data or [] if i is not None]
    if form.packet_id.data:
        ids += leaders.packet_people(current_user, get_packet(current_user, form.packet_id.data))
    try:
        leader = leaders.get_assignable_leader(current_user, form.leader_id.data)
        if form.action.data == "remove":
            n = leaders.unassign_from_leader(current_user, leader, ids)
            message = ngettext(
                "%(num)d person taken off %(name)s’s list.",
                "%(num)d people taken off %(name)s’s list.",
                n,
                name=leader.name,
            )
        else:
            n = leaders.assign_to_leader(current_user, leader, ids)
            message = ngettext(
                "%(num)d person put on %(name)s’s list.",
                "%(num)d people put on %(name)s’s list.",
                n,
                name=leader.name,
            )
    except ValidationFailed as exc:
        flash(exc.errors[0][1], "error")
        return redirect(back)
    db.session.commit()
    flash(message, "success" if n else "info")
    return redirect(back)

"""Door pages: cutting a turf into walk packets, the packets, the walk list built for a
phone, the printable sheet, the phone-bank list, one-tap results, assigning and deleting.

The pages keep their /turf/... addresses (the blueprint is "door", its prefix "/turf"):
phones with the field app installed keep walk lists and queued form posts by address
(templates/fieldapp/sw.js, static/js/field-store.js). The turf page shows this feature's
section (cut form and packets) through fieldcrm.web.page_sections, so turf imports nothing
of door work.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import Role
from fieldcrm.contacts.leaders import assignable_leaders
from fieldcrm.conversations.services import ConversationInput, choices, log_conversation
from fieldcrm.database import utcnow
from fieldcrm.door import queries, services
from fieldcrm.door.forms import AssignPacketForm, AttemptForm, CutForm
from fieldcrm.door.models import WalkPacket
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.labels import current_locale, label
from fieldcrm.scoping import get_contact, get_turf
from fieldcrm.turf import services as turf_services
from fieldcrm.turf.models import Turf
from fieldcrm.votes.forms import set_vote_choices, vote_filter_from
from fieldcrm.web import add_page_section

bp = Blueprint("door", __name__, url_prefix="/turf")
STAFF = (Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)


def _assignee_choices(turf: Turf) -> list[tuple[int | str, str]]:
    people = sorted(
        (u for u in turf.users if u.active and u.role in (Role.ORGANIZER, Role.LEADER)),
        key=lambda u: u.name,
    )
    return [("", _("Nobody yet"))] + [(u.id, f"{u.name} ({label(u.role, 'role')})") for u in people]


def _cut_form(turf: Turf) -> CutForm:
    form = CutForm()
    form.universe.choices = [(k, _(v)) for k, v in turf_services.UNIVERSES.items()]
    set_vote_choices(form)
    form.assigned_user_id.choices = _assignee_choices(turf)
    return form


def turf_section(turf: Turf) -> str:
    """The turf page's section on door work: the cut form, the turf's packets and how far
    each has got (rendered into turf/detail.html by fieldcrm.web.page_sections)."""
    packets = db.session.scalars(
        sa.select(WalkPacket)
        .where(WalkPacket.turf_id == turf.id)
        .options(so.joinedload(WalkPacket.assigned_user))
        .order_by(WalkPacket.id)
    ).all()
    return render_template(
        "door/_turf_section.html",
        turf=turf,
        packets=packets,
        progress=queries.packet_progress(p.id for p in packets),
        cut_form=_cut_form(turf),
    )


bp.record_once(lambda state: add_page_section(state.app, "turf.detail", turf_section))


@bp.route("/<int:turf_id>/cut", methods=["POST"])
@roles_required(*STAFF)
def cut(turf_id: int):
    turf = get_turf(current_user, turf_id)
    form = _cut_form(turf)
    if form.validate_on_submit():
        data = services.CutInput(
            universe=form.universe.data,
            target_size=form.target_size.data,
            mode=form.mode.data,
            stale_days=form.stale_days.data or turf_services.DEFAULT_STALE_DAYS,
            name_prefix=form.name_prefix.data,
            assigned_user_id=form.assigned_user_id.data,
            votes=vote_filter_from(form),
        )
        try:
            packets = services.cut_turf(current_user, turf, data, utcnow())
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Cut %(n)d packets.", n=len(packets)), "success")
            return redirect(url_for("turf.detail", turf_id=turf.id))
    for message in [*form.form_errors, *[m for errs in form.errors.values() for m in errs]]:
        flash(str(message), "error")
    return redirect(url_for("turf.detail", turf_id=turf.id))


@bp.route("/packets")
@login_required
def packets():
    stmt = (
        queries.visible_packets(current_user)
        .options(so.joinedload(WalkPacket.turf), so.joinedload(WalkPacket.assigned_user))
        .order_by(WalkPacket.id.desc())
    )
    if request.args.get("mine"):
        stmt = stmt.where(WalkPacket.assigned_user_id == current_user.id)
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "door/packets.html",
        page=page,
        progress=queries.packet_progress(p.id for p in page.items),
    )


@bp.route("/packets/<int:packet_id>")
@login_required
def packet(packet_id: int):
    item = queries.get_packet(current_user, packet_id)
    stops = queries.packet_stops(current_user, item)
    assign_form = AssignPacketForm(assigned_user_id=item.assigned_user_id)
    assign_form.assigned_user_id.choices = _assignee_choices(item.turf)
    people = [person.id for stop in stops for person in stop.people]
    return render_template(
        "door/packet.html",
        packet=item,
        stops=stops,
        latest=queries.latest_results(current_user, people),
        # the first door nobody has tried yet opens: where the walk goes on
        open_index=next((i for i, s in enumerate(stops) if not s.attempted), None),
        results=choices("result_code", current_locale()),
        attempted=sum(1 for s in stops if s.attempted),
        key=uuid.uuid4().hex[:16],
        assign_form=assign_form,
        delete_form=EmptyForm(),
        can_cut=current_user.role in STAFF,
        leaders=db.session.scalars(assignable_leaders(current_user)).all(),
    )


@bp.route("/packets/<int:packet_id>/sheet")
@login_required
def packet_sheet(packet_id: int):
    item = queries.get_packet(current_user, packet_id)
    return render_template(
        "door/sheet.html",
        packet=item,
        stops=queries.packet_stops(current_user, item),
        results=choices("result_code", current_locale()),
    )


@bp.route("/packets/<int:packet_id>/phone")
@login_required
def packet_phone(packet_id: int):
    item = queries.get_packet(current_user, packet_id)
    return render_template(
        "door/phone.html",
        packet=item,
        rows=queries.phone_bank(current_user, item),
        results=choices("result_code", current_locale()),
        key=uuid.uuid4().hex[:16],
    )


@bp.route("/packets/<int:packet_id>/attempt", methods=["POST"])
@login_required
def log_attempt(packet_id: int):
    """One tap: log a failed attempt (a result code) with the packet. "Talked" stores
    nothing here: it opens the short conversation form for the person."""
    item = queries.get_packet(current_user, packet_id)
    form = AttemptForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    back = "door.packet_phone" if request.form.get("from") == "phone" else "door.packet"
    if not form.validate_on_submit() or not str(form.contact_id.data).isdigit():
        return (jsonify(ok=False), 400) if wants_json else abort(400)
    contact = get_contact(current_user, int(form.contact_id.data))
    if form.result.data == "talked":
        talk = url_for(
            "conversations.log",
            contact_id=contact.id,
            next=url_for(back, packet_id=item.id),
            channel="phone" if back == "door.packet_phone" else "door",
        )
        if wants_json:
            return jsonify(ok=False, error=_("Log a talk on the form."), form=talk), 422
        return redirect(talk)
    data = ConversationInput(
        channel="phone" if item.mode == "phone" else "door",
        result_code=form.result.data,
        packet_id=item.id,
        # One key per person and result: a double tap logs once, another result logs again.
        idempotency_key=f"{form.idempotency_key.data}-{form.result.data}"[:64],
    )
    try:
        conversation = log_conversation(current_user, contact, data)
    except ValidationFailed as exc:
        message = "; ".join(m for _f, m in exc.errors)
        if wants_json:
            return jsonify(ok=False, error=message), 422
        flash(message, "error")
        return redirect(url_for(back, packet_id=item.id) + f"#c{contact.id}")
    db.session.commit()
    if wants_json:
        return jsonify(ok=True, conversation_id=conversation.id, contact_id=contact.id)
    flash(_("Logged for %(name)s.", name=contact.display_name), "success")
    return redirect(url_for(back, packet_id=item.id) + f"#c{contact.id}")


@bp.route("/packets/<int:packet_id>/assign", methods=["POST"])
@roles_required(*STAFF)
def packet_assign(packet_id: int):
    item = queries.get_packet(current_user, packet_id)
    form = AssignPacketForm()
    form.assigned_user_id.choices = _assignee_choices(item.turf)
    if form.validate_on_submit():
        try:
            services.assign_packet(current_user, item, form.assigned_user_id.data)
        except ValidationFailed as exc:
            flash("; ".join(m for _f, m in exc.errors), "error")
        else:
            db.session.commit()
            flash(_("Packet assigned."), "success")
    return redirect(url_for("door.packet", packet_id=item.id))


@bp.route("/packets/<int:packet_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def packet_delete(packet_id: int):
    item = queries.get_packet(current_user, packet_id)
    turf_id = item.turf_id
    if EmptyForm().validate_on_submit():
        services.delete_packet(current_user, item)
        db.session.commit()
        flash(_("Packet deleted."), "success")
    return redirect(url_for("turf.detail", turf_id=turf_id))

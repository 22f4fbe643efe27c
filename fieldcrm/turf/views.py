"""Turf pages: regions and turfs, definitions, packets (cut, walk, print, phone), radius."""

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
from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.leaders import assignable_leaders
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.services import ConversationInput, choices, log_conversation
from fieldcrm.database import utcnow
from fieldcrm.door import queries as door_queries
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.jobs import JobRun, enqueue
from fieldcrm.labels import current_locale, label
from fieldcrm.lib.geo import validate_geojson
from fieldcrm.scoping import (
    get_contact,
    get_turf,
    visible_regions,
    visible_turfs,
    visible_users,
)
from fieldcrm.turf import jobs, services
from fieldcrm.turf.forms import (
    AssignPacketForm,
    AttemptForm,
    CutForm,
    RadiusForm,
    TurfForm,
    TurfPeopleForm,
    split_codes,
)
from fieldcrm.turf.models import Region, Turf, WalkPacket
from fieldcrm.votes.forms import set_vote_choices, vote_filter_from

bp = Blueprint("turf", __name__, url_prefix="/turf")
MANAGERS = (Role.ADMIN, Role.DIRECTOR)
STAFF = (Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)


@bp.route("/")
@roles_required(*STAFF)
def index():
    regions = db.session.scalars(visible_regions(current_user).order_by(Region.name)).all()
    turfs = db.session.scalars(
        visible_turfs(current_user).options(so.selectinload(Turf.users)).order_by(Turf.name)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(Contact.turf_id, sa.func.count(Contact.id))
            .where(Contact.turf_id.in_([t.id for t in turfs] or [0]))
            .group_by(Contact.turf_id)
        ).all()
    )
    return render_template(
        "turf/index.html", regions=regions, turfs=turfs, counts=counts, geocode_form=EmptyForm()
    )


def _region_choices() -> list[tuple[int, str]]:
    stmt = visible_regions(current_user).order_by(Region.name)
    return [(r.id, r.name) for r in db.session.scalars(stmt)]


def _definition(form: TurfForm, turf: Turf | None) -> dict:
    """Codes and area from the form; raises ValidationFailed for an unusable GeoJSON."""
    text = ""
    if form.geojson_file.data and getattr(form.geojson_file.data, "filename", ""):
        text = form.geojson_file.data.read().decode("utf-8-sig", errors="replace")
    elif form.geojson.data:
        text = form.geojson.data
    geojson = turf.geojson if turf is not None else None
    if form.clear_area.data == "clear":
        geojson = None
    elif text.strip():
        try:
            geojson = validate_geojson(text)
        except ValueError as exc:
            raise ValidationFailed([("geojson", str(exc))]) from exc
    return {
        "precinct_codes": split_codes(form.precinct_codes.data),
        "zip_codes": split_codes(form.zip_codes.data),
        "geojson": geojson,
    }


def _start_job(kind: str, func, params: dict) -> JobRun:
    run = jobs.create_job_run(kind, params, created_by_id=current_user.id)
    db.session.commit()
    enqueue(func, run.id)
    return run


def _warn_overlaps(turf: Turf) -> None:
    for name, what in services.turf_overlaps(
        turf.precinct_codes, turf.zip_codes, turf.geojson, exclude_turf_id=turf.id
    ):
        flash(_("Overlaps %(turf)s: %(what)s.", turf=name, what=what), "warning")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    form = TurfForm()
    form.region.choices = _region_choices()
    if form.validate_on_submit():
        region = db.get_or_404(Region, form.region.data or 0)  # not a number: no region
        try:
            services.ensure_can_manage_region(current_user, region)
            turf = services.create_turf(
                current_user, region, form.name.data, **_definition(form, None)
            )
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            _warn_overlaps(turf)
            run = _start_job("reassign", jobs.reassign_contacts, {"turf_id": turf.id})
            flash(_("Turf created. Contacts are being assigned to it."), "success")
            return redirect(url_for("turf.job", job_id=run.id))
    return render_template("turf/form.html", form=form, turf=None), 422 if form.errors else 200


@bp.route("/<int:turf_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(turf_id: int):
    turf = get_turf(current_user, turf_id)
    services.ensure_can_manage_region(current_user, turf.region)
    form = TurfForm(obj=None if request.method == "POST" else turf)
    form.region.choices = [(turf.region_id, turf.region.name)]
    if request.method == "GET":
        form.precinct_codes.data = ", ".join(turf.precinct_codes or [])
        form.zip_codes.data = ", ".join(turf.zip_codes or [])
        form.geojson.data = ""
    if form.validate_on_submit():
        try:
            changed = services.update_turf(
                current_user, turf, form.name.data, **_definition(form, turf)
            )
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            _warn_overlaps(turf)
            if not changed:
                flash(_("Turf saved."), "success")
                return redirect(url_for("turf.detail", turf_id=turf.id))
            run = _start_job("reassign", jobs.reassign_contacts, {"turf_id": turf.id})
            flash(_("Turf saved. Contacts are being reassigned."), "success")
            return redirect(url_for("turf.job", job_id=run.id))
    overlaps = services.turf_overlaps(turf.precinct_codes, turf.zip_codes, turf.geojson, turf.id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("turf/form.html", form=form, turf=turf, overlaps=overlaps), status


@bp.route("/<int:turf_id>/people", methods=["POST"])
@roles_required(*MANAGERS)
def people(turf_id: int):
    turf = get_turf(current_user, turf_id)
    services.ensure_can_manage_region(current_user, turf.region)
    form = TurfPeopleForm()
    if form.validate_on_submit():
        try:
            services.set_turf_people(current_user, turf, form.people.data or [])
        except ValidationFailed as exc:
            flash("; ".join(m for _f, m in exc.errors), "error")
        else:
            db.session.commit()
            flash(_("People saved."), "success")
    return redirect(url_for("turf.detail", turf_id=turf.id))


def _assignee_choices(turf: Turf) -> list[tuple[int | str, str]]:
    people = sorted(
        (u for u in turf.users if u.active and u.role in (Role.ORGANIZER, Role.LEADER)),
        key=lambda u: u.name,
    )
    return [("", _("Nobody yet"))] + [(u.id, f"{u.name} ({label(u.role, 'role')})") for u in people]


def _cut_form(turf: Turf) -> CutForm:
    form = CutForm()
    form.universe.choices = [(k, _(v)) for k, v in services.UNIVERSES.items()]
    set_vote_choices(form)
    form.assigned_user_id.choices = _assignee_choices(turf)
    return form


@bp.route("/<int:turf_id>")
@roles_required(*STAFF)
def detail(turf_id: int):
    turf = get_turf(current_user, turf_id)
    packets = db.session.scalars(
        sa.select(WalkPacket)
        .where(WalkPacket.turf_id == turf.id)
        .options(so.joinedload(WalkPacket.assigned_user))
        .order_by(WalkPacket.id)
    ).all()
    people_form = TurfPeopleForm()
    candidates = db.session.scalars(
        visible_users(current_user)
        .where(User.active.is_(True), User.role.in_((Role.ORGANIZER, Role.LEADER)))
        .order_by(User.name)
    ).all()
    people_form.people.choices = [(u.id, f"{u.name} ({label(u.role, 'role')})") for u in candidates]
    people_form.people.data = [u.id for u in turf.users]
    return render_template(
        "turf/detail.html",
        turf=turf,
        packets=packets,
        progress=services.packet_progress(p.id for p in packets),
        cut_form=_cut_form(turf),
        people_form=people_form,
        can_manage=current_user.role in MANAGERS,
    )


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
            stale_days=form.stale_days.data or services.DEFAULT_STALE_DAYS,
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
        services.visible_packets(current_user)
        .options(so.joinedload(WalkPacket.turf), so.joinedload(WalkPacket.assigned_user))
        .order_by(WalkPacket.id.desc())
    )
    if request.args.get("mine"):
        stmt = stmt.where(WalkPacket.assigned_user_id == current_user.id)
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "turf/packets.html",
        page=page,
        progress=services.packet_progress(p.id for p in page.items),
    )


@bp.route("/packets/<int:packet_id>")
@login_required
def packet(packet_id: int):
    item = services.get_packet(current_user, packet_id)
    stops = services.packet_stops(current_user, item)
    assign_form = AssignPacketForm(assigned_user_id=item.assigned_user_id)
    assign_form.assigned_user_id.choices = _assignee_choices(item.turf)
    people = [person.id for stop in stops for person in stop.people]
    return render_template(
        "turf/packet.html",
        packet=item,
        stops=stops,
        latest=door_queries.latest_results(current_user, people),
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
    item = services.get_packet(current_user, packet_id)
    return render_template(
        "turf/sheet.html",
        packet=item,
        stops=services.packet_stops(current_user, item),
        results=choices("result_code", current_locale()),
    )


@bp.route("/packets/<int:packet_id>/phone")
@login_required
def packet_phone(packet_id: int):
    item = services.get_packet(current_user, packet_id)
    return render_template(
        "turf/phone.html",
        packet=item,
        rows=services.phone_bank(current_user, item),
        results=choices("result_code", current_locale()),
        key=uuid.uuid4().hex[:16],
    )


@bp.route("/packets/<int:packet_id>/attempt", methods=["POST"])
@login_required
def log_attempt(packet_id: int):
    """One tap: log a failed attempt (a result code) with the packet. "Talked" stores
    nothing here: it opens the short conversation form for the person."""
    item = services.get_packet(current_user, packet_id)
    form = AttemptForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    back = "turf.packet_phone" if request.form.get("from") == "phone" else "turf.packet"
    if not form.validate_on_submit() or not str(form.contact_id.data).isdigit():
        return (jsonify(ok=False), 400) if wants_json else abort(400)
    contact = get_contact(current_user, int(form.contact_id.data))
    if form.result.data == "talked":
        talk = url_for(
            "conversations.log",
            contact_id=contact.id,
            next=url_for(back, packet_id=item.id),
            channel="phone" if back == "turf.packet_phone" else "door",
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
    item = services.get_packet(current_user, packet_id)
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
    return redirect(url_for("turf.packet", packet_id=item.id))


@bp.route("/packets/<int:packet_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def packet_delete(packet_id: int):
    item = services.get_packet(current_user, packet_id)
    turf_id = item.turf_id
    if EmptyForm().validate_on_submit():
        services.delete_packet(current_user, item)
        db.session.commit()
        flash(_("Packet deleted."), "success")
    return redirect(url_for("turf.detail", turf_id=turf_id))


def _radius_center(form: RadiusForm) -> tuple[float, float, str] | None:
    if form.contact_id.data:
        contact = get_contact(current_user, form.contact_id.data)
        if contact.latitude is None or contact.longitude is None:
            raise ValidationFailed([("contact_id", _("That contact has no location yet."))])
        return contact.latitude, contact.longitude, "contact"
    if form.lat.data is not None and form.lon.data is not None:
        return float(form.lat.data), float(form.lon.data), "point"
    if form.line1.data or form.zip5.data:
        found = services.resolve_address(
            form.line1.data, form.city.data, form.state.data, form.zip5.data
        )
        if found is None:
            raise ValidationFailed([("zip5", _("Give a ZIP code we can place."))])
        return found
    return None


def _radius(form: RadiusForm):
    center = _radius_center(form)
    if center is None:
        return None, []
    lat, lon, how = center
    rows = services.radius_search(
        current_user, lat, lon, float(form.miles.data or 1), doors=form.doors.data == "doors"
    )
    return (lat, lon, how), rows


@bp.route("/radius")
@roles_required(*STAFF)
def radius():
    form = RadiusForm(request.args)
    center, rows = None, []
    if form.validate():
        try:
            center, rows = _radius(form)
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
    return render_template("turf/radius.html", form=form, center=center, rows=rows)


@bp.route("/radius.json")
@roles_required(*STAFF)
def radius_json():
    form = RadiusForm(request.args)
    if not form.validate():
        return jsonify(ok=False, errors=form.errors), 400
    try:
        center, rows = _radius(form)
    except ValidationFailed as exc:
        return jsonify(ok=False, errors=[m for _f, m in exc.errors]), 422
    return jsonify(
        ok=True,
        center=center and {"lat": center[0], "lon": center[1], "from": center[2]},
        results=[
            {
                "id": r.contact.id,
                "name": r.contact.display_name,
                "address": r.contact.address,
                "miles": round(r.miles, 3),
                "people": r.people,
            }
            for r in rows
        ],
    )


def _get_job(job_id: int) -> JobRun:
    run = db.get_or_404(JobRun, job_id)
    if current_user.role != Role.ADMIN and run.created_by_id != current_user.id:
        abort(404)
    return run


@bp.route("/jobs/<int:job_id>")
@roles_required(*STAFF)
def job(job_id: int):
    return render_template("turf/job.html", run=_get_job(job_id))


@bp.route("/jobs/<int:job_id>.json")
@roles_required(*STAFF)
def job_json(job_id: int):
    run = _get_job(job_id)
    return jsonify(
        status=run.status,
        percent=run.percent,
        done=run.progress_done,
        total=run.progress_total,
        message=run.message or "",
    )


@bp.route("/geocode", methods=["POST"])
@roles_required(Role.ADMIN)
def geocode():
    if not EmptyForm().validate_on_submit():
        abort(400)
    run = _start_job("geocode", jobs.geocode_contacts, {})
    return redirect(url_for("turf.job", job_id=run.id))

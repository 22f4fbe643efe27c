"""Turf pages: regions and turfs, definitions, people, radius search, background jobs.

Walk packets (cutting, the walk list, results at the door) are fieldcrm.door's pages.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Contact
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.jobs import JobRun, enqueue
from fieldcrm.labels import label
from fieldcrm.lib.geo import validate_geojson
from fieldcrm.scoping import (
    get_turf,
    visible_regions,
    visible_turfs,
    visible_users,
)
from fieldcrm.turf import jobs, outlines, radius, services
from fieldcrm.turf.forms import (
    RadiusForm,
    TurfForm,
    TurfPeopleForm,
    split_codes,
)
from fieldcrm.turf.models import Region, Turf

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


@bp.route("/outlines.json")
@roles_required(*STAFF)
def outlines_json():
    """Every turf the viewer sees, with its outline and label point, for the maps."""
    turfs = db.session.execute(
        visible_turfs(current_user).with_only_columns(Turf.id, Turf.name).order_by(Turf.name)
    ).all()
    shapes = outlines.cached_turf_outlines(t.id for t in turfs)
    return jsonify(
        turfs=[{"id": t.id, "name": t.name, **outlines.outline_json(shapes[t.id])} for t in turfs]
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


@bp.route("/<int:turf_id>")
@roles_required(*STAFF)
def detail(turf_id: int):
    """A turf: its definition and people; features above turf add their sections (the walk
    packets: fieldcrm.door.views) through fieldcrm.web.page_sections."""
    turf = get_turf(current_user, turf_id)
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
        people_form=people_form,
        can_manage=current_user.role in MANAGERS,
    )


def _radius_centre(form: RadiusForm) -> radius.Centre | list[radius.NearbyContact] | None:
    """Where the search starts: a picked person (unless the name box now says something
    else), a point, what was typed in the box, or an address in parts (links, JSON)."""
    near = (form.near.data or "").strip()
    if form.contact_id.data:
        centre = radius.contact_centre(current_user, form.contact_id.data)
        if not near or near == centre.label:
            return centre
    if form.lat.data is not None and form.lon.data is not None:
        return radius.Centre.point(float(form.lat.data), float(form.lon.data))
    if near:
        return radius.find_centre(current_user, near)
    if form.line1.data or form.zip5.data:
        return radius.address_centre(
            current_user, form.line1.data, form.city.data, form.state.data, form.zip5.data
        )
    return None


def _radius(form: RadiusForm):
    """(centre or None, people to pick from, results)."""
    centre = _radius_centre(form)
    if not isinstance(centre, radius.Centre):
        return None, centre or [], []
    if centre.source == "contact":
        form.near.data = centre.label
    rows = radius.radius_search(
        current_user, centre, float(form.miles.data or 1), doors=form.doors.data == "doors"
    )
    return centre, [], rows


@bp.route("/radius", endpoint="radius")
@roles_required(*STAFF)
def radius_page():
    form = RadiusForm(request.args)
    centre, matches, rows = None, [], []
    if form.validate():
        try:
            centre, matches, rows = _radius(form)
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
    return render_template("turf/radius.html", form=form, center=centre, matches=matches, rows=rows)


@bp.route("/radius.json")
@roles_required(*STAFF)
def radius_json():
    form = RadiusForm(request.args)
    if not form.validate():
        return jsonify(ok=False, errors=form.errors), 400
    try:
        centre, matches, rows = _radius(form)
    except ValidationFailed as exc:
        return jsonify(ok=False, errors=[str(m) for _f, m in exc.errors]), 422
    return jsonify(
        ok=True,
        center=centre
        and {
            "lat": centre.lat,
            "lon": centre.lon,
            "from": centre.source,
            "exact": centre.exact,
            "label": centre.label,
        },
        matches=[
            {"id": m.id, "name": m.display_name, "address": m.address, "located": m.located}
            for m in matches
        ],
        results=[
            {
                "id": r.contact.id,
                "name": r.contact.display_name,
                "address": r.contact.address,
                "miles": round(r.miles, 3),
                "people": r.people,
                "zip_only": r.zip_only,
                "exact": r.exact,
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

"""The ladder: one-tap moves from a contact's page, the board, and the stage settings."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm import programtime
from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import Role, User
from fieldcrm.database import utcnow
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import with_translations
from fieldcrm.labels import label
from fieldcrm.ladder import queries, services
from fieldcrm.ladder.forms import BoardFilterForm, MoveForm, StageForm
from fieldcrm.ladder.models import LadderStage
from fieldcrm.scoping import get_contact, get_turf, visible_regions, visible_turfs, visible_users
from fieldcrm.turf.models import Region, Turf

bp = Blueprint("ladder", __name__, url_prefix="/ladder")


@bp.route("/move/<int:contact_id>", methods=["POST"])
@roles_required("admin", "director", "organizer")
def move(contact_id: int):
    contact = get_contact(current_user, contact_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            moved = services.step_contact(
                current_user, contact, form.direction.data, form.reason.data
            )
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            where = label(moved.to_stage) if moved.to_stage else _("off the ladder")
            flash(
                _("%(name)s moved to %(stage)s.", name=contact.display_name, stage=where), "success"
            )
    else:
        flash(_("Pick up or down."), "error")
    return redirect(url_for("contacts.detail", contact_id=contact.id))


def _filter_form() -> BoardFilterForm:
    form = BoardFilterForm(request.args)
    # Only ids and names: a director's region or an admin's program has many people.
    organizers = db.session.execute(
        visible_users(current_user)
        .with_only_columns(User.id, User.name)
        .where(User.role == Role.ORGANIZER)
        .order_by(User.name)
    ).all()
    turfs = db.session.execute(
        visible_turfs(current_user).with_only_columns(Turf.id, Turf.name).order_by(Turf.name)
    ).all()
    regions = db.session.execute(
        visible_regions(current_user)
        .with_only_columns(Region.id, Region.name)
        .order_by(Region.name)
    ).all()
    form.organizer.choices = [("", _("Every organizer")), *[(u.id, u.name) for u in organizers]]
    form.turf.choices = [("", _("Every turf")), *[(t.id, t.name) for t in turfs]]
    form.region.choices = [("", _("Every region")), *[(r.id, r.name) for r in regions]]
    form.validate()
    return form


@bp.route("/")
@roles_required("admin", "director", "organizer")
def board():
    form = _filter_form()
    if form.turf.data:
        get_turf(current_user, form.turf.data)  # 404 outside scope
    now = utcnow()
    today = programtime.local_date(now)
    data = queries.ladder_board(
        current_user,
        queries.BoardFilters(form.organizer.data, form.turf.data, form.region.data),
        now=now,
        week=programtime.week_of(today),
        month=programtime.month_of(today),
        stalled_after_days=current_app.config["STALLED_AFTER_DAYS"],
    )
    return render_template(
        "ladder/board.html",
        form=form,
        board=data,
        stalled_days=current_app.config["STALLED_AFTER_DAYS"],
    )


def _stage_form() -> type:
    """The stage form with a name (and description) per other interface language."""
    return with_translations(
        StageForm,
        current_app.config["LANGUAGES"],
        current_app.config["BABEL_DEFAULT_LOCALE"],
        services.TEXT_LIMITS,
    )


@bp.route("/stages", methods=["GET", "POST"])
@roles_required("admin")
def stages():
    form = _stage_form()()
    if form.validate_on_submit():
        try:
            services.create_stage(
                current_user,
                form.name.data,
                form.position.data,
                form.description.data,
                translations=form.translations(),
                locales=form.locales,
            )
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Stage added."), "success")
            return redirect(url_for("ladder.stages"))
    rows = db.session.scalars(
        sa.select(LadderStage).order_by(LadderStage.position, LadderStage.id)
    ).all()
    status = 422 if form.is_submitted() else 200
    return render_template("ladder/stages.html", form=form, stages=rows), status


@bp.route("/stages/<int:stage_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_stage(stage_id: int):
    stage = db.get_or_404(LadderStage, stage_id)
    form_class = _stage_form()
    form = form_class(obj=stage, **form_class.initial(stage.translations))
    if form.validate_on_submit():
        try:
            services.update_stage(
                current_user,
                stage,
                form.name.data,
                form.position.data,
                form.description.data,
                bool(form.active.data),
                translations=form.translations(),
                locales=form.locales,
            )
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Stage saved."), "success")
            return redirect(url_for("ladder.stages"))
    status = 422 if form.is_submitted() else 200
    return render_template("ladder/stage_form.html", form=form, stage=stage), status

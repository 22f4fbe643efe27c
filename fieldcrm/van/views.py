"""VAN pages: the canvass-results export (with its page) and the mapping admins edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.errors import ValidationFailed
from fieldcrm.exports import check_export, csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.van import services
from fieldcrm.van.forms import KIND_LABELS, MappingForm, SourceForm, code_label
from fieldcrm.van.models import VanMapping
from fieldcrm.web import (
    authenticated_at,
    date_arg,
    excel_requested,
    export_rate_limit,
)

bp = Blueprint("van", __name__, url_prefix="/van")
EXPORT_ROLES = ("admin", "director", "organizer")


@bp.route("/")
@roles_required(*EXPORT_ROLES)
def index():
    since, until = date_arg("since"), date_arg("until")
    count = services.count_canvass(current_user, since, until)
    return render_template(
        "van/index.html",
        count=count,
        since=since,
        until=until,
        header=services.export_header(),
        filters={k: v.isoformat() for k, v in (("since", since), ("until", until)) if v},
    )


@bp.route("/canvass.csv")
@roles_required(*EXPORT_ROLES)
@export_rate_limit
def export():
    since, until = date_arg("since"), date_arg("until")
    count = services.count_canvass(current_user, since, until)
    check_export(current_user, count.with_vanid, "van_canvass", authenticated_at=authenticated_at())
    header, rows = services.canvass_rows(current_user, since, until)
    record_export(
        current_user, "van_canvass", len(rows), since=since, until=until, no_vanid=count.left_out
    )
    db.session.commit()
    return csv_response("van-canvass-results.csv", header, rows, excel=excel_requested())


def _codes() -> dict[str, str]:
    labels = {}
    for kind in ("contact_type", "result", "survey"):
        for code, what, name in services.fieldcrm_codes(kind):
            labels[code] = code_label(what, name, code)
    return labels


def _render_mapping(form: MappingForm, status: int = 200):
    rows = services.mappings()
    codes = _codes()
    defaults = {"contact_type": services.DEFAULT_CONTACT_TYPES, "result": services.DEFAULT_RESULTS}
    return render_template(
        "van/mapping.html",
        rows=rows,
        kinds=KIND_LABELS,
        codes=codes,
        form=form,
        button=EmptyForm(),
        sources=services.source_flags(),
        # the FieldCRM side in words, VAN's names as VAN spells them
        defaults={
            kind: {codes.get(code, code): van for code, van in names.items()}
            for kind, names in defaults.items()
        },
    ), status


@bp.route("/mapping")
@roles_required("admin")
def mapping():
    return _render_mapping(MappingForm(formdata=None))


@bp.route("/mapping/new", methods=["POST"])
@roles_required("admin")
def add_mapping():
    form = MappingForm()
    if form.validate_on_submit():
        try:
            services.add_mapping(current_user, form.to_input())
        except ValidationFailed as exc:
            db.session.rollback()
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Mapping saved."), "success")
            return redirect(url_for("van.mapping"))
    return _render_mapping(form, 422)


@bp.route("/mapping/<int:mapping_id>/delete", methods=["POST"])
@roles_required("admin")
def delete_mapping(mapping_id: int):
    row = db.get_or_404(VanMapping, mapping_id)
    if EmptyForm().validate_on_submit():
        services.delete_mapping(current_user, row)
        db.session.commit()
        flash(_("Mapping removed."), "success")
    return redirect(url_for("van.mapping"))


@bp.route("/sources", methods=["POST"])
@roles_required("admin")
def set_source():
    form = SourceForm()
    if form.validate_on_submit():
        try:
            services.set_vanid_source(current_user, form.source.data, bool(form.vanids.data))
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
    return redirect(url_for("van.mapping", _anchor="sources"))

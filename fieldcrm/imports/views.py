"""Import pages: batches, upload → check (preview, column mapping) → start → live progress."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.exports import csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.imports import jobs, services
from fieldcrm.imports.forms import UploadForm, mapping_fields, mapping_form, mapping_from_form
from fieldcrm.web import excel_requested, export_rate_limit

bp = Blueprint("imports", __name__, url_prefix="/imports")
importers = roles_required("admin", "director")


@bp.route("/")
@importers
def index():
    page = db.paginate(
        services.visible_batches(current_user),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template("imports/index.html", page=page, status=services.effective_status)


@bp.route("/new", methods=["GET", "POST"])
@importers
def new():
    form = UploadForm()
    form.mapping.choices = [("", _("Detect the layout")), *[
        (m.name, m.name) for m in services.list_mappings()
    ]]  # fmt: skip
    if form.validate_on_submit():
        try:
            mapping = services.get_mapping(form.mapping.data).mapping if form.mapping.data else None
            upload = form.file.data
            stored = services.store_upload(
                services.upload_dir_for(current_app.config["UPLOAD_DIR"]), upload.filename, upload
            )
            batch = services.create_batch(
                current_user, stored, upload.filename, form.source.data,
                full_file=form.full_file.data, mapping=mapping,
            )  # fmt: skip
            if batch.status != "refused":
                services.preview_batch(current_user, batch)
        except (ValidationFailed, NotFound) as exc:
            form.populate_errors(getattr(exc, "errors", [(None, str(exc))]))
        else:
            db.session.commit()
            return redirect(url_for("imports.check", batch_id=batch.id))
    return render_template("imports/new.html", form=form)


@bp.route("/<int:batch_id>/check", methods=["GET", "POST"])
@importers
def check(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    columns = services.header_columns(batch) if batch.status in ("refused", "uploaded") else []
    form = mapping_form(columns, batch.mapping)
    if batch.status in ("refused", "uploaded") and form.validate_on_submit():
        try:
            mapping = mapping_from_form(form)
            services.apply_mapping(current_user, batch, mapping)
            if form.mapping_name.data:
                services.save_mapping(current_user, form.mapping_name.data, mapping)
            services.preview_batch(current_user, batch)
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            return redirect(url_for("imports.check", batch_id=batch.id))
    return render_template(
        "imports/check.html", batch=batch, form=form, fields=mapping_fields(form),
        columns=columns, start_form=EmptyForm(),
    )  # fmt: skip


@bp.route("/<int:batch_id>/start", methods=["POST"])
@importers
def start(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("imports.check", batch_id=batch.id))
    try:
        services.queue_batch(current_user, batch)
    except ValidationFailed as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.show", batch_id=batch.id))
    db.session.commit()
    jobs.enqueue_import(batch.id)
    return redirect(url_for("imports.show", batch_id=batch.id))


@bp.route("/<int:batch_id>/resume", methods=["POST"])
@importers
def resume(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    if not services.can_resume(batch) or not EmptyForm().validate_on_submit():
        flash(_("Only an interrupted import can be resumed."), "error")
        return redirect(url_for("imports.show", batch_id=batch.id))
    services.queue_batch(current_user, batch)
    db.session.commit()
    jobs.enqueue_import(batch.id)
    return redirect(url_for("imports.show", batch_id=batch.id))


@bp.route("/<int:batch_id>")
@importers
def show(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    errors = db.paginate(
        services.row_errors(batch), per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    return render_template(
        "imports/show.html", batch=batch, progress=services.progress_of(batch),
        errors=errors, resume_form=EmptyForm(),
    )  # fmt: skip


@bp.route("/<int:batch_id>/progress.json")
@importers
def progress(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    return jsonify(services.progress_of(batch))


@bp.route("/<int:batch_id>/errors.csv")
@importers
@export_rate_limit
def errors_csv(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    count = batch.rejected + batch.duplicates
    record_export(current_user, "import_errors", count, batch=batch.id)
    db.session.commit()
    return csv_response(
        f"import-{batch.id}-rejected-rows.csv",
        services.ROW_ERROR_COLUMNS,
        services.row_error_rows(batch),
        excel=excel_requested(),
    )

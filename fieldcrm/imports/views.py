"""Import pages: batches, upload → check (preview, column mapping) → start → live progress.

No page reads an uploaded file: the upload is stored and checked by a background job
(jobs.enqueue_check), whose progress and result the check page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.exports import check_export, csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.imports import jobs, retention, services
from fieldcrm.imports.forms import (
    SourceForm,
    StartForm,
    UploadForm,
    mapping_fields,
    mapping_form,
    mapping_from_form,
)
from fieldcrm.imports.models import ImportBatch
from fieldcrm.web import authenticated_at, excel_requested, export_rate_limit

bp = Blueprint("imports", __name__, url_prefix="/imports")
# Rejected rows carry their raw line (hundreds of characters): fewer to a page than lists.
REJECTS_PER_PAGE = 20
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
                full_file=form.full_file.data, mapping=mapping, detect=False,
            )  # fmt: skip
        except (ValidationFailed, NotFound) as exc:
            form.populate_errors(getattr(exc, "errors", [(None, str(exc))]))
        else:
            retention.purge_configured(current_app.config)  # uploads past their keep time
            db.session.commit()
            jobs.enqueue_check(batch.id)
            return redirect(url_for("imports.check", batch_id=batch.id))
    return render_template("imports/new.html", form=form, sources=services.existing_sources())


@bp.route("/<int:batch_id>/check", methods=["GET", "POST"])
@importers
def check(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    editable = batch.status in ("refused", "uploaded", "checked")
    columns = services.header_columns(batch) if editable else []
    form = mapping_form(columns, services.mapping_in_force(batch))
    if editable and form.validate_on_submit():
        try:
            mapping = mapping_from_form(form, batch.mapping)
            services.apply_mapping(current_user, batch, mapping)
            if form.mapping_name.data:
                services.save_mapping(current_user, form.mapping_name.data, mapping)
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            jobs.enqueue_check(batch.id)
            return redirect(url_for("imports.check", batch_id=batch.id))
    return render_template(
        "imports/check.html", batch=batch, form=form, fields=mapping_fields(form),
        columns=columns, start_form=StartForm(), progress=services.progress_of(batch),
        stalled=services.check_stalled(batch), source_form=SourceForm(source=batch.source),
        sources=services.existing_sources(),
    )  # fmt: skip


@bp.route("/<int:batch_id>/source", methods=["POST"])
@importers
def set_source(batch_id: int):
    """Import a checked file under another source: the check runs again with it."""
    batch = services.get_batch(current_user, batch_id)
    form = SourceForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("imports.check", batch_id=batch.id))
    return _check_again(batch, lambda: services.set_source(current_user, batch, form.source.data))


@bp.route("/<int:batch_id>/recheck", methods=["POST"])
@importers
def recheck(batch_id: int):
    """Check the file again: after a refusal, or when a check stopped without finishing."""
    batch = services.get_batch(current_user, batch_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("imports.check", batch_id=batch.id))
    return _check_again(batch, lambda: services.queue_check(current_user, batch))


def _check_again(batch: ImportBatch, queue: Callable[[], Any]) -> ResponseReturnValue:
    """Run a service that queues the batch's check, then start the check job; back to the
    check page either way (a refusal is flashed)."""
    try:
        queue()
    except ValidationFailed as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.check", batch_id=batch.id))
    db.session.commit()
    jobs.enqueue_check(batch.id)
    return redirect(url_for("imports.check", batch_id=batch.id))


@bp.route("/<int:batch_id>/start", methods=["POST"])
@importers
def start(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    form = StartForm()
    if not form.validate_on_submit():
        return redirect(url_for("imports.check", batch_id=batch.id))
    try:
        services.queue_batch(
            current_user, batch, confirm_other_sources=form.confirm_other_sources.data
        )
    except ValidationFailed as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.check", batch_id=batch.id))
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
    errors = db.paginate(services.row_errors(batch), per_page=REJECTS_PER_PAGE, error_out=False)
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
    """The batch's rejected rows with each row's raw line (personal data): the export policy
    of every other export applies (role row limit, password again for a large one, audit)."""
    batch = services.get_batch(current_user, batch_id)
    count = services.row_error_count(batch)
    check_export(current_user, count, "import_errors", authenticated_at=authenticated_at())
    record_export(current_user, "import_errors", count, batch=batch.id)
    db.session.commit()
    # The rows are fetched while the response streams, after the view has returned: keep
    # the request's context (and its database session) for that.
    return csv_response(
        f"import-{batch.id}-rejected-rows.csv",
        services.ROW_ERROR_COLUMNS,
        stream_with_context(services.row_error_rows(batch)),
        excel=excel_requested(),
    )

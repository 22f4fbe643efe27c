"""Admin pages for webhooks: endpoints, their recent deliveries, test and resend."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.webhooks import services
from fieldcrm.webhooks.events import EVENTS
from fieldcrm.webhooks.forms import EndpointForm
from fieldcrm.webhooks.models import WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _render_index(form: EndpointForm, status: int = 200):
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return render_template(
        "webhooks/index.html",
        endpoints=endpoints,
        counts=services.status_counts(),
        form=form,
        events=EVENTS,
    ), status


@bp.route("/")
@roles_required("admin")
def index():
    return _render_index(EndpointForm(formdata=None))


@bp.route("/new", methods=["POST"])
@roles_required("admin")
def create():
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint, generated = services.create_endpoint(current_user, form.to_input())
            endpoint_id = endpoint.id
        except ValidationFailed as exc:
            db.session.rollback()
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Endpoint added."), "success")
            if generated:
                flash(_("Its secret, shown this once: %(secret)s", secret=generated), "warning")
            return redirect(url_for("webhooks.show", endpoint_id=endpoint_id))
    return _render_index(form, 422)


def _render_show(endpoint: WebhookEndpoint, form: EndpointForm, status: int = 200):
    return render_template(
        "webhooks/show.html",
        endpoint=endpoint,
        form=form,
        button=EmptyForm(),
        deliveries=services.recent_deliveries(endpoint.id),
        events=EVENTS,
    ), status


@bp.route("/<int:endpoint_id>")
@roles_required("admin")
def show(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointForm(formdata=None, obj=endpoint)
    return _render_show(endpoint, form)


@bp.route("/<int:endpoint_id>/edit", methods=["POST"])
@roles_required("admin")
def edit(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            services.update_endpoint(current_user, endpoint, form.to_input())
        except ValidationFailed as exc:
            db.session.rollback()
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("webhooks.show", endpoint_id=endpoint_id))
        endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return _render_show(endpoint, form, 422)


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@roles_required("admin")
def delete(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if EmptyForm().validate_on_submit():
        services.delete_endpoint(current_user, endpoint)
        db.session.commit()
        flash(_("Endpoint removed."), "success")
    return redirect(url_for("webhooks.index"))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@roles_required("admin")
def test(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if EmptyForm().validate_on_submit():
        services.send_test(current_user, endpoint)
        db.session.commit()
        flash(_("Test event queued: its outcome shows below in a moment."), "success")
    return redirect(url_for("webhooks.show", endpoint_id=endpoint_id))


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
@roles_required("admin")
def resend(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    endpoint_id = delivery.endpoint_id
    if EmptyForm().validate_on_submit():
        try:
            services.resend(current_user, delivery)
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Sending again."), "success")
    return redirect(url_for("webhooks.show", endpoint_id=endpoint_id))

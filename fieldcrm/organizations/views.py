"""Organizations: list, create, edit, each one's people in scope; linking people from their page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.contacts.models import Organization
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm
from fieldcrm.organizations import queries, services
from fieldcrm.organizations.forms import LinkForm, OrganizationForm
from fieldcrm.scoping import get_contact, visible_regions

bp = Blueprint("organizations", __name__, url_prefix="/organizations")
STAFF = ("admin", "director", "organizer")


def _form(**kwargs) -> OrganizationForm:
    form = OrganizationForm(**kwargs)
    regions = db.session.scalars(visible_regions(current_user).order_by("name")).all()
    form.region_id.choices = [("", _("Any region")), *[(r.id, r.name) for r in regions]]
    return form


@bp.route("/")
@roles_required(*STAFF)
def index():
    return render_template(
        "organizations/index.html", rows=queries.organizations_with_counts(current_user)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new():
    form = _form()
    if form.validate_on_submit():
        try:
            org = services.create_organization(current_user, form.to_input())
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Organization added."), "success")
            return redirect(url_for("organizations.detail", org_id=org.id))
    status = 422 if form.is_submitted() else 200
    return render_template("organizations/form.html", form=form, org=None), status


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(org_id: int):
    org = db.get_or_404(Organization, org_id)
    form = _form(obj=org)
    if form.validate_on_submit():
        try:
            services.update_organization(current_user, org, form.to_input())
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("organizations.detail", org_id=org.id))
    status = 422 if form.is_submitted() else 200
    return render_template("organizations/form.html", form=form, org=org), status


@bp.route("/<int:org_id>")
@roles_required(*STAFF)
def detail(org_id: int):
    org = db.get_or_404(Organization, org_id)
    page = db.paginate(
        queries.members(current_user, org.id),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    rows = [(link, link.contact) for link in page.items]
    latest = queries.latest_conversations([c.id for _, c in rows])
    return render_template(
        "organizations/detail.html", org=org, page=page, rows=rows, latest=latest
    )


@bp.route("/link/<int:contact_id>", methods=["POST"])
@roles_required(*STAFF)
def link(contact_id: int):
    contact = get_contact(current_user, contact_id)
    form = LinkForm()
    org = db.session.get(Organization, form.organization_id.data or 0)
    if form.validate_on_submit() and org is not None:
        try:
            services.link_contact(current_user, contact, org, form.role.data)
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(_("Linked to %(org)s.", org=org.name), "success")
    else:
        flash(_("Pick an organization and a role."), "error")
    return redirect(url_for("contacts.detail", contact_id=contact.id))


@bp.route("/<int:org_id>/unlink/<int:contact_id>", methods=["POST"])
@roles_required(*STAFF)
def unlink(org_id: int, contact_id: int):
    contact = get_contact(current_user, contact_id)
    org = db.get_or_404(Organization, org_id)
    if EmptyForm().validate_on_submit():
        services.unlink_contact(current_user, contact, org)
        db.session.commit()
        flash(_("Removed from %(org)s.", org=org.name), "success")
    return redirect(url_for("contacts.detail", contact_id=contact.id))


def contact_panel(actor, contact) -> dict:
    """What the contact page shows about organizations: links and the form to add one."""
    form = LinkForm(formdata=None)
    form.organization_id.choices = [
        (o.id, o.name)
        for o in db.session.scalars(sa.select(Organization).order_by(Organization.name))
    ]
    return {
        "affiliations": queries.affiliations_of(contact.id),
        "link_form": form if actor.role in STAFF else None,
        "unlink_form": EmptyForm(formdata=None),
    }

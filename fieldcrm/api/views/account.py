"""Account → API tokens: create (the token is shown once), list and revoke one's own."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldcrm.api import tokens
from fieldcrm.api.forms import TokenForm
from fieldcrm.database import utcnow
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.forms import EmptyForm

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


def _page(form: TokenForm, new_token: str | None = None, status: int = 200):
    rows = db.session.scalars(tokens.tokens_of(current_user.id)).all()
    return render_template(
        "api/tokens.html",
        form=form,
        tokens=rows,
        now=utcnow(),
        new_token=new_token,
        revoke_form=EmptyForm(),
    ), status


@bp.route("/")
@login_required
def index():
    return _page(TokenForm())


@bp.route("/create", methods=["POST"])
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    now = utcnow()
    try:
        expires = tokens.expiry_from_days(form.expires_in_days.data, now)
        _token, raw = tokens.create_token(
            current_user, current_user, form.name.data, now=now, expires_at=expires
        )
    except ValidationFailed as exc:
        db.session.rollback()
        form.populate_errors(exc.errors)
        return _page(form, status=422)
    db.session.commit()
    # Shown in this answer only (never stored, never in a redirect or the session).
    return _page(TokenForm(formdata=None), new_token=raw)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    token = tokens.get_own_token(current_user, token_id)
    form = EmptyForm()
    if form.validate_on_submit():
        tokens.revoke_token(current_user, token, now=utcnow())
        db.session.commit()
        flash(_("Token “%(name)s” revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))

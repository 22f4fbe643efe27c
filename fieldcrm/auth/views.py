"""Sign-in, sign-out, own account, and the admin's user pages."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from fieldcrm import programtime
from fieldcrm.audit import AuditFilters
from fieldcrm.audit import search as audit_search
from fieldcrm.auth import services, twofactor
from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.forms import (
    AuditSearchForm,
    ConfirmIdentityForm,
    LoginForm,
    PasswordForm,
    PreferencesForm,
    TwoFactorForm,
    TwoFactorManageForm,
    TwoFactorSetupForm,
    UserForm,
)
from fieldcrm.auth.models import User
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db, limiter
from fieldcrm.forms import EmptyForm
from fieldcrm.security import begin_session
from fieldcrm.turf.models import Region, Turf
from fieldcrm.web import REAUTH_AT

bp = Blueprint("auth", __name__, url_prefix="/auth")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_login_key
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboards.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, ip=request.remote_addr)
        if user is None:
            db.session.commit()  # keep the audit row of the failed attempt
            form.form_errors.append(_("Wrong email or password."))
            return render_template("auth/login.html", form=form), 200
        next_url = safe_next(request.args.get("next"))
        if user.totp_enabled:  # password right: not signed in until the code passes
            session.clear()
            session[PENDING_2FA] = {
                "id": user.id,
                "token": user.session_token,
                "at": int(time.time()),
                "next": next_url,
            }
            return redirect(url_for("auth.two_factor"))
        services.record_login(user, ip=request.remote_addr)
        db.session.commit()
        begin_session()
        login_user(user)
        return redirect(next_url or url_for("dashboards.home"))
    return render_template("auth/login.html", form=form, demo=current_app.config.get("DEMO_LOGINS"))


def _confirm_key() -> str:
    return f"confirm:{current_user.get_id()}"


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], methods=["POST"], key_func=_confirm_key
)
def confirm():
    """Ask for the password (or a two-step code) again, then go back to `next` (large exports)."""
    next_url = safe_next(request.values.get("next")) or url_for("dashboards.home")
    form = ConfirmIdentityForm()
    if form.validate_on_submit():
        ok = services.confirm_identity(current_user, form.secret.data, ip=request.remote_addr)
        db.session.commit()  # keep the audit row either way
        if ok:
            session[REAUTH_AT] = int(time.time())
            return redirect(next_url)
        form.form_errors.append(_("That is not your password or a current code."))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/confirm.html", form=form, next_url=next_url), status


# -- two-step sign-in -------------------------------------------------------------------

PENDING_2FA = "_2fa_pending"
SETUP_KEY = "_2fa_setup"
PENDING_SECONDS = 300


def _pending_user() -> User | None:
    """The user whose password passed in this session in the last 5 minutes, if any."""
    pending = session.get(PENDING_2FA)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("id") or 0)
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return user if user.totp_enabled else None


def _two_factor_key() -> str:
    pending = session.get(PENDING_2FA)
    return f"2fa:{pending.get('id') if isinstance(pending, dict) else request.remote_addr}"


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], methods=["POST"], key_func=_two_factor_key
)
def two_factor():
    user = _pending_user()
    if user is None:
        session.pop(PENDING_2FA, None)
        flash(_("Sign in with your email and password first."), "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if twofactor.verify_second_factor(user, form.code.data, ip=request.remote_addr):
            next_url = session[PENDING_2FA].get("next")
            services.record_login(user, ip=request.remote_addr)
            db.session.commit()
            begin_session()
            login_user(user)
            return redirect(next_url or url_for("dashboards.home"))
        db.session.commit()  # keep the audit row of the failed code
        form.form_errors.append(_("That code is not right, or it was already used."))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/two_factor.html", form=form), status


@bp.route("/2fa/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    if current_user.totp_enabled:
        return redirect(url_for("auth.two_factor_manage"))
    secret = session.get(SETUP_KEY) or twofactor.new_secret()
    session[SETUP_KEY] = secret  # proposed only; stored on the user once confirmed
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_enrolment(
                current_user, secret, form.code.data, ip=request.remote_addr
            )
        except ValidationFailed as exc:
            db.session.commit()  # keep the audit row
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            session.pop(SETUP_KEY, None)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = twofactor.provisioning_uri(current_user, secret, current_app.config["TOTP_ISSUER"])
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=secret,
        uri=uri,
        qr=twofactor.qr_data_uri(uri),
    ), (422 if form.is_submitted() else 200)


def _manage_page(disable_form=None, codes_form=None, status: int = 200):
    return render_template(
        "auth/two_factor_manage.html",
        disable_form=disable_form or TwoFactorManageForm(prefix="off"),
        codes_form=codes_form or TwoFactorManageForm(prefix="codes"),
        required=current_user.role in current_app.config["REQUIRE_2FA_FOR"],
        left=len(current_user.recovery_codes or []),
    ), status


@bp.route("/2fa/manage")
@login_required
def two_factor_manage():
    if not current_user.totp_enabled:
        return redirect(url_for("auth.two_factor_setup"))
    return _manage_page()


@bp.route("/2fa/disable", methods=["POST"])
@login_required
def two_factor_disable():
    form = TwoFactorManageForm(prefix="off")
    if not (current_user.totp_enabled and form.validate_on_submit()):
        return _manage_page(disable_form=form, status=422)
    try:
        twofactor.disable(
            current_user,
            form.password.data,
            form.code.data,
            required_roles=current_app.config["REQUIRE_2FA_FOR"],
            ip=request.remote_addr,
        )
    except ValidationFailed as exc:
        db.session.commit()  # keep the audit row
        form.populate_errors(exc.errors)
        return _manage_page(disable_form=form, status=422)
    db.session.commit()
    login_user(current_user._get_current_object())  # token rotated: keep only this session
    flash(_("Two-step sign-in is off. Your other sessions are signed out."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/2fa/recovery-codes", methods=["POST"])
@login_required
def two_factor_recovery_codes():
    form = TwoFactorManageForm(prefix="codes")
    if not (current_user.totp_enabled and form.validate_on_submit()):
        return _manage_page(codes_form=form, status=422)
    try:
        codes = twofactor.new_recovery_codes(
            current_user, form.password.data, form.code.data, ip=request.remote_addr
        )
    except ValidationFailed as exc:
        db.session.commit()  # keep the audit row
        form.populate_errors(exc.errors)
        return _manage_page(codes_form=form, status=422)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        services.end_all_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    languages = current_app.config["LANGUAGES"]
    prefs = PreferencesForm(prefix="prefs", languages=languages, locale=current_user.locale)
    pw = PasswordForm(prefix="pw")
    if request.method == "POST" and "prefs-submit" in request.form and prefs.validate():
        try:
            services.set_locale(current_user, prefs.locale.data, languages)
        except ValidationFailed as exc:
            prefs.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("auth.account"))
    if request.method == "POST" and "pw-submit" in request.form and pw.validate():
        try:
            services.change_password(current_user, pw.current_password.data, pw.new_password.data)
        except ValidationFailed as exc:
            pw.populate_errors(exc.errors)
        else:
            db.session.commit()
            login_user(
                current_user._get_current_object()
            )  # the token rotated: keep this session, end the others
            flash(_("Password changed. Your other sessions are signed out."), "success")
            return redirect(url_for("auth.account"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/account.html", prefs=prefs, pw=pw), status


# -- admin: users ---------------------------------------------------------------------


def _user_form(user: User | None = None) -> UserForm:
    regions = db.session.scalars(sa.select(Region).order_by(Region.name)).all()
    turfs = db.session.scalars(sa.select(Turf).join(Region).order_by(Region.name, Turf.name)).all()
    form = UserForm(
        obj=user, regions=regions, turfs=turfs, languages=current_app.config["LANGUAGES"]
    )
    if user is not None and request.method == "GET":
        form.regions.data = [r.id for r in user.regions]
        form.turfs.data = [t.id for t in user.turfs]
    return form


@admin_bp.route("/users")
@roles_required("admin")
def users():
    q = (request.args.get("q") or "").strip().lower()
    stmt = sa.select(User).order_by(User.active.desc(), User.role, User.name)
    if q:
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.name).contains(q, autoescape=True),
                User.email.contains(q, autoescape=True),
            )
        )
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("auth/users.html", page=page, q=q, form=EmptyForm())


@admin_bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user, form.to_input())
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/user_form.html", form=form, user=None), status


@admin_bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user, form.to_input())
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/user_form.html", form=form, user=user), status


@admin_bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EmptyForm()
    if form.validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            services.set_user_active(current_user, user, active)
        except ValidationFailed as exc:
            flash(exc.errors[0][1], "error")
        else:
            db.session.commit()
            flash(
                _("%(name)s activated.", name=user.name)
                if active
                else _("%(name)s deactivated.", name=user.name),
                "success",
            )
    return redirect(url_for("admin.users"))


@admin_bp.route("/audit")
@roles_required("admin")
def audit():
    form = AuditSearchForm(request.args)
    valid = form.validate()  # a refused filter is shown on its field, and not applied

    filters = AuditFilters(
        action=form.action.data or "",
        actor=form.actor.data or "",
        entity_type=form.entity_type.data or "",
        entity_id=form.entity_id.data if not form.entity_id.errors else None,
        ip=form.ip.data or "",
        since=programtime.day_start(form.date_from.data) if form.date_from.data else None,
        until=programtime.day_start(form.date_to.data, days=1) if form.date_to.data else None,
    )
    page = db.paginate(audit_search(filters), per_page=100, error_out=False)
    ids = {e.actor_id for e in page.items if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    return render_template("auth/audit.html", page=page, actors=actors, form=form), (
        200 if valid else 422
    )

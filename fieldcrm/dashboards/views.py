"""Home pages per role."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from fieldcrm.dashboards import queries
from fieldcrm.web import program_tz

bp = Blueprint("dashboards", __name__)


@bp.route("/")
def root():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("dashboards.home"))


@bp.route("/home")
@login_required
def home():
    since = queries.week_start(datetime.now(program_tz())).astimezone(UTC)
    return render_template(
        "dashboards/home.html",
        counts=queries.scope_counts(current_user, since),
        commitments=queries.my_open_commitments(current_user),
        conversations=queries.recent_conversations(current_user),
    )

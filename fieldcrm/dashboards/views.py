"""Home pages per role, the directors' coverage report (table, map, CSV) and team page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldcrm import audit, programtime
from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import Role, User
from fieldcrm.dashboards import metrics, queries
from fieldcrm.dashboards.forms import CoverageFilterForm, GoalForm
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.exports import check_export, csv_response, record_export
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderStage
from fieldcrm.lib.dates import parse_iso_date
from fieldcrm.scoping import get_turf, visible_users
from fieldcrm.turf import outlines
from fieldcrm.turf import services as turf_services
from fieldcrm.web import (
    authenticated_at,
    excel_requested,
    export_rate_limit,
)

bp = Blueprint("dashboards", __name__)
DIRECTORS = (Role.ADMIN, Role.DIRECTOR)


@bp.route("/")
def root():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("dashboards.home"))


@bp.route("/home")
@login_required
def home():
    today = programtime.today()
    week = programtime.week_of(today)
    since, until = week.start, week.end
    context = {
        "today": today,
        "week": week.first_day,
        "follow": queries.follow_ups(current_user, today),
        "followups_url": url_for("commitments.mine")
        if "commitments.mine" in current_app.view_functions
        else None,
    }
    role = current_user.role
    if role == Role.LEADER:
        return render_template("dashboards/home_leader.html", **context)
    if role == Role.ORGANIZER:
        flt = metrics.CoverageFilter(
            since=programtime.day_start(today, days=-28),
            until=programtime.day_start(today, days=1),
            week_starts=programtime.week_starts(today, metrics.TREND_WEEKS),
        )
        stats = queries.week_stats([current_user], since, until, week.first_day)[current_user.id]
        return render_template(
            "dashboards/home_organizer.html",
            stats=stats,
            moves=queries.ladder_movement(current_user, since),
            turfs=metrics.cached_coverage(current_user, flt),
            **context,
        )
    return render_template(
        "dashboards/home.html",
        # unusual export volume (fieldcrm.exports) in the last week, for admins to look into
        unusual_exports=audit.count_since("export.unusual", programtime.day_start(today, days=-7))
        if role == Role.ADMIN
        else 0,
        counts=queries.scope_counts(current_user, since),
        conversations=queries.recent_conversations(current_user),
        **context,
    )


def _coverage_filter(form: CoverageFilterForm) -> metrics.CoverageFilter:
    today = programtime.today()
    end = form.end.data or today
    start = form.start.data or (end - timedelta(days=55))
    if start > end:
        start, end = end, start
    universe = form.universe.data if form.universe.data in turf_services.UNIVERSES else "all"
    return metrics.CoverageFilter(
        since=programtime.day_start(start),
        until=programtime.day_start(end, days=1),
        week_starts=programtime.week_starts(end, metrics.TREND_WEEKS),
        universe=universe,
        stale_days=form.stale_days.data or 30,
        votes=form.vote_history(),
    )


def _coverage_rows(form: CoverageFilterForm):
    """(turf or None, rows, regions) for the filter; a turf drills down by precinct."""
    flt = _coverage_filter(form)
    turf = None
    if form.turf.data:
        try:
            turf = get_turf(current_user, int(form.turf.data))
        except (ValueError, NotFound):
            abort(404)
        rows = metrics.cached_coverage(current_user, flt, group="precinct", turf_id=turf.id)
        return turf, metrics.sort_rows(rows, form.sort.data), []
    rows = metrics.cached_coverage(current_user, flt)
    return None, metrics.sort_rows(rows, form.sort.data), metrics.by_region(rows)


def _filter_form() -> CoverageFilterForm:
    form = CoverageFilterForm(request.args)
    form.universe.choices = [(k, _(v)) for k, v in turf_services.UNIVERSES.items()]
    form.load_elections()
    form.validate()
    return form


@bp.route("/coverage")
@roles_required(*DIRECTORS)
def coverage():
    form = _filter_form()
    turf, rows, regions = _coverage_rows(form)
    stages = db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)).all()
    return render_template(
        "dashboards/coverage.html",
        form=form,
        turf=turf,
        rows=rows,
        regions=regions,
        stages=stages,
        levels=metrics.SUPPORT_LEVELS,
    )


CSV_HEADER = [
    "region", "turf", "precinct", "universe", "attempts", "attempted", "coverage_pct",
    "conversations", "reached", "reach_pct", "contact_rate_pct", "support_1", "support_2",
    "support_3", "support_4", "support_5", "commitments_made", "commitments_kept",
    "local_leaders", "organizers", "last_activity", "gap",
]  # fmt: skip


@bp.route("/coverage.csv")
@roles_required(*DIRECTORS)
@export_rate_limit
def coverage_csv():
    form = _filter_form()
    turf, rows, _regions = _coverage_rows(form)
    check_export(current_user, len(rows), "coverage", authenticated_at=authenticated_at())
    record_export(
        current_user,
        "coverage",
        len(rows),
        turf=turf.id if turf else None,
        universe=form.universe.data,
        vote_filter=form.vote_filter.data or None,
    )
    db.session.commit()
    data = [
        [
            turf.region.name if turf else r.region,
            turf.name if turf else r.label,
            r.label if turf else "",
            r.universe,
            r.attempts,
            r.attempted,
            r.coverage_pct,
            r.conversations,
            r.reached,
            r.reach_pct,
            r.contact_rate,
            *[r.support.get(lvl, 0) for lvl in metrics.SUPPORT_LEVELS],
            r.commitments_made,
            r.commitments_kept,
            r.local_leaders,
            "; ".join(r.organizers),
            r.last_activity.isoformat() if r.last_activity else "",
            r.gap,
        ]  # fmt: skip
        for r in rows
    ]
    return csv_response("coverage.csv", CSV_HEADER, data, excel=excel_requested())


@bp.route("/coverage/map.json")
@roles_required(*DIRECTORS)
def coverage_map():
    """Turfs (outline, else centroid) coloured by reach, and where local leaders live."""
    form = _filter_form()
    flt = _coverage_filter(form)
    rows = metrics.cached_coverage(current_user, flt)
    shapes = outlines.cached_turf_outlines(r.turf_id for r in rows)
    return jsonify(
        turfs=[
            {
                "id": r.turf_id,
                "name": r.label,
                "region": r.region,
                "universe": r.universe,
                "reach_pct": r.reach_pct,
                "coverage_pct": r.coverage_pct,
                "local_leaders": r.local_leaders,
                "gap": r.gap,
                "lat": r.lat,
                "lon": r.lon,
                **outlines.outline_json(shapes[r.turf_id]),
                "url": url_for("dashboards.coverage", turf=r.turf_id),
            }
            for r in rows
        ],
        leaders=metrics.leader_homes(current_user),
    )


@bp.route("/team")
@roles_required(Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)
def team():
    week = programtime.week_of(programtime.today())
    monday = week.first_day
    members = (
        queries.team_members(current_user) if current_user.role in DIRECTORS else [current_user]
    )
    stats = queries.week_stats(members, week.start, week.end, monday)
    rows = sorted(
        stats.values(),
        key=lambda s: (s.goal_progress is None, -(s.goal_progress or 0), s.user.name),
    )
    form = GoalForm()
    form.week.choices = [
        ("", _("Every week (standing goal)")),
        (monday.isoformat(), _("This week only")),
    ]
    return render_template(
        "dashboards/team.html",
        rows=rows,
        week=monday,
        form=form,
        can_set=current_user.role in DIRECTORS,
    )


@bp.route("/team/goal", methods=["POST"])
@roles_required(*DIRECTORS)
def set_goal():
    form = GoalForm()
    form.week.choices = [("", ""), (programtime.monday(programtime.today()).isoformat(), "")]
    if not form.validate_on_submit():
        flash(_("Goals are whole numbers from 0."), "error")
        return redirect(url_for("dashboards.team"))
    try:
        week_start = parse_iso_date(form.week.data) if form.week.data else None
    except ValueError:
        flash(_("Choose the week from the list."), "error")
        return redirect(url_for("dashboards.team"))
    organizer = db.session.scalar(
        visible_users(current_user).where(User.id == int(form.organizer_id.data or 0))
    )
    if organizer is None:
        abort(404)
    data = turf_services.GoalInput(
        attempts=form.attempts.data or 0,
        conversations=form.conversations.data or 0,
        one_on_ones=form.one_on_ones.data or 0,
        commitments=form.commitments.data or 0,
        week_start=week_start,
    )
    try:
        turf_services.set_weekly_goal(current_user, organizer, data)
    except ValidationFailed as exc:
        flash("; ".join(m for _f, m in exc.errors), "error")
        return redirect(url_for("dashboards.team"))
    db.session.commit()
    flash(_("Goal set for %(name)s.", name=organizer.name), "success")
    return redirect(url_for("dashboards.team"))

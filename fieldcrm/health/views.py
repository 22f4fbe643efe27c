"""GET /healthz: database (and Redis, when configured) reachable. No auth, no data."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from fieldcrm.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy; details go to the log
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        checks["database"] = "error"
    if current_app.config.get("REDIS_URL"):
        try:
            from fieldcrm.jobs import redis_connection

            redis_connection().ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            current_app.logger.exception("health check: redis unreachable")
            checks["redis"] = "error"
    healthy = all(v == "ok" for v in checks.values())
    response = jsonify(status="ok" if healthy else "error", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response

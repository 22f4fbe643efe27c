"""The admin's Settings page, and the map tile server every map page uses."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fieldcrm.auth.decorators import roles_required
from fieldcrm.auth.models import Role
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.settings import services
from fieldcrm.settings.forms import MapTilesForm
from fieldcrm.turf.models import Boundary

bp = Blueprint("settings", __name__, url_prefix="/settings")


def map_tiles_for_page() -> services.MapTiles:
    """The tile server for a page that draws a map (a template global). The page's
    Content-Security-Policy then allows images from the tile host (fieldcrm.security)."""
    tiles = services.map_tiles(current_app.config)
    g.csp_image_origin = tiles.image_origin
    return tiles


def _page(form: MapTilesForm, status: int = 200):
    shapes = dict(
        db.session.execute(
            sa.select(Boundary.kind, sa.func.count(Boundary.id)).group_by(Boundary.kind)
        ).all()
    )
    return render_template(
        "settings/index.html",
        form=form,
        shapes=shapes,
        config_url=current_app.config.get("MAP_TILE_URL") or "",
    ), status


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    saved = services.stored_settings(services.MAP_KEYS)
    form = MapTilesForm(
        data={
            "url": saved.get(services.TILE_URL, ""),
            "attribution": saved.get(services.TILE_ATTRIBUTION, ""),
            "attribution_url": saved.get(services.TILE_ATTRIBUTION_URL, ""),
        }
    )
    return _page(form)


@bp.route("/map", methods=["POST"])
@roles_required(Role.ADMIN)
def save_map():
    form = MapTilesForm()
    if form.validate_on_submit():
        try:
            services.save_map_tiles(current_user, form.to_input())
        except ValidationFailed as exc:
            form.populate_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Map settings saved."), "success")
            return redirect(url_for("settings.index"))
    return _page(form, 422)

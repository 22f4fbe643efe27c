"""Reading and changing settings; the map tile server is the one admins set today.

The tile server can be set in two places: the server's configuration (`MAP_TILE_URL`,
`MAP_TILE_ATTRIBUTION`, `MAP_TILE_ATTRIBUTION_URL`) and the Settings page. A value saved on
the page wins; clearing it there goes back to the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.settings.models import AppSetting

TILE_URL = "map_tile_url"
TILE_ATTRIBUTION = "map_tile_attribution"
TILE_ATTRIBUTION_URL = "map_tile_attribution_url"
MAP_KEYS = (TILE_URL, TILE_ATTRIBUTION, TILE_ATTRIBUTION_URL)
CONFIG_KEYS = {
    TILE_URL: "MAP_TILE_URL",
    TILE_ATTRIBUTION: "MAP_TILE_ATTRIBUTION",
    TILE_ATTRIBUTION_URL: "MAP_TILE_ATTRIBUTION_URL",
}
# {s} {z} {x} {y} {r} are Leaflet's placeholders; anything else in braces is a typo.
_PLACEHOLDER = re.compile(r"\{([^}]*)\}")
_ALLOWED_PLACEHOLDERS = {"s", "z", "x", "y", "r", "-y"}


@dataclass(frozen=True)
class MapTiles:
    """Where map pages fetch their background tiles from (url "" = no tiles)."""

    url: str = ""
    attribution: str = ""
    attribution_url: str = ""
    from_settings: bool = False

    @property
    def image_origin(self) -> str | None:
        """The origin pages must allow images from (CSP img-src), e.g. https://*.tile.x.org."""
        return tile_origin(self.url)


@dataclass(frozen=True)
class MapTilesInput:
    url: str | None
    attribution: str | None
    attribution_url: str | None


def tile_origin(url: str | None) -> str | None:
    """The scheme and host of a tile URL template, `{s}` turned into a wildcard; None when
    the template is not an http(s) URL."""
    url = url or ""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = url.split("/")[2].replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def check_tile_url(url: str) -> Any:
    """Why a tile URL template is unusable (a message), or None when it is fine."""
    if any(c.isspace() or c in "\"'<>\\;" for c in url):
        return _("A tile URL has no spaces, quotes, angle brackets or semicolons.")
    if tile_origin(url) is None:
        return _("Give a full http:// or https:// address.")
    names = set(_PLACEHOLDER.findall(url))
    if not {"z", "x", "y"} <= names:
        return _(
            "The address needs the {z}, {x} and {y} placeholders, e.g. https://tile.example.org/{z}/{x}/{y}.png"
        )
    unknown = names - _ALLOWED_PLACEHOLDERS
    if unknown:
        return _(
            "Unknown placeholder %(name)s; use {s}, {z}, {x}, {y} or {r}.",
            name="{" + sorted(unknown)[0] + "}",
        )
    return None


def stored_settings(keys: tuple[str, ...]) -> dict[str, str]:
    """The stored values of `keys` (keys never saved are absent). One query."""
    rows = db.session.execute(
        sa.select(AppSetting.key, AppSetting.value).where(AppSetting.key.in_(keys))
    )
    return dict(rows.all())


def map_tiles(config: Mapping[str, Any]) -> MapTiles:
    """The tile server in force: the Settings page's when a URL is saved there, else the
    configuration's. One query."""
    saved = stored_settings(MAP_KEYS)
    if saved.get(TILE_URL):
        return MapTiles(
            url=saved[TILE_URL],
            attribution=saved.get(TILE_ATTRIBUTION, ""),
            attribution_url=saved.get(TILE_ATTRIBUTION_URL, ""),
            from_settings=True,
        )
    return MapTiles(
        url=config.get("MAP_TILE_URL") or "",
        attribution=config.get("MAP_TILE_ATTRIBUTION") or "",
        attribution_url=config.get("MAP_TILE_ATTRIBUTION_URL") or "",
    )


def save_map_tiles(actor: User, data: MapTilesInput) -> None:
    """Save (or, with a blank URL, clear) the tile server. Admins only.

    Raises PermissionDenied for anyone else and ValidationFailed (field-tagged) for an
    unusable URL, a URL without attribution, or an attribution link that is not http(s).
    Flushes and writes a `settings.map_tiles` audit row.
    """
    if actor is None or not actor.active or actor.role != Role.ADMIN:
        raise PermissionDenied("settings")
    url = (data.url or "").strip()
    attribution = " ".join((data.attribution or "").split())
    link = (data.attribution_url or "").strip()
    errors: list[tuple[str | None, Any]] = []
    if url:
        problem = check_tile_url(url)
        if problem:
            errors.append(("url", problem))
        if not attribution:
            errors.append(
                (
                    "attribution",
                    _("Providers require credit on the map, e.g. © OpenStreetMap contributors."),
                )
            )
    if link and (tile_origin(link + "/{z}/{x}/{y}") is None or any(c.isspace() for c in link)):
        errors.append(("attribution_url", _("Give a full http:// or https:// address.")))
    if errors:
        raise ValidationFailed(errors)
    values = {
        TILE_URL: url,
        TILE_ATTRIBUTION: attribution if url else "",
        TILE_ATTRIBUTION_URL: link if url else "",
    }
    existing = {
        s.key: s
        for s in db.session.scalars(sa.select(AppSetting).where(AppSetting.key.in_(MAP_KEYS)))
    }
    for key, value in values.items():
        row = existing.get(key)
        if not value:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(AppSetting(key=key, value=value, updated_by_id=actor.id))
        elif row.value != value:
            row.value, row.updated_by_id = value, actor.id
    db.session.flush()
    audit.record(
        "settings.map_tiles",
        actor=actor,
        entity_type="app_settings",
        url=url or "(server configuration)",
    )

"""The Settings page: the admin sets the map tile server; every map page then uses it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm import create_app
from fieldcrm.audit import AuditEvent
from fieldcrm.extensions import db
from fieldcrm.settings import services
from fieldcrm.settings.models import AppSetting

OSM = {
    "url": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
    "attribution": "© OpenStreetMap contributors",
    "attribution_url": "https://www.openstreetmap.org/copyright",
}


def test_settings__admin_only(login_as, world):
    assert login_as(world.admin_dev).get("/settings/").status_code == 200
    for persona in ("director_dana", "organizer_ana", "leader_lena"):
        client = login_as(getattr(world, persona))
        assert client.get("/settings/").status_code == 403
        assert client.post("/settings/map", data=OSM).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AppSetting)) == 0


def test_settings__admin_sees_it_in_the_menu(login_as, world):
    assert 'href="/settings/"' in login_as(world.admin_dev).get("/home").get_data(True)
    assert 'href="/settings/"' not in login_as(world.director_dana).get("/home").get_data(True)


def test_settings__saved_tile_server_is_used_by_map_pages(login_as, world):
    client = login_as(world.admin_dev)
    response = client.post("/settings/map", data=OSM)
    assert response.status_code == 302
    assert services.stored_settings(services.MAP_KEYS) == {
        "map_tile_url": OSM["url"],
        "map_tile_attribution": OSM["attribution"],
        "map_tile_attribution_url": OSM["attribution_url"],
    }
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "settings.map_tiles")
    )
    assert event.actor_id == world.admin_dev.id
    coverage = client.get("/coverage")
    body = coverage.get_data(as_text=True)
    assert 'data-tiles="https://{s}.tile.example.org/{z}/{x}/{y}.png"' in body
    assert 'data-attribution="© OpenStreetMap contributors"' in body
    assert (
        "img-src 'self' data: https://*.tile.example.org;"
        in coverage.headers["Content-Security-Policy"]
    )
    # pages without a map do not open the policy to the tile host
    assert "tile.example.org" not in client.get("/home").headers["Content-Security-Policy"]
    for path in (f"/turf/{world.east.id}", "/turf/new", "/settings/"):
        page = client.get(path)
        assert 'data-tiles="https://{s}.tile.example.org' in page.get_data(as_text=True), path
        assert "https://*.tile.example.org" in page.headers["Content-Security-Policy"], path


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"url": "tile.example.org/{z}/{x}/{y}.png", "attribution": "x"}, "url", "full http"),
        ({"url": "https://t.example.org/{z}/{x}.png", "attribution": "x"}, "url", "{y}"),
        (
            {"url": "https://t.example.org/{z}/{x}/{y}.png?k={key}", "attribution": "x"},
            "url",
            "{key}",
        ),
        (
            {"url": 'https://t.example.org/{z}/{x}/{y}.png"onerror', "attribution": "x"},
            "url",
            "quotes",
        ),
        ({"url": "https://t.example.org/{z}/{x}/{y}.png"}, "attribution", "credit"),
        ({**OSM, "attribution_url": "javascript:alert(1)"}, "attribution_url", "full http"),
    ],
)
def test_settings__unusable_values_are_explained(login_as, world, form, field, message):
    response = login_as(world.admin_dev).post("/settings/map", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert services.stored_settings(services.MAP_KEYS) == {}


def test_settings__blank_url_goes_back_to_the_configuration(app, login_as, world):
    client = login_as(world.admin_dev)
    client.post("/settings/map", data=OSM)
    app.config["MAP_TILE_URL"] = "https://tiles.internal.example/{z}/{x}/{y}.png"
    try:
        assert (
            client.post("/settings/map", data={"url": "", "attribution": "kept?"}).status_code
            == 302
        )
        assert services.stored_settings(services.MAP_KEYS) == {}
        body = client.get("/coverage").get_data(as_text=True)
        assert 'data-tiles="https://tiles.internal.example/{z}/{x}/{y}.png"' in body
        assert "The server's configuration sets" in client.get("/settings/").get_data(True)
    finally:
        app.config["MAP_TILE_URL"] = ""


def test_settings__attribution_is_stored_as_text(login_as, world):
    client = login_as(world.admin_dev)
    client.post("/settings/map", data={**OSM, "attribution": '<img src=x onerror="alert(1)">'})
    body = client.get("/coverage").get_data(as_text=True)
    assert "<img src=x" not in body
    assert 'data-attribution="&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"' in body


def test_csp__configured_tile_host_everywhere_page_host_only_on_map_pages():
    app = create_app(
        "config.TestConfig", overrides={"MAP_TILE_URL": "https://tiles.example.net/{z}/{x}/{y}.png"}
    )
    from fieldcrm.security import content_security_policy

    assert "img-src 'self' data: https://tiles.example.net;" in content_security_policy(app)
    both = content_security_policy(app, "https://*.tile.example.org")
    assert "img-src 'self' data: https://tiles.example.net https://*.tile.example.org;" in both
    assert content_security_policy(app, "https://tiles.example.net").count("tiles.example.net") == 1

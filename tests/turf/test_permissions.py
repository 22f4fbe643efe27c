"""Permission matrix for turf and dashboard endpoints: persona × endpoint × status."""

from __future__ import annotations

import pytest

ANON = None
ALL = ("admin_dev", "director_dana", "organizer_ana", "leader_lena")

# path: statuses for (admin_dev, director_dana, organizer_ana, leader_lena)
MATRIX = {
    "/turf/": (200, 200, 200, 403),
    "/turf/new": (200, 200, 403, 403),
    "/turf/{east}": (200, 200, 200, 403),
    "/turf/{durham}": (200, 404, 404, 403),
    "/turf/{east}/edit": (200, 200, 403, 403),
    "/turf/packets": (200, 200, 200, 200),
    "/turf/radius": (200, 200, 200, 403),
    "/coverage": (200, 200, 403, 403),
    "/coverage.csv": (200, 200, 403, 403),
    "/coverage/map.json": (200, 200, 403, 403),
    "/team": (200, 200, 200, 403),
    "/home": (200, 200, 200, 200),
}


@pytest.mark.parametrize(
    ("path", "persona", "status"),
    [(p, who, s) for p, statuses in MATRIX.items() for who, s in zip(ALL, statuses, strict=True)]
    + [(p, ANON, 302) for p in MATRIX],
)
def test_turf_endpoints__matrix(client, login_as, world, path, persona, status):
    url = path.format(east=world.east.id, durham=world.durham.id)
    if persona is not None:
        login_as(getattr(world, persona))
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    ("path", "persona", "status"),
    [
        ("/turf/{east}/cut", "leader_lena", 403),
        ("/turf/{east}/cut", "organizer_omar", 404),
        ("/turf/geocode", "director_dana", 403),
        ("/team/goal", "organizer_ana", 403),
        ("/turf/{east}/people", "organizer_ana", 403),
    ],
)
def test_turf_posts__matrix(client, login_as, world, path, persona, status):
    login_as(getattr(world, persona))
    assert client.post(path.format(east=world.east.id)).status_code == status

"""The permission matrix: persona × endpoint × expected status."""

from __future__ import annotations

import pytest

ANON = None

# (path template, {persona: status}); anonymous users are redirected to sign in (302).
MATRIX = [
    (
        "/home",
        {
            "admin_dev": 200,
            "director_dana": 200,
            "organizer_ana": 200,
            "leader_lena": 200,
            ANON: 302,
        },
    ),
    (
        "/contacts/",
        {
            "admin_dev": 200,
            "director_dana": 200,
            "organizer_ana": 200,
            "leader_lena": 200,
            ANON: 302,
        },
    ),
    (
        "/contacts/{east_1}",
        {
            "admin_dev": 200,
            "director_dana": 200,
            "organizer_ana": 200,
            "organizer_omar": 404,
            "organizer_tri": 404,
            "leader_lena": 404,
            ANON: 302,
        },
    ),
    ("/contacts/{east_assigned}", {"leader_lena": 200, "organizer_omar": 404}),
    ("/contacts/{durham_1}", {"admin_dev": 200, "director_dana": 404, "organizer_tri": 200}),
    ("/contacts/{east_1}/edit", {"organizer_ana": 200, "organizer_omar": 404, "leader_lena": 404}),
    (
        "/admin/users",
        {
            "admin_dev": 200,
            "director_dana": 403,
            "organizer_ana": 403,
            "leader_lena": 403,
            ANON: 302,
        },
    ),
    ("/admin/users/new", {"admin_dev": 200, "director_dana": 403, "leader_lena": 403}),
    (
        "/admin/users/{organizer_ana_user}/edit",
        {"admin_dev": 200, "organizer_ana": 403, "leader_lena": 403},
    ),
    ("/admin/audit", {"admin_dev": 200, "director_dana": 403, "leader_lena": 403}),
    ("/auth/account", {"leader_lena": 200, ANON: 302}),
]

CASES = [
    (path, persona, status) for path, expected in MATRIX for persona, status in expected.items()
]


@pytest.mark.parametrize(("path", "persona", "status"), CASES)
def test_permission_matrix(client, login_as, world, path, persona, status):
    ids = {
        "east_1": world.east_1.id,
        "east_assigned": world.east_assigned.id,
        "durham_1": world.durham_1.id,
        "organizer_ana_user": world.organizer_ana.id,
    }
    if persona is not None:
        login_as(getattr(world, persona))
    assert client.get(path.format(**ids)).status_code == status


@pytest.mark.parametrize("path", ["/auth/logout", "/admin/users/1/active", "/contacts/1/phones"])
def test_state_changing_routes_refuse_get(client, login_as, world, path):
    login_as(world.admin_dev)
    assert client.get(path).status_code == 405

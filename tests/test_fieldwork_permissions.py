"""Field-work permission matrix: persona × endpoint × expected status."""

from __future__ import annotations

import pytest

ANON = None
STAFF_ONLY = {
    "admin_dev": 200,
    "director_dana": 200,
    "organizer_ana": 200,
    "leader_lena": 403,
    ANON: 302,
}
ADMIN_ONLY = {
    "admin_dev": 200,
    "director_dana": 403,
    "organizer_ana": 403,
    "leader_lena": 403,
    ANON: 302,
}
MATRIX = [
    (
        "/commitments/",
        {
            "admin_dev": 200,
            "director_dana": 200,
            "organizer_ana": 200,
            "leader_lena": 200,
            ANON: 302,
        },
    ),
    ("/commitments/team", STAFF_ONLY),
    ("/commitments/export.csv", STAFF_ONLY),
    ("/conversations/export.csv", STAFF_ONLY),
    ("/ladder/", STAFF_ONLY),
    ("/ladder/stages", ADMIN_ONLY),
    ("/ladder/stages/{stage}", ADMIN_ONLY),
    ("/conversations/choices", ADMIN_ONLY),
    ("/organizations/", STAFF_ONLY),
    ("/organizations/new", STAFF_ONLY),
    ("/organizations/{org}", STAFF_ONLY),
    ("/organizations/{org}/edit", STAFF_ONLY),
    (
        "/contacts/{east_1}/log",
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
    ("/contacts/{east_assigned}/log", {"leader_lena": 200, "organizer_omar": 404}),
    ("/contacts/{durham_1}/log", {"director_dana": 404, "organizer_tri": 200}),
]

CASES = [(path, who, status) for path, expected in MATRIX for who, status in expected.items()]


@pytest.mark.parametrize(("path", "persona", "status"), CASES)
def test_fieldwork_permission_matrix(
    client, login_as, world, fieldwork, make_org, path, persona, status
):
    ids = {
        "east_1": world.east_1.id,
        "east_assigned": world.east_assigned.id,
        "durham_1": world.durham_1.id,
        "stage": fieldwork[0].id,
        "org": make_org("Matrix Org").id,
    }
    if persona is not None:
        login_as(getattr(world, persona))
    assert client.get(path.format(**ids)).status_code == status


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/1/conversations",
        "/commitments/1/status",
        "/commitments/1/owner",
        "/commitments/sms-template",
        "/ladder/move/1",
        "/organizations/link/1",
        "/organizations/1/unlink/1",
        "/conversations/choices/issue",
        "/conversations/choices/option/1",
    ],
)
def test_fieldwork_state_changes_refuse_get(client, login_as, world, path):
    login_as(world.admin_dev)
    assert client.get(path).status_code == 405

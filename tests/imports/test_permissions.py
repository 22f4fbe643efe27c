"""Import endpoints × personas: admins and directors import; organizers and leaders get 403."""

from __future__ import annotations

import pytest

from fieldcrm.imports import services

ANON = None
PERSONAS = {
    "admin_dev": 200,
    "director_dana": 200,
    "organizer_ana": 403,
    "leader_lena": 403,
    ANON: 302,
}
PAGES = ["/imports/", "/imports/new", "/imports/{b}", "/imports/{b}/check",
         "/imports/{b}/progress.json", "/imports/{b}/errors.csv"]  # fmt: skip
POSTS = ["/imports/{b}/start", "/imports/{b}/resume", "/imports/{b}/recheck", "/imports/{b}/source"]


@pytest.fixture
def batch(world, write_file):
    path = write_file("v.csv", "Voter File VANID,FirstName,LastName\n1,Ann,Lee\n")
    made = services.create_batch(world.director_dana, path, "v.csv", "VAN")
    from fieldcrm.extensions import db

    db.session.commit()
    return made


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("persona", "status"), list(PERSONAS.items()))
def test_import_permissions__pages(client, login_as, world, batch, path, persona, status):
    if persona is not None:
        login_as(getattr(world, persona))
    assert client.get(path.format(b=batch.id)).status_code == status


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("persona", ["organizer_ana", "leader_lena"])
def test_import_permissions__posts_refused(client, login_as, world, batch, path, persona):
    login_as(getattr(world, persona))
    assert client.post(path.format(b=batch.id)).status_code == 403


@pytest.mark.parametrize("path", POSTS)
def test_import_permissions__state_changes_refuse_get(client, login_as, world, batch, path):
    login_as(world.admin_dev)
    assert client.get(path.format(b=batch.id)).status_code == 405

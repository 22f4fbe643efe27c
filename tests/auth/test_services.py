"""Account services: creation rules, authentication, password changes, session tokens."""

from __future__ import annotations

import pytest

from fieldcrm.audit import AuditEvent
from fieldcrm.auth import services
from fieldcrm.auth.models import User
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from tests.fixtures.factories import PASSWORD


def test_create_user__hashes_password_with_argon2(make_user):
    user = make_user("organizer")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_create_user__duplicate_email_is_refused(make_user):
    make_user(email="same@example.test")
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(
            None,
            services.UserInput(
                email="SAME@example.test ", name="X", role="leader", password="long-enough-pw"
            ),
        )
    assert exc.value.errors[0][0] == "email"


def test_create_user__short_password_is_refused(db):
    with pytest.raises(ValidationFailed):
        services.create_user(
            None,
            services.UserInput(email="a@example.test", name="A", role="leader", password="short"),
        )


def test_create_user__only_admins(make_user):
    organizer = make_user("organizer")
    with pytest.raises(PermissionDenied):
        services.create_user(
            organizer,
            services.UserInput(
                email="b@example.test", name="B", role="admin", password="long-enough-pw"
            ),
        )


def test_authenticate__right_wrong_unknown_inactive(make_user):
    user = make_user(email="who@example.test")
    assert services.authenticate("WHO@example.test", PASSWORD) == user
    assert services.authenticate("who@example.test", "wrong password") is None
    assert services.authenticate("nobody@example.test", PASSWORD) is None
    user.active = False
    assert services.authenticate("who@example.test", PASSWORD) is None
    assert db.session.query(AuditEvent).filter_by(action="auth.login_failed").count() == 3


def test_change_password__rotates_session_token(make_user):
    user = make_user()
    token = user.session_token
    services.change_password(user, PASSWORD, "a brand new password")
    assert user.session_token != token
    assert services.authenticate(user.email, "a brand new password") == user


def test_change_password__wrong_current_is_refused(make_user):
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(user, "not it", "a brand new password")
    assert exc.value.errors[0][0] == "current_password"


def test_update_user__scope_change_rotates_token(world):
    ana = world.organizer_ana
    token = ana.session_token
    services.update_user(
        world.admin_dev,
        ana,
        services.UserInput(
            email=ana.email, name=ana.name, role="organizer", turf_ids=(world.west.id,)
        ),
    )
    assert ana.session_token != token
    assert [t.name for t in ana.turfs] == ["West"]


def test_update_user__admin_cannot_demote_self(world):
    admin = world.admin_dev
    with pytest.raises(ValidationFailed):
        services.update_user(
            admin, admin, services.UserInput(email=admin.email, name=admin.name, role="organizer")
        )


def test_load_user__needs_matching_token_and_active(make_user):
    user = make_user()
    assert services.load_user(user.get_id()) == user
    assert services.load_user(f"{user.id}:stale") is None
    assert services.load_user("garbage") is None
    user.active = False
    assert services.load_user(user.get_id()) is None


def test_set_user_active__deactivation_rotates_token(world):
    token = world.organizer_ana.session_token
    services.set_user_active(world.admin_dev, world.organizer_ana, False)
    assert not world.organizer_ana.active
    assert world.organizer_ana.session_token != token
    assert db.session.get(User, world.organizer_ana.id).active is False


def test_load_user__one_query_turfs_and_regions_when_used(world, count_queries):
    """Every request loads its user: their turfs and regions only where a page uses them."""
    from fieldcrm.auth.services import load_user
    from fieldcrm.extensions import db

    ident, turf_ids = world.organizer_ana.get_id(), {t.id for t in world.organizer_ana.turfs}
    db.session.expunge_all()  # as at the start of a request
    with count_queries() as n:
        user = load_user(ident)
    assert user is not None
    assert n() == 1
    assert {t.id for t in user.turfs} == turf_ids  # still there when asked for

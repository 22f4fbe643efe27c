"""`fieldcrm rollups check | rebuild | compact`."""

from __future__ import annotations

from fieldcrm.extensions import db


def test_rollups_check__agrees_then_reports_a_difference(runner, world):
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 0, result.output
    assert "agree" in result.output
    db.session.connection().exec_driver_sql("DELETE FROM turf_people")
    db.session.commit()
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 1
    assert "turf_people" in result.output


def test_rollups_rebuild__recounts(runner, world):
    db.session.connection().exec_driver_sql("DELETE FROM turf_days")
    db.session.connection().exec_driver_sql("DELETE FROM turf_people")
    db.session.commit()
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0


def test_rollups_compact__folds(runner, world, make_contact):
    make_contact(world.east)
    result = runner.invoke(args=["rollups", "compact"])
    assert result.exit_code == 0, result.output
    assert "turf_people" in result.output
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0

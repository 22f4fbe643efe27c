"""The cached coverage report is recomputed for writes to what it shows, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldcrm import datacache
from fieldcrm.dashboards import metrics
from fieldcrm.database import utcnow
from fieldcrm.extensions import db


@pytest.fixture
def counted(monkeypatch):
    """Calls to the uncached report."""
    calls: list[str] = []
    real = metrics.coverage

    def counting(actor, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(actor.name)
        return real(actor, *args, **kwargs)

    monkeypatch.setattr(metrics, "coverage", counting)
    datacache.clear()
    return calls


def _flt(universe: str = "all") -> metrics.CoverageFilter:
    now = utcnow()
    weeks = tuple(now - timedelta(weeks=8 - i) for i in range(8))
    return metrics.CoverageFilter(
        now - timedelta(days=30), now + timedelta(hours=1), weeks, universe
    )


def test_cached_coverage__a_save_in_another_region_keeps_it(world, counted, make_conversation):
    flt = _flt()
    metrics.cached_coverage(world.director_dana, flt)
    make_conversation(world.durham_1, world.organizer_tri)  # Triangle: not Dana's
    world.durham_1.support_level = 2
    db.session.commit()
    metrics.cached_coverage(world.director_dana, flt)
    assert counted == ["Dana"]
    make_conversation(world.west_1, world.organizer_omar)  # Piedmont: hers
    metrics.cached_coverage(world.director_dana, flt)
    assert counted == ["Dana", "Dana"]


def test_cached_coverage__people_moving_into_the_region_recompute_it(world, counted):
    flt = _flt()
    metrics.cached_coverage(world.organizer_ana, flt)
    world.durham_1.turf = world.east
    db.session.commit()
    rows = metrics.cached_coverage(world.organizer_ana, flt)
    assert counted == ["Ana", "Ana"]
    assert rows[0].universe == 3


def test_cached_coverage__a_renamed_turf_or_a_new_organizer_recompute_it(world, counted):
    flt = _flt()
    metrics.cached_coverage(world.organizer_ana, flt)
    world.durham.name = "Durham North"  # structure: every report is recomputed
    db.session.commit()
    metrics.cached_coverage(world.organizer_ana, flt)
    assert counted == ["Ana", "Ana"]


def test_cached_coverage__other_universes_still_follow_every_write(world, counted):
    flt = _flt("persuadable")
    metrics.cached_coverage(world.director_dana, flt)
    world.durham_1.support_level = 2
    db.session.commit()
    metrics.cached_coverage(world.director_dana, flt)
    assert counted == ["Dana", "Dana"]


def test_cached_coverage__the_admin_sees_every_turf_change(world, counted):
    flt = _flt()
    metrics.cached_coverage(world.admin_dev, flt)
    world.durham_1.do_not_contact = True
    db.session.commit()
    rows = {r.turf_id: r for r in metrics.cached_coverage(world.admin_dev, flt)}
    assert counted == ["Dev Admin", "Dev Admin"]
    assert rows[world.durham.id].universe == 0

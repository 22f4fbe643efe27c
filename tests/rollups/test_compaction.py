"""Readers ask for a fold once the delta rows have grown; the fold changes no figure."""

from __future__ import annotations

from datetime import timedelta

from fieldcrm.dashboards import metrics
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.rollups import jobs as rollup_jobs
from fieldcrm.rollups import maintain


def _flt() -> metrics.CoverageFilter:
    now = utcnow()
    weeks = tuple(now - timedelta(weeks=8 - i) for i in range(8))
    return metrics.CoverageFilter(now - timedelta(days=30), now + timedelta(hours=1), weeks)


def test_note_extra_rows__queues_one_fold_past_the_threshold(monkeypatch):
    queued: list[object] = []
    monkeypatch.setattr(rollup_jobs.jobs, "enqueue", lambda func, *a: queued.append(func))
    monkeypatch.setattr(rollup_jobs, "_last_request", 0.0)
    assert not rollup_jobs.note_extra_rows(rollup_jobs.COMPACT_AFTER - 1)
    assert rollup_jobs.note_extra_rows(rollup_jobs.COMPACT_AFTER)
    assert not rollup_jobs.note_extra_rows(rollup_jobs.COMPACT_AFTER)  # once a minute
    assert queued == [rollup_jobs.compact_rollups]


def test_coverage__asks_for_a_fold_and_the_fold_keeps_the_figures(world, monkeypatch, make_contact):
    for _ in range(4):
        make_contact(world.east).support_level = 2
    db.session.commit()
    asked: list[int] = []
    monkeypatch.setattr(rollup_jobs, "note_extra_rows", asked.append)
    before = metrics.coverage(world.admin_dev, _flt())
    assert asked[-1] > 0  # each contact added and re-identified left rows to fold
    rollup_jobs.compact_rollups()
    db.session.commit()
    assert metrics.coverage(world.admin_dev, _flt()) == before
    metrics.coverage(world.admin_dev, _flt())
    assert asked[-1] == 0
    assert maintain.differences(db.session.connection()) == []

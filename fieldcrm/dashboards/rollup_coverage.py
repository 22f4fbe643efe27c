"""The coverage report's turf rows read from the rollups (fieldcrm.rollups), not recounted.

The live queries in `metrics.coverage` read every person and every conversation of the
actor's turfs on each cold request (2 s for 200 turfs of a million people); these read
the per-turf rollups that triggers keep in the writing transaction, plus a few index
ranges, whatever the program's size. Same definitions, same numbers
(tests/dashboards/test_rollup_coverage.py compares both ways on random data):

* universe, IDs by level, stages, local leaders, centroid: `turf_people` sums, plus the
  few people linked to a leader's or organizer's account below the leader stage;
* attempts, conversations, commitments made and kept, the weekly trend: `turf_days` sums
  over whole UTC days, corrected by the rows between each bound of the period (or of a
  trend week, a program-local midnight) and the UTC midnight nearest to it (< 12 hours of
  conversations and commitments each, read through their time indexes);
* people attempted and reached, last activity: a range of the partial index
  `ix_contacts_turf_attempts` on each person's last attempt and last conversation (kept
  equal to their conversations' by the triggers). A person attempted in [since, until) is
  one whose last attempt is in it only when nobody has an attempt at or after `until`, so
  these rows apply when the period runs to the present (`applies_to`): the default report
  and the organizer's home page. A period ending in the past, another universe, a
  vote-history filter or the precinct drill-down are recounted live.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from fieldcrm import datacache
from fieldcrm.auth.models import Role, User
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.rollups import jobs as rollup_jobs
from fieldcrm.rollups.models import TurfDay, TurfPeople
from fieldcrm.scoping import turf_ids_subquery

HALF_DAY = timedelta(hours=12)


def applies_to(flt: Any, group: str) -> bool:
    """Whether the rollups can answer this filter (the caller also checks
    `runs_to_present`)."""
    return group == "turf" and flt.universe == "all" and not (flt.votes and flt.votes.kind)


def runs_to_present(until: datetime) -> bool:
    """No attempt at or after `until` (one index lookup)."""
    latest = db.session.scalar(sa.select(sa.func.max(Conversation.occurred_at)))
    return latest is None or latest < until


def nearest_midnight(instant: datetime) -> datetime:
    """The UTC midnight nearest to `instant` (a turf_days bound)."""
    utc = instant.astimezone(UTC)
    floor = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return floor if utc - floor <= HALF_DAY else floor + timedelta(days=1)


def _windows(flt: Any) -> list[tuple[datetime, datetime]]:
    """The period, then each trend week, as [start, end) instants."""
    weeks = [*flt.week_starts, flt.week_starts[-1] + timedelta(days=7)] if flt.week_starts else []
    return [(flt.since, flt.until), *zip(weeks, weeks[1:], strict=False)]


def _days(col: Any, window: tuple[datetime, datetime]) -> sa.ColumnElement[bool]:
    start, end = window
    return sa.and_(col >= nearest_midnight(start).date(), col < nearest_midnight(end).date())


def statements(
    flt: Any, turf_ids: list[int], leading: list[int]
) -> tuple[list[sa.Select], Callable[[list[list[sa.Row]]], dict[int, dict[str, Any]]]]:
    """The independent reads and a function folding their rows into figures per turf."""
    ids = turf_ids or [-1]
    windows = _windows(flt)
    period, weeks = windows[0], windows[1:]
    people = (
        sa.select(
            TurfPeople.turf_id,
            TurfPeople.support,
            TurfPeople.stage_id,
            TurfPeople.dnc,
            sa.func.sum(TurfPeople.people),
            sa.func.sum(TurfPeople.lat_n),
            sa.func.sum(TurfPeople.lat_e6),
            sa.func.sum(TurfPeople.lon_n),
            sa.func.sum(TurfPeople.lon_e6),
            sa.func.count(),
        )
        .where(TurfPeople.turf_id.in_(ids))
        .group_by(TurfPeople.turf_id, TurfPeople.support, TurfPeople.stage_id, TurfPeople.dnc)
    )
    # people linked to a leader's or organizer's account lead wherever their stage is
    linked = (
        sa.select(Contact.turf_id, sa.func.count())
        .where(
            Contact.id.in_(
                sa.select(User.contact_id).where(
                    User.contact_id.is_not(None),
                    User.role.in_((Role.LEADER, Role.ORGANIZER)),
                    User.active.is_(True),
                )
            ),
            Contact.turf_id.in_(ids),
            sa.or_(
                Contact.ladder_stage_id.is_(None), Contact.ladder_stage_id.not_in(leading or [-1])
            ),
        )
        .group_by(Contact.turf_id)
    )
    in_p = _days(TurfDay.day, period)
    lows = [nearest_midnight(a).date() for a, _ in windows]
    highs = [nearest_midnight(b).date() for _, b in windows]
    days = (
        sa.select(
            TurfDay.turf_id,
            sa.func.sum(TurfDay.attempts).filter(in_p),
            sa.func.sum(TurfDay.talks).filter(in_p),
            sa.func.sum(TurfDay.made).filter(in_p),
            sa.func.sum(TurfDay.kept).filter(in_p),
            *[sa.func.sum(TurfDay.talks).filter(_days(TurfDay.day, w)) for w in weeks],
            sa.func.count(),
            sa.func.count(sa.distinct(TurfDay.day)),
        )
        .where(
            TurfDay.turf_id.in_(ids),
            TurfDay.dnc.is_(False),
            TurfDay.day >= min(lows),
            TurfDay.day < max(highs),
        )
        .group_by(TurfDay.turf_id)
    )
    bounds = {b for w in windows for b in w}
    ranges = [
        (min(b, nearest_midnight(b)), max(b, nearest_midnight(b)))
        for b in sorted(bounds)
        if b != nearest_midnight(b)
    ]

    def near(col: Any) -> sa.ColumnElement[bool]:
        return sa.or_(sa.false(), *[sa.and_(col >= lo, col < hi) for lo, hi in ranges])

    placed = [Contact.turf_id.in_(ids), Contact.do_not_contact.is_(False)]
    edges = sa.union_all(
        sa.select(
            Contact.turf_id,
            Conversation.occurred_at.label("at"),
            sa.literal(0).label("kind"),
            Conversation.is_conversation.label("flag"),
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(*placed, near(Conversation.occurred_at)),
        sa.select(
            Contact.turf_id,
            Commitment.created_at,
            sa.literal(1),
            Commitment.status == "kept",
        )
        .join(Contact, Contact.id == Commitment.contact_id)
        .where(*placed, near(Commitment.created_at)),
    )
    reach = (
        sa.select(
            Contact.turf_id,
            sa.func.count(),
            sa.func.count().filter(Contact.last_contacted_at >= flt.since),
            sa.func.max(Contact.last_attempt_at),
        )
        .where(*placed, Contact.last_attempt_at >= flt.since)
        .group_by(Contact.turf_id)
    )

    def fold(results: list[list[sa.Row]]) -> dict[int, dict[str, Any]]:
        people_rows, linked_rows, day_rows, edge_rows, reach_rows = results
        return _fold(people_rows, linked_rows, day_rows, edge_rows, reach_rows, windows, leading)

    return [people, linked, days, sa.select(edges.subquery()), reach], fold


def fill(  # noqa: PLR0913
    rows: dict[Any, Any],
    flt: Any,
    turf_ids: list[int],
    leading: list[int],
    stage_ids: list[int],
    run: Callable[[list[sa.Select]], list[list[sa.Row]]],
) -> None:
    """Fill the coverage rows (metrics.CoverageRow by turf id) from the rollups; `run`
    executes the independent reads (in parallel for a region or the whole program)."""
    reads, fold = statements(flt, turf_ids, leading)
    figures = fold(run(reads))
    older = last_activity([t for t in turf_ids if figures.get(t, {}).get("last") is None])
    known = set(stage_ids)
    for tid, item in rows.items():
        f = figures.get(tid)
        last = (f or {}).get("last") or older.get(tid)
        item.last_activity = last if last is None or last.tzinfo else last.replace(tzinfo=UTC)
        if f is None:
            continue
        item.universe, item.local_leaders = f["universe"], f["leaders"]
        item.lat = f["lat"][1] / f["lat"][0] / 1e6 if f["lat"][0] else None
        item.lon = f["lon"][1] / f["lon"][0] / 1e6 if f["lon"][0] else None
        item.support = {lvl: n for lvl, n in sorted(f["support"].items()) if n}
        item.stages = {sid: n for sid, n in f["stages"].items() if n and sid in known}
        item.attempts, item.conversations = f["attempts"], f["conversations"]
        item.commitments_made, item.commitments_kept = f["made"], f["kept"]
        item.attempted, item.reached = f["attempted"], f["reached"]
        if f["trend"] is not None and flt.week_starts:
            item.trend = f["trend"]


def _blank() -> dict[str, Any]:
    return {
        "universe": 0, "support": {}, "stages": {}, "leaders": 0, "lat": [0, 0],
        "lon": [0, 0], "attempts": 0, "conversations": 0, "made": 0, "kept": 0,
        "trend": None, "attempted": 0, "reached": 0, "last": None, "extra": 0,
    }  # fmt: skip


def _fold(  # noqa: PLR0913
    people_rows: Sequence[sa.Row],
    linked_rows: Sequence[sa.Row],
    day_rows: Sequence[sa.Row],
    edge_rows: Sequence[sa.Row],
    reach_rows: Sequence[sa.Row],
    windows: list[tuple[datetime, datetime]],
    leading: list[int],
) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    extra = 0

    def get(turf_id: int) -> dict[str, Any]:
        return out.setdefault(turf_id, _blank())

    lead = set(leading)
    for turf_id, support, stage, dnc, *sums, rows in people_rows:
        # PostgreSQL sums bigints as numeric
        n, lat_n, lat_e6, lon_n, lon_e6 = (int(v or 0) for v in sums)
        if not n and not lat_n and not lon_n:
            continue
        item = get(turf_id)
        extra += rows - 1
        item["lat"][0] += lat_n
        item["lat"][1] += lat_e6
        item["lon"][0] += lon_n
        item["lon"][1] += lon_e6
        if stage in lead:
            item["leaders"] += n
        if dnc:
            continue
        item["universe"] += n
        if support:
            item["support"][support] = item["support"].get(support, 0) + n
        if stage:
            item["stages"][stage] = item["stages"].get(stage, 0) + n
    for turf_id, n in linked_rows:
        get(turf_id)["leaders"] += int(n)
    weeks = len(windows) - 1
    for row in day_rows:
        item = get(row[0])
        item["attempts"], item["conversations"], item["made"], item["kept"] = (
            int(v or 0) for v in row[1:5]
        )
        item["trend"] = [int(v or 0) for v in row[5 : 5 + weeks]]
        extra += row[-2] - row[-1]
    rounded = [(nearest_midnight(a), nearest_midnight(b)) for a, b in windows]
    for turf_id, at, kind, flag in edge_rows:
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        item = get(turf_id)
        if item["trend"] is None:
            item["trend"] = [0] * weeks
        # in the true window, minus in the whole-day window the day sums covered
        delta = [
            (a <= at < b) - (ra <= at < rb)
            for (a, b), (ra, rb) in zip(windows, rounded, strict=True)
        ]
        if kind == 0:
            item["attempts"] += delta[0]
            if flag:
                item["conversations"] += delta[0]
                for i in range(weeks):
                    item["trend"][i] += delta[1 + i]
        else:
            item["made"] += delta[0]
            if flag:
                item["kept"] += delta[0]
    for turf_id, attempted, reached, last in reach_rows:
        item = get(turf_id)
        item["attempted"], item["reached"], item["last"] = attempted, reached, last
    rollup_jobs.note_extra_rows(extra)
    return out


def last_activity(turf_ids: list[int]) -> dict[int, datetime]:
    """The latest attempt on people (not do-not-contact) of turfs with none in the period."""
    rows = db.session.execute(
        sa.select(Contact.turf_id, sa.func.max(Contact.last_attempt_at))
        .where(
            Contact.turf_id.in_(turf_ids or [-1]),
            Contact.last_attempt_at.is_not(None),
            Contact.do_not_contact.is_(False),
        )
        .group_by(Contact.turf_id)
    )
    return {turf_id: last for turf_id, last in rows if last is not None}


def version(actor: User) -> tuple[int, ...]:
    """What the actor's report over the "everyone" universe depends on, in one query: the
    main data-version counters (turfs, users, the ladder…: fieldcrm.datacache) and, for
    each rollup table, the number and the sum of the ids of the rows of the actor's turfs.

    Every change to those turfs' people, conversations or commitments appends rows (the
    triggers; a fold or a recount deletes some and adds others), so the pair changes; ids
    are never reused and a fold's new ids exceed the ones it removes, so equal pairs mean
    the same rows. A save in a turf the actor does not see changes neither.
    """
    scoped = actor.role != Role.ADMIN or not actor.active
    turfs = turf_ids_subquery(actor) if scoped else None
    parts: list[sa.ScalarSelect[Any]] = [datacache.structure_version()]
    for table in (TurfPeople, TurfDay):
        where = [table.turf_id.in_(turfs)] if turfs is not None else []
        parts.append(sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery())
        parts.append(
            sa.select(sa.func.coalesce(sa.func.sum(table.id), 0)).where(*where).scalar_subquery()
        )
    return tuple(int(v) for v in db.session.execute(sa.select(*parts)).one())

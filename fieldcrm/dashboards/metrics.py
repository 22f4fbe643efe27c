"""Coverage metrics: every number directors review, defined once, with its formula.

For a group of contacts G (a turf, a precinct inside a turf, or a region), the actor's scope
and a universe filter U (fieldcrm.turf.services.UNIVERSES, e.g. "everyone", "support 2-3"),
over a period [since, until):

* **universe**: contacts in G that match U (always leaving out do-not-contact people);
* **attempts**: logged tries (Conversation rows: door, phone, text…, failed or not) on those
  contacts in the period;
* **attempted**: distinct contacts with at least one attempt in the period;
* **coverage %** = attempted / universe;
* **conversations**: attempts where we actually talked (no result code);
* **reached**: distinct contacts with at least one conversation in the period;
* **reach %** = reached / universe;
* **contact rate** = conversations / attempts;
* **IDs by level**: universe contacts by their current support level (1 strong support …
  5 strong opposition);
* **commitments made**: commitments on universe contacts created in the period;
  **kept**: of those, the ones whose status is "kept";
* **leaders by stage**: universe contacts by their current ladder stage;
* **local leaders**: people who *live* in G (every contact of G, whatever the universe) and
  lead: their ladder stage is at or above the team-leader stage
  (config LOCAL_LEADER_STAGE, default "Team leader / captain"; with no such stage, the
  second-highest stage), or they are linked to a volunteer leader's or organizer's account;
* **last activity**: the latest attempt on G's universe, any time up to `until`;
* **trend**: conversations per program week for the 8 weeks ending with `until`'s week;
* **gap** = universe × (1 − reach %) / (1 + local leaders): large where many people are
  left to reach and few local leaders live there; turfs are ranked by it, highest first.

All counts come from a handful of grouped queries (no per-turf queries), so the report's
query count is fixed whatever the number of turfs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from fieldcrm import datacache
from fieldcrm.auth.models import Role, User, user_turfs
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.dashboards import rollup_coverage
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderStage
from fieldcrm.scoping import contact_scope, turf_ids_subquery, visible_turfs
from fieldcrm.turf.models import Region, Turf
from fieldcrm.turf.services import universe_clause
from fieldcrm.votes.queries import VoteFilter

TREND_WEEKS = 8
SUPPORT_LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class CoverageFilter:
    """The report's filter: a period (UTC bounds), a universe, and "this week" for trends.

    `week_starts` are the UTC instants at which each of the last TREND_WEEKS program weeks
    began, oldest first (computed by the caller from the program's time zone).
    """

    since: datetime
    until: datetime
    week_starts: tuple[datetime, ...]
    universe: str = "all"
    stale_days: int = 30
    #: narrows the universe by vote history (fieldcrm.votes.queries)
    votes: VoteFilter | None = None


@dataclass
class CoverageRow:
    """One line of the coverage table (a region, a turf or a precinct)."""

    key: Any
    label: str
    region: str = ""
    turf_id: int | None = None
    universe: int = 0
    attempts: int = 0
    attempted: int = 0
    conversations: int = 0
    reached: int = 0
    support: dict[int, int] = field(default_factory=dict)
    commitments_made: int = 0
    commitments_kept: int = 0
    stages: dict[int, int] = field(default_factory=dict)
    local_leaders: int = 0
    organizers: list[str] = field(default_factory=list)
    last_activity: datetime | None = None
    trend: list[int] = field(default_factory=lambda: [0] * TREND_WEEKS)
    lat: float | None = None
    lon: float | None = None

    @property
    def coverage_pct(self) -> float:
        return _pct(self.attempted, self.universe)

    @property
    def reach_pct(self) -> float:
        return _pct(self.reached, self.universe)

    @property
    def contact_rate(self) -> float:
        return _pct(self.conversations, self.attempts)

    @property
    def gap(self) -> float:
        return gap_score(self.universe, self.reached, self.local_leaders)

    def add(self, other: CoverageRow) -> None:
        """Fold another (disjoint) row into this one, e.g. turfs into their region."""
        for name in (
            "universe",
            "attempts",
            "attempted",
            "conversations",
            "reached",
            "commitments_made",
            "commitments_kept",
            "local_leaders",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for level, n in other.support.items():
            self.support[level] = self.support.get(level, 0) + n
        for stage, n in other.stages.items():
            self.stages[stage] = self.stages.get(stage, 0) + n
        self.trend = [a + b for a, b in zip(self.trend, other.trend, strict=True)]
        self.organizers = sorted(set(self.organizers) | set(other.organizers))
        if other.last_activity and (
            self.last_activity is None or other.last_activity > self.last_activity
        ):
            self.last_activity = other.last_activity


def _pct(part: int, whole: int) -> float:
    """part / whole as a percentage with one decimal (0 when whole is 0)."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def gap_score(universe: int, reached: int, local_leaders: int) -> float:
    """universe × (1 − reach) / (1 + local leaders), rounded to one decimal."""
    if universe <= 0:
        return 0.0
    reach = reached / universe
    return round(universe * (1 - reach) / (1 + local_leaders), 1)


def leader_stage_position(stages: list[tuple[str, int]] | None = None) -> int | None:
    """The ladder position from which a contact counts as a local leader (see module doc).

    `stages`: the active stages as (name, position) in position order, when the caller has
    them already (else they are read).
    """
    name = current_app.config.get("LOCAL_LEADER_STAGE", "Team leader / captain")
    if stages is None:
        stages = [
            (stage_name, position)
            for stage_name, position in db.session.execute(
                sa.select(LadderStage.name, LadderStage.position)
                .where(LadderStage.active.is_(True))
                .order_by(LadderStage.position)
            )
        ]
    for stage_name, position in stages:
        if stage_name == name:
            return position
    if len(stages) >= 2:
        return stages[-2].position
    return stages[0].position if stages else None


def _group_column(group: str) -> sa.ColumnElement[Any]:
    if group == "precinct":
        return sa.func.coalesce(Contact.precinct_code, "")
    return Contact.turf_id


def coverage(
    actor: User, flt: CoverageFilter, group: str = "turf", turf_id: int | None = None
) -> list[CoverageRow]:
    """Coverage rows per turf (or per precinct of `turf_id`) in the actor's scope.

    Turfs the actor can see appear even when empty. A fixed number of queries, whatever
    the row count: ten reading the rollups (`rollup_coverage.applies_to`), else six.
    """
    g = _group_column(group)
    rows: dict[Any, CoverageRow] = {}
    turf_names: dict[int, tuple[str, str]] = {}
    if group == "turf":
        turf_stmt = (
            visible_turfs(actor)
            .with_only_columns(Turf.id, Turf.name, Region.name)
            .join(Region, Region.id == Turf.region_id)
        )
        if turf_id is not None:
            turf_stmt = turf_stmt.where(Turf.id == turf_id)
        for tid, name, region_name in db.session.execute(turf_stmt):
            turf_names[tid] = (name, region_name)
            rows[tid] = CoverageRow(key=tid, label=name, region=region_name, turf_id=tid)
    scope = _contact_scope(actor, turf_names if group == "turf" and turf_id is None else None)
    in_universe = universe_clause(flt.universe, flt.until, flt.stale_days, flt.votes)
    where = [scope, in_universe]
    if turf_id is not None:
        where.append(Contact.turf_id == turf_id)
    else:
        where.append(Contact.turf_id.is_not(None))

    def row(key: Any) -> CoverageRow:
        if key not in rows:
            rows[key] = CoverageRow(key=key, label=key or "—", turf_id=turf_id)
        return rows[key]

    stages = db.session.execute(
        sa.select(
            LadderStage.id, LadderStage.position, LadderStage.name, LadderStage.active
        ).order_by(LadderStage.position)
    ).all()
    stage_ids = [sid for sid, _pos, _name, _active in stages]
    position = leader_stage_position([(name, pos) for _sid, pos, name, active in stages if active])
    leading_stages = [
        sid for sid, pos, _n, _a in stages if position is not None and pos >= position
    ]
    # Region- and program-wide reports are worth a connection per query; an organizer's
    # turf is small, and under load extra connections per page only queue on the pool.
    parallel = actor.role in (Role.ADMIN, Role.DIRECTOR)
    if rollup_coverage.applies_to(flt, group) and rollup_coverage.runs_to_present(flt.until):
        rollup_coverage.fill(
            rows,
            flt,
            list(turf_names),
            leading_stages,
            stage_ids,
            lambda reads: run_together(reads, parallel=parallel),
        )
    else:
        _live(flt, g, scope, where, in_universe, leading_stages, stage_ids, row, parallel)
    _organizers(rows, group, turf_id, list(turf_names))
    if group == "turf":
        # Rows for turfs outside the actor's visible turfs cannot appear (scope), but a
        # contact's turf may be one the actor sees only through contacts; keep named ones.
        return [r for r in rows.values() if r.key in turf_names]
    return sorted(rows.values(), key=lambda r: str(r.label))


def _live(  # noqa: PLR0913
    flt: CoverageFilter,
    g: sa.ColumnElement[Any],
    scope: sa.ColumnElement[bool],
    where: list[sa.ColumnElement[bool]],
    in_universe: sa.ColumnElement[bool],
    leading_stages: list[int],
    stage_ids: list[int],
    row: Any,
    parallel: bool,
) -> None:
    """Fill the rows by counting the people, conversations and commitments themselves."""
    # 1. one pass over the group's people: universe, IDs, stages, centroid, local leaders
    # (who count whatever the universe filter, hence FILTER clauses instead of WHERE).
    is_leader = sa.or_(
        Contact.ladder_stage_id.in_(leading_stages or [-1]),
        # people linked to a volunteer leader's or organizer's account (a subquery: one
        # round trip fewer per report, which counts when the database is busy)
        Contact.id.in_(
            sa.select(User.contact_id).where(
                User.contact_id.is_not(None),
                User.role.in_((Role.LEADER, Role.ORGANIZER)),
                User.active.is_(True),
            )
        ),
    )
    # Each person's universe membership is computed once in a subquery (OFFSET 0 keeps
    # both databases from inlining it into every FILTER below, which would evaluate a
    # vote-history rule a dozen times a row).
    people_where = [scope, where[-1]]
    people = (
        sa.select(
            g.label("g"),
            Contact.id.label("id"),
            Contact.latitude.label("lat"),
            Contact.longitude.label("lon"),
            Contact.support_level.label("support"),
            Contact.ladder_stage_id.label("stage"),
            sa.case((is_leader, 1), else_=0).label("leader"),
            sa.case((in_universe, 1), else_=0).label("u"),
        )
        .where(*people_where)
        .offset(0)
        .subquery("people")
    )
    in_u = people.c.u == 1
    contact_cols = [
        people.c.g,
        sa.func.count(people.c.id).filter(in_u),
        sa.func.avg(people.c.lat),
        sa.func.avg(people.c.lon),
        sa.func.count(people.c.id).filter(people.c.leader == 1),
        *[
            sa.func.count(people.c.id).filter(in_u, people.c.support == lvl)
            for lvl in SUPPORT_LEVELS
        ],
        *[sa.func.count(people.c.id).filter(in_u, people.c.stage == sid) for sid in stage_ids],
    ]
    people_stmt = sa.select(*contact_cols).group_by(people.c.g)
    # 2. attempts, conversations, reach, last activity, weekly trend.
    in_period = sa.and_(Conversation.occurred_at >= flt.since, Conversation.occurred_at < flt.until)
    talked = Conversation.is_conversation.is_(True)
    weeks = [*flt.week_starts, flt.week_starts[-1] + timedelta(days=7)] if flt.week_starts else []
    trend_cols = [
        sa.func.count(Conversation.id).filter(
            talked, Conversation.occurred_at >= weeks[i], Conversation.occurred_at < weeks[i + 1]
        )
        for i in range(len(weeks) - 1)
    ]
    conv_stmt = (
        sa.select(
            g,
            sa.func.count(Conversation.id).filter(in_period),
            sa.func.count(sa.distinct(Conversation.contact_id)).filter(in_period),
            sa.func.count(Conversation.id).filter(in_period, talked),
            sa.func.count(sa.distinct(Conversation.contact_id)).filter(in_period, talked),
            sa.func.max(Conversation.occurred_at).filter(Conversation.occurred_at < flt.until),
            *trend_cols,
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(*where)
        .group_by(g)
    )
    # 3. commitments made and kept in the period.
    made = sa.and_(Commitment.created_at >= flt.since, Commitment.created_at < flt.until)
    com_stmt = (
        sa.select(
            g,
            sa.func.count(Commitment.id),
            sa.func.count(Commitment.id).filter(Commitment.status == "kept"),
        )
        .join(Contact, Contact.id == Commitment.contact_id)
        .where(*where, made)
        .group_by(g)
    )
    people_rows, conv_rows, com_rows = run_together(
        [people_stmt, conv_stmt, com_stmt], parallel=parallel
    )
    for r in people_rows:
        item = row(r[0])
        item.universe, item.lat, item.lon, item.local_leaders = r[1], r[2], r[3], r[4]
        item.support = {lvl: r[5 + i] for i, lvl in enumerate(SUPPORT_LEVELS) if r[5 + i]}
        base = 5 + len(SUPPORT_LEVELS)
        item.stages = {sid: r[base + i] for i, sid in enumerate(stage_ids) if r[base + i]}
    for r in conv_rows:
        item = row(r[0])
        item.attempts, item.attempted, item.conversations, item.reached = r[1], r[2], r[3], r[4]
        item.last_activity = _aware(r[5])
        if trend_cols:
            item.trend = list(r[6:])
    for r in com_rows:
        item = row(r[0])
        item.commitments_made, item.commitments_kept = r[1], r[2]


def _organizers(
    rows: dict[Any, CoverageRow], group: str, turf_id: int | None, turf_ids: list[int]
) -> None:
    """The active organizers assigned to each turf (one query)."""
    organizers = db.session.execute(
        sa.select(user_turfs.c.turf_id, User.name)
        .join(User, User.id == user_turfs.c.user_id)
        .where(User.role == Role.ORGANIZER, User.active)
        .where(
            user_turfs.c.turf_id == turf_id
            if turf_id is not None
            else user_turfs.c.turf_id.in_(turf_ids or [0])
        )
        .order_by(User.name)
    ).all()
    by_turf: dict[int, list[str]] = {}
    for tid, name in organizers:
        by_turf.setdefault(tid, []).append(name)
    for item in rows.values():
        item.organizers = (
            by_turf.get(item.turf_id or item.key, [])
            if group == "turf"
            else (by_turf.get(turf_id or 0, []))
        )


def _contact_scope(actor: User, visible: dict[int, Any] | None) -> sa.ColumnElement[bool]:
    """`contact_scope(actor)` with a director's or organizer's turfs as a list of ids (the
    visible turfs when the caller has them, else read) instead of a subquery: the same
    contacts, but PostgreSQL's planner then reads them through the turf index rather than
    scanning every contact (an organizer's 2,000 of 50,000 contacts: 1.4 ms, not 28 ms)."""
    if not actor.active or actor.role not in (Role.DIRECTOR, Role.ORGANIZER):
        return contact_scope(actor)
    ids = (
        list(visible) if visible is not None else list(db.session.scalars(turf_ids_subquery(actor)))
    )
    return Contact.turf_id.in_(ids or [-1])


def run_together(statements: list[sa.Select], *, parallel: bool = True) -> list[list[sa.Row]]:
    """Run independent read-only SELECTs, each on its own pooled connection in parallel
    when asked and the database allows it (a PostgreSQL or file SQLite engine), else one
    after the other in the session. They only see committed data, which is what reports
    show."""
    engine = db.engine
    parallel = (
        parallel
        and current_app.config.get("REPORT_PARALLEL_QUERIES", True)
        and isinstance(engine, sa.Engine)
        and engine.url.database not in (None, "", ":memory:")
        and len(statements) > 1
    )
    if not parallel:
        return [db.session.execute(stmt).all() for stmt in statements]

    def fetch(stmt: sa.Select) -> list[sa.Row]:
        with engine.connect() as connection:
            return connection.execute(stmt).all()

    with ThreadPoolExecutor(max_workers=len(statements)) as pool:
        return list(pool.map(fetch, statements))


def cached_coverage(
    actor: User, flt: CoverageFilter, group: str = "turf", turf_id: int | None = None
) -> list[CoverageRow]:
    """`coverage`, reused until a write to the data it reads (fieldcrm.datacache).

    The returned rows are shared: sort or fold them into new objects, never mutate them.
    """
    key = (actor.id, actor.role, group, turf_id, flt)
    # Every figure is per turf (contacts without a turf are left out), so adding people
    # with no turf, as an import does before placing them, keeps the cached rows. Over the
    # "everyone" universe, only a change to the actor's own turfs (or to turfs, users, the
    # ladder) recomputes them (rollup_coverage.version).
    scoped = rollup_coverage.applies_to(flt, group)
    return datacache.cached(
        "coverage",
        key,
        lambda: coverage(actor, flt, group, turf_id),
        reads_unplaced=False,
        version=(lambda: rollup_coverage.version(actor)) if scoped else None,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def by_region(rows: list[CoverageRow]) -> list[CoverageRow]:
    """Fold turf rows into one row per region (turfs are disjoint, so sums are exact)."""
    regions: dict[str, CoverageRow] = {}
    for item in rows:
        region = regions.get(item.region)
        if region is None:
            region = regions[item.region] = CoverageRow(
                key=item.region, label=item.region, region=item.region
            )
        region.add(item)
    return sorted(regions.values(), key=lambda r: r.label)


SORT_KEYS = {
    "gap": lambda r: -r.gap,
    "name": lambda r: str(r.label).lower(),
    "universe": lambda r: -r.universe,
    "coverage": lambda r: r.coverage_pct,
    "reach": lambda r: r.reach_pct,
    "rate": lambda r: r.contact_rate,
    "leaders": lambda r: r.local_leaders,
    "activity": lambda r: r.last_activity.timestamp() if r.last_activity else 0.0,
}


def sort_rows(rows: list[CoverageRow], key: str) -> list[CoverageRow]:
    """Rows sorted by a SORT_KEYS name (unknown names sort by gap)."""
    return sorted(rows, key=SORT_KEYS.get(key, SORT_KEYS["gap"]))


def leader_homes(actor: User, turf_id: int | None = None, limit: int = 2000) -> list[dict]:
    """Where local leaders live (for the map): id-less points with the turf id."""
    position = leader_stage_position()
    leader_users = sa.select(User.contact_id).where(
        User.contact_id.is_not(None), User.role.in_((Role.LEADER, Role.ORGANIZER)), User.active
    )
    conds = [Contact.id.in_(leader_users)]
    if position is not None:
        conds.append(
            Contact.ladder_stage_id.in_(
                sa.select(LadderStage.id).where(LadderStage.position >= position)
            )
        )
    stmt = sa.select(Contact.turf_id, Contact.latitude, Contact.longitude).where(
        contact_scope(actor),
        Contact.latitude.is_not(None),
        Contact.turf_id.is_not(None),
        sa.or_(*conds),
    )
    if turf_id is not None:
        stmt = stmt.where(Contact.turf_id == turf_id)
    return [
        {"turf_id": t, "lat": round(lat, 5), "lon": round(lon, 5)}
        for t, lat, lon in db.session.execute(stmt.limit(limit))
    ]

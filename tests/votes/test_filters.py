"""The vote-history filter: one rule for turf cutting and the coverage report; the contact page."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.dashboards import metrics
from fieldcrm.database import utcnow
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.votes.models import Election, Vote
from fieldcrm.votes.queries import VoteFilter, vote_history_clause

GENERALS = {
    2016: date(2016, 11, 8),
    2018: date(2018, 11, 6),
    2020: date(2020, 11, 3),
    2022: date(2022, 11, 8),
    2024: date(2024, 11, 5),
}


@pytest.fixture
def elections(db):
    out = {
        year: Election(election_date=day, name=f"{day:%m/%d/%Y} GENERAL", kind="general")
        for year, day in GENERALS.items()
    }
    out["primary"] = Election(
        election_date=date(2024, 3, 5), name="03/05/2024 PRIMARY", kind="primary"
    )
    out["municipal"] = Election(
        election_date=date(2023, 11, 7), name="11/07/2023 MUNICIPAL GENERAL", kind="municipal"
    )
    db.session.add_all(out.values())
    db.session.commit()
    return out


@pytest.fixture
def add_votes(db, elections):
    def _add(contact: Contact, *keys, method="IN-PERSON", party=None) -> None:
        for key in keys:
            db.session.add(
                Vote(
                    source=contact.source,
                    voter_id=contact.voter_id,
                    election_id=elections[key].id,
                    method=method,
                    party=party,
                )
            )
        db.session.commit()

    return _add


@pytest.fixture
def voters(street_world, add_votes):
    """East's voters: OAK 1-3 voted in the last four generals, OAK 5 in two of them, OAK 4
    in one (and 2016, before the last four), ELM 1 only in a primary; the rest never."""
    w = street_world
    for n in (1, 2, 3):
        add_votes(w.oak[n][0], 2018, 2020, 2022, 2024, "municipal")
    add_votes(w.oak[4][0], 2016, 2024)
    add_votes(w.oak[5][0], 2022, 2024, method="ABSENTEE BY MAIL")
    add_votes(w.elm[1][0], "primary", party="DEM")
    return w


def matching(flt: VoteFilter) -> set[int]:
    stmt = sa.select(Contact.id).where(vote_history_clause(flt, date(2025, 6, 1)))
    return set(db.session.scalars(stmt))


def test_vote_history_clause__each_kind(voters, elections, make_contact):
    w = voters
    manual = make_contact(w.east, source="manual", voter_id=None)
    two_of_four = matching(VoteFilter("n_of_m_general", voted=2, of_last=4))
    assert two_of_four == {w.oak[n][0].id for n in (1, 2, 3, 5)}
    assert matching(VoteFilter("n_of_m_general", voted=4, of_last=4)) == {
        w.oak[n][0].id for n in (1, 2, 3)
    }
    # the municipal election is not a general election, 2016 is not among the last four
    assert w.oak[4][0].id not in two_of_four
    assert w.oak[4][0].id in matching(VoteFilter("n_of_m_general", voted=2, of_last=5))
    primary = VoteFilter("voted_in", election_id=elections["primary"].id)
    assert matching(primary) == {w.elm[1][0].id}
    skipped = matching(VoteFilter("not_voted_in", election_id=elections["primary"].id))
    assert w.elm[1][0].id not in skipped
    assert w.oak[1][0].id in skipped
    never = matching(VoteFilter("never"))
    voted = {w.oak[n][0].id for n in (1, 2, 3, 4, 5)} | {w.elm[1][0].id}
    assert never.isdisjoint(voted)
    assert w.oak[6][0].id in never
    assert manual.id not in never  # no voter id: no history known
    with pytest.raises(ValidationFailed):
        matching(VoteFilter("voted_in", election_id=None))
    with pytest.raises(ValidationFailed):
        matching(VoteFilter("n_of_m_general", voted=5, of_last=4))


def test_cut__vote_history_universe_drives_the_cut(voters, cut):
    from fieldcrm.door.services import CutInput, cut_turf

    w = voters
    flt = VoteFilter("n_of_m_general", voted=2, of_last=4)
    packets = cut_turf(w.organizer_ana, w.east, CutInput(target_size=5, votes=flt), utcnow())
    db.session.commit()
    doors = set(
        db.session.scalars(
            sa.select(PacketDoor.household_key).where(
                PacketDoor.packet_id.in_([p.id for p in packets])
            )
        )
    )
    assert doors == {f"{n} OAK ST|27215" for n in (1, 2, 3, 5)}
    assert packets[0].universe["votes"] == {
        "kind": "n_of_m_general",
        "voted": 2,
        "of_last": 4,
        "election_id": None,
    }


def test_cut_view__vote_history_fields(login_as, voters, elections):
    w = voters
    client = login_as(w.organizer_ana)
    page = client.get(f"/turf/{w.east.id}").get_data(as_text=True)
    assert 'name="vote_filter"' in page
    assert "03/05/2024 PRIMARY" in page
    response = client.post(
        f"/turf/{w.east.id}/cut",
        data={
            "universe": "all",
            "target_size": 10,
            "mode": "door",
            "stale_days": 30,
            "vote_filter": "voted_in",
            "vote_election": elections["primary"].id,
        },
    )
    assert response.status_code == 302
    packet = db.session.scalar(sa.select(WalkPacket))
    assert packet.door_count == 1
    keys = db.session.scalars(sa.select(PacketDoor.household_key)).all()
    assert keys == ["1 ELM ST|27215"]


def test_coverage__vote_history_filter_sets_the_universe(voters, login_as):
    w = voters
    now = utcnow()
    weeks = tuple(now - timedelta(weeks=metrics.TREND_WEEKS - i) for i in range(1, 9))
    base = {"since": now - timedelta(days=30), "until": now, "week_starts": weeks}
    everyone = metrics.coverage(w.admin_dev, metrics.CoverageFilter(**base))
    voted = metrics.coverage(
        w.admin_dev,
        metrics.CoverageFilter(**base, votes=VoteFilter("n_of_m_general", 2, 4)),
    )
    east = {r.label: r.universe for r in everyone}["East"]
    assert east > 4
    assert {r.label: r.universe for r in voted}["East"] == 4
    response = login_as(w.director_dana).get(
        "/coverage.csv?vote_filter=n_of_m_general&vote_voted=2&vote_of_last=4"
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    universe = {r[1]: r[3] for r in rows[1:]}
    assert universe == {"East": "4", "West": "0"}
    page = login_as(w.director_dana).get("/coverage?vote_filter=voted_in").get_data(True)
    assert "Pick an election." in page  # a half-filled filter is shown, not a 500


def test_contact_page__shows_recent_votes_to_staff_not_leaders(voters, login_as, add_votes):
    w = voters
    person = w.oak[5][0]
    page = login_as(w.organizer_ana).get(f"/contacts/{person.id}").get_data(as_text=True)
    assert "Vote history" in page
    assert page.index("11/05/2024 GENERAL") < page.index("11/08/2022 GENERAL")
    assert "ABSENTEE BY MAIL" in page
    never = login_as(w.organizer_ana).get(f"/contacts/{w.oak[6][0].id}").get_data(True)
    assert "No votes on file." in never
    add_votes(w.east_assigned, 2024)
    lena = login_as(w.leader_lena).get(f"/contacts/{w.east_assigned.id}")
    assert lena.status_code == 200
    assert "Vote history" not in lena.get_data(as_text=True)
    assert "11/05/2024 GENERAL" not in lena.get_data(as_text=True)
    # and out of scope is still out of scope
    assert login_as(w.organizer_omar).get(f"/contacts/{person.id}").status_code == 404


def test_cli__universe_counts_by_vote_history(runner, voters, elections):
    result = runner.invoke(args=["votes", "universe", "--voted", "2-of-4"])
    assert result.exit_code == 0, result.output
    assert "East: 4" in result.output
    result = runner.invoke(args=["votes", "universe", "--voted-in", str(elections["primary"].id)])
    assert "East: 1" in result.output
    listing = runner.invoke(args=["votes", "elections"])
    assert "11/05/2024 GENERAL  [general]  5 votes" in listing.output
    bad = runner.invoke(args=["votes", "universe", "--voted", "5-of-4"])
    assert bad.exit_code != 0
    assert "N must be between 0 and M" in bad.output

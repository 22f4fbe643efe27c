"""`fieldcrm seed`: load the demo program from seed_data/ through the app's own services.

Synthetic people only. Safe to run twice: a seeded database is left as it is.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from fieldcrm import programtime
from fieldcrm.auth import services as auth_services
from fieldcrm.auth.models import LeaderAssignment, User
from fieldcrm.commitments import services as commitment_services
from fieldcrm.commitments.services import CommitmentInput
from fieldcrm.contacts.models import Contact, Organization
from fieldcrm.conversations import services as conversation_services
from fieldcrm.conversations.services import ConversationInput
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder import services as ladder_services
from fieldcrm.turf import services as turf_services
from fieldcrm.turf.models import Region, Turf

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"


def load_program(path: Path = SEED_DIR / "program.json") -> dict:
    """The demo program definition (regions, turfs, users)."""
    return json.loads(path.read_text())


def seed_structure(program: dict) -> dict[str, User]:
    """Regions, turfs and users from the program definition; returns users by email."""
    turfs: dict[str, Turf] = {}
    regions: dict[str, Region] = {}
    for region_def in program["regions"]:
        region = turf_services.create_region(None, region_def["name"])
        regions[region.name] = region
        for turf_def in region_def["turfs"]:
            turf = turf_services.create_turf(
                None,
                region,
                turf_def["name"],
                precinct_codes=turf_def.get("precinct_codes", ()),
                zip_codes=turf_def.get("zip_codes", ()),
            )
            turfs[turf.name] = turf
    users: dict[str, User] = {}
    for user_def in program["users"]:
        data = auth_services.UserInput(
            email=user_def["email"],
            name=user_def["name"],
            role=user_def["role"],
            password=program["demo_password"],
            languages=user_def.get("languages"),
            region_ids=tuple(regions[n].id for n in user_def.get("regions", ())),
            turf_ids=tuple(turfs[n].id for n in user_def.get("turfs", ())),
        )
        users[data.email] = auth_services.create_user(None, data)
    return users


def seed_voters(path: Path, source: str) -> int:
    """Load the demo voter file (NC current layout) through the voter-file importer: the
    same detection, normalising, upsert and accounting as the web and CLI imports.

    Commits per chunk (it runs the import job inline); returns the contacts inserted.
    Raises RuntimeError when the file is refused or the import does not complete.
    """
    from fieldcrm.imports import jobs as import_jobs
    from fieldcrm.imports import services as import_services

    batch = import_services.create_batch(None, path, path.name, source)
    if batch.status == "refused":
        raise RuntimeError(f"demo voter file refused: {batch.error_message}")
    db.session.commit()
    done = import_jobs.import_batch(batch.id)
    if done is None or done.status != "completed":
        raise RuntimeError(f"demo voter file import stopped: {getattr(done, 'error_message', '')}")
    return done.inserted


def seed_field_work(users: dict[str, User], program: dict, rng: random.Random) -> None:
    """Conversations, commitments, ladder moves and leader lists through the services."""
    conversation_services.ensure_default_choices()
    stages = ladder_services.ensure_default_ladder()
    result_codes = [c for c, _ in conversation_services.choices("result_code")]
    issues = [c for c, _ in conversation_services.choices("issue")]
    kinds = [c for c, _ in conversation_services.choices("commitment_kind")]
    now = utcnow()
    today = programtime.today()
    for user_def in program["users"]:
        if user_def["role"] != "organizer":
            continue
        organizer = users[user_def["email"]]
        leaders = [
            users[u["email"]] for u in program["users"] if u.get("organizer") == organizer.email
        ]
        turf_ids = [t.id for t in organizer.turfs]
        contacts = db.session.scalars(
            sa.select(Contact).where(Contact.turf_id.in_(turf_ids)).order_by(Contact.id)
        ).all()
        sample = rng.sample(list(contacts), min(len(contacts), 260))
        for i, contact in enumerate(sample):
            when = _past_daytime(rng, today - timedelta(days=rng.randrange(0, 56)), now)
            if rng.random() < 0.55:
                data = ConversationInput(
                    channel=rng.choice(("door", "door", "phone")),
                    result_code=rng.choice(result_codes),
                    occurred_at=when,
                )
                conversation_services.log_conversation(organizer, contact, data)
                continue
            commitments = ()
            if rng.random() < 0.45:
                owner = leaders[i % len(leaders)] if leaders and rng.random() < 0.5 else organizer
                due = programtime.local_date(when) + timedelta(days=rng.randrange(-3, 21))
                commitments = (
                    CommitmentInput(kind=rng.choice(kinds), due_date=due, owner_id=owner.id),
                )
                if owner.role == "leader":
                    db.session.add(
                        LeaderAssignment(
                            leader_id=owner.id, contact_id=contact.id, assigned_by_id=organizer.id
                        )
                    )
            data = ConversationInput(
                channel=rng.choice(("door", "phone", "one_on_one")),
                occurred_at=when,
                support_level=rng.choice((1, 1, 2, 2, 3, 3, 4, 5)),
                issues=tuple(rng.sample(issues, rng.randrange(1, 3))),
                story="Works nights; two kids at the neighborhood school." if i % 5 == 0 else None,
                ask_kind="volunteer_shift" if commitments else None,
                response="yes" if commitments else rng.choice(("no", "maybe")),
                commitments=commitments,
            )
            conversation_services.log_conversation(organizer, contact, data)
            if rng.random() < 0.25:
                ladder_services.move_contact(
                    organizer, contact, stages[0], reason="Said yes at the door", at=when
                )
                if rng.random() < 0.4:
                    # A few days later, but never later than now: nothing seeded is in the future.
                    later = when + timedelta(days=rng.randrange(1, 10))
                    ladder_services.move_contact(
                        organizer,
                        contact,
                        stages[1],
                        reason="Did a first shift",
                        at=later if later < now else when + (now - when) / 2,
                    )
        db.session.flush()
        for commitment in commitment_services_open(organizer, leaders):
            if commitment.due_date and commitment.due_date < today and rng.random() < 0.6:
                actor = db.session.get(User, commitment.owner_id)
                status = "kept" if rng.random() < 0.65 else "flaked"
                commitment_services.set_status(actor, commitment, status)


def _past_daytime(rng: random.Random, day: date, now: datetime) -> datetime:
    """A time between 10 AM and 8 PM program time on `day`, before `now` (the day before
    when `day` is today and that hour has not come yet)."""
    when = programtime.day_time(day, time(10) if rng.random() < 0.5 else time(14))
    when += timedelta(minutes=rng.randrange(0, 360))
    return when if when < now else when - timedelta(days=1)


def seed_due_follow_ups(users: dict[str, User], program: dict, rng: random.Random) -> None:
    """Leaders get follow-ups due today, overdue and upcoming: the demo shows every state."""
    today = programtime.today()
    kinds = [c for c, _ in conversation_services.choices("commitment_kind")]
    for leader_def in program["users"]:
        if leader_def["role"] != "leader" or not leader_def.get("organizer"):
            continue
        leader, organizer = users[leader_def["email"]], users[leader_def["organizer"]]
        turf_ids = [t.id for t in leader.turfs]
        contacts = db.session.scalars(
            sa.select(Contact)
            .where(Contact.turf_id.in_(turf_ids), Contact.last_contacted_at.is_(None))
            .order_by(Contact.id)
            .limit(40)
        ).all()
        for contact, offset in zip(
            rng.sample(list(contacts), min(len(contacts), 5)), (0, 0, -2, -6, 4), strict=False
        ):
            db.session.add(
                LeaderAssignment(
                    leader_id=leader.id, contact_id=contact.id, assigned_by_id=organizer.id
                )
            )
            data = ConversationInput(
                channel="door",
                support_level=rng.choice((1, 2)),
                ask_kind="volunteer_shift",
                response="yes",
                commitments=(
                    CommitmentInput(
                        kind=rng.choice(kinds),
                        due_date=today + timedelta(days=offset),
                        owner_id=leader.id,
                    ),
                ),
            )
            conversation_services.log_conversation(organizer, contact, data)


def commitment_services_open(organizer: User, leaders: list[User]):
    from fieldcrm.commitments.models import Commitment

    ids = [organizer.id, *[leader.id for leader in leaders]]
    return db.session.scalars(
        sa.select(Commitment).where(Commitment.owner_id.in_(ids), Commitment.status == "open")
    ).all()


def seed_organizations(rng: random.Random) -> None:
    """A few constituency groups with members."""
    orgs = [
        Organization(name="SEIU Local 1199 (Piedmont chapter)", kind="union"),
        Organization(name="First Baptist Church of Burlington", kind="congregation"),
        Organization(name="Elon University Students for Action", kind="campus"),
        Organization(name="Graham Tenants' Association", kind="tenants"),
    ]
    db.session.add_all(orgs)
    db.session.flush()
    from fieldcrm.contacts.models import Affiliation

    ids = db.session.scalars(sa.select(Contact.id).where(Contact.turf_id.is_not(None))).all()
    for org in orgs:
        for contact_id in rng.sample(list(ids), min(len(ids), 25)):
            db.session.add(
                Affiliation(
                    contact_id=contact_id,
                    organization_id=org.id,
                    role=rng.choice(
                        ("member", "member", "member", "leader", "staff", "contact_person")
                    ),
                )
            )


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the demo program (users, turfs, a synthetic voter file, field work)."""
    if db.session.scalar(sa.select(User.id).limit(1)) is not None:
        click.echo("The database already has users; demo seed skipped.")
        return
    rng = random.Random(2026)
    program = load_program()
    users = seed_structure(program)
    db.session.commit()
    count = seed_voters(SEED_DIR / program["voter_file"], program["voter_file_source"])
    turf_services.assign_contacts_to_turfs()
    db.session.commit()
    seed_field_work(users, program, rng)
    seed_due_follow_ups(users, program, rng)
    seed_organizations(rng)
    db.session.commit()
    from fieldcrm.door.demo import seed_door_demo
    from fieldcrm.turf.demo import seed_turf_demo

    seed_turf_demo(users)
    seed_door_demo(users)
    click.echo(f"Seeded {len(users)} users and {count} contacts.")

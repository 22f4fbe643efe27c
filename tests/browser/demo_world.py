"""The browser layout tests' world: the demo program (`fieldcrm seed`), plus an import with
many rejected rows and a turf outlined only by where its geocoded people live.

The demo is what people see when they try FieldCRM, so its pages are the ones measured:
real names, six turfs, 3,000 voters, follow-ups, ladder moves, organizations.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from fieldcrm import seed
from fieldcrm.contacts.models import Contact
from fieldcrm.door.demo import seed_door_demo
from fieldcrm.extensions import db
from fieldcrm.imports import jobs as import_jobs
from fieldcrm.imports import services as import_services
from fieldcrm.turf import services as turf_services
from fieldcrm.turf.demo import seed_turf_demo
from fieldcrm.turf.models import Region

REJECTS = 45
EMAILS = {
    "admin": "admin@example.org",
    "director": "director@example.org",
    "organizer": "organizer@example.org",
    "leader": "leader@example.org",
}


def build(workdir: Path) -> dict:
    """Seed the demo (as `fieldcrm seed` does) and the extras; returns ids tests visit."""
    rng = random.Random(2026)
    program = seed.load_program()
    users = seed.seed_structure(program)
    db.session.commit()
    seed.seed_voters(seed.SEED_DIR / program["voter_file"], program["voter_file_source"])
    turf_services.assign_contacts_to_turfs()
    db.session.commit()
    seed.seed_field_work(users, program, rng)
    seed.seed_due_follow_ups(users, program, rng)
    seed.seed_organizations(rng)
    db.session.commit()
    seed_turf_demo(users)
    seed_door_demo(users)
    return {
        "password": program["demo_password"],
        "emails": EMAILS,
        "rejects_batch": _rejects_batch(workdir),
        "hull_turf": _hull_turf(),
    }


def _rejects_batch(workdir: Path) -> int:
    """A county sheet whose rows mostly have a stray extra column: each is rejected with
    its whole raw line (long, as voter-file lines are)."""
    path = workdir / "county_sheet.csv"
    lines = ["voter_id,first_name,last_name,res_line1,res_city,res_zip"]
    lines += [f"R{n},Ana,Good{n},{n} ELM ST,BURLINGTON,27215" for n in range(3)]
    note = "NOTES FROM THE COUNTY OFFICE " * 8
    lines += [f"X{n},Bad,Row{n},{n} OAK ST,BURLINGTON,27215,{note},EXTRA" for n in range(REJECTS)]
    path.write_text("\n".join(lines) + "\n")
    batch = import_services.create_batch(None, path, path.name, "county", full_file=False)
    db.session.commit()
    done = import_jobs.import_batch(batch.id)
    if done is None or done.rejected != REJECTS:
        raise RuntimeError(f"the rejects sheet did not import as expected: {done}")
    return batch.id


def _hull_turf() -> int:
    """Saxapahaw (ZIP 27340, no shape loaded): 24 geocoded households around a village."""
    region = db.session.query(Region).filter_by(name="Piedmont").one()
    turf = turf_services.create_turf(None, region, "Saxapahaw", zip_codes=["27340"])
    for n in range(24):
        angle = n * 0.2618  # around a rough circle of about 1.5 km
        db.session.add(
            Contact(
                source="test",
                voter_id=f"SAX{n}",
                first_name="Sam",
                last_name=f"Haw{n}",
                display_name=f"Sam Haw{n}",
                res_line1=f"{n + 1} RIVER RD",
                res_zip5="27340",
                household_key=f"{n + 1} RIVER RD|27340",
                latitude=35.947 + 0.012 * (1 + (n % 3) / 4) * math.cos(angle),
                longitude=-79.322 + 0.015 * (1 + (n % 2) / 5) * math.sin(angle),
                geo_precision="rooftop",
            )
        )
    db.session.flush()
    turf_services.assign_contacts_to_turfs()
    db.session.commit()
    return turf.id

"""Voter-file import services (interim: the NC current layout only, for the demo seed)."""

from __future__ import annotations

import csv
from pathlib import Path

from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.services import add_phone, display_name
from fieldcrm.database import utcnow
from fieldcrm.extensions import db


def _blank(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return None if value in ("", "*") else value


def import_path_inline(path: Path, source: str) -> int:
    """Insert every row of an NC-layout file as a contact; returns the row count. Flushes."""
    now = utcnow()
    count = 0
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            first, middle, last = (
                _blank(row[k]) for k in ("first_name", "middle_name", "last_name")
            )
            line1 = _blank(row["res_street_address"])
            number, _, street = (line1 or "").partition(" ")
            zip_code = _blank(row["zip_code"]) or ""
            contact = Contact(
                source=source,
                voter_id=_blank(row["ncid"]),
                first_name=first,
                middle_name=middle,
                last_name=last,
                display_name=display_name(
                    *(p.title() if p else p for p in (first, middle, last)), None
                ),
                birth_year=int(row["birth_year"]) if row["birth_year"].isdigit() else None,
                sex=_blank(row["gender_code"]),
                race=_blank(row["race_code"]),
                ethnicity=_blank(row["ethnic_code"]),
                party=_blank(row["party_cd"]),
                res_line1=line1,
                res_house_number=int(number) if number.isdigit() else None,
                res_street_name=street.split("#")[0].strip() or None,
                res_city=_blank(row["res_city_desc"]),
                res_state=_blank(row["state_cd"]),
                res_zip5=zip_code[:5] or None,
                county=_blank(row["county_desc"]),
                precinct_code=_blank(row["precinct_abbrv"]),
                precinct_name=_blank(row["precinct_desc"]),
                voter_status=_blank(row["status_cd"]),
                household_key=f"{line1}|{zip_code[:5]}".upper() if line1 else None,
                first_seen_at=now,
                last_seen_at=now,
            )
            db.session.add(contact)
            if _blank(row["full_phone_number"]):
                add_phone(contact, row["full_phone_number"], kind="phone", source="voterfile")
            count += 1
    db.session.flush()
    return count

"""Which personal fields of a contact each role may see: the one policy for pages, JSON and exports.

Scoping (fieldcrm/scoping.py) decides *which contacts* an actor sees; this module decides
*which of their fields*. Admins, directors and organizers plan and target the program, so they
see every stored field. A volunteer leader only follows people up: name, phones, email, the
address to visit, turf and precinct, support level, ladder stage and their own commitments. A
leader never sees the voter-file demographics and registration details:

    party, birth date, birth year (and the age derived from it), sex, race, ethnicity,
    voter status, registration date, congressional / senate / house districts.

Any other or unknown role sees none of those either (deny by default). Names are Contact
attribute names; export column names map onto them in ``EXPORT_COLUMN_FIELDS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from fieldcrm.auth.models import Role

RESTRICTED_FIELDS: Final = frozenset(
    {
        "party",
        "birth_date",
        "birth_year",
        "sex",
        "race",
        "ethnicity",
        "voter_status",
        "registration_date",
        "cd",
        "sd",
        "hd",
    }
)

# Fields each role may NOT see; roles not listed are refused every restricted field.
HIDDEN_BY_ROLE: Final[dict[str, frozenset[str]]] = {
    Role.ADMIN: frozenset(),
    Role.DIRECTOR: frozenset(),
    Role.ORGANIZER: frozenset(),
    Role.LEADER: RESTRICTED_FIELDS,
}

# Export column -> the Contact field it shows (columns not listed show no restricted field).
EXPORT_COLUMN_FIELDS: Final = {
    "birth_year": "birth_year",
    "party": "party",
    "birth_date": "birth_date",
    "sex": "sex",
    "race": "race",
    "ethnicity": "ethnicity",
    "registration_date": "registration_date",
    "status": "voter_status",
    "cd": "cd",
    "sd": "sd",
    "hd": "hd",
}


def hidden_fields(actor: Any) -> frozenset[str]:
    """Contact fields `actor` may not see (None, the CLI operator, sees everything)."""
    if actor is None:
        return frozenset()
    return HIDDEN_BY_ROLE.get(getattr(actor, "role", None), RESTRICTED_FIELDS)


def can_see(actor: Any, field: str) -> bool:
    """True when `actor` may see the Contact field `field`."""
    return field not in hidden_fields(actor)


def visible_columns(actor: Any, columns: Iterable[str]) -> tuple[str, ...]:
    """`columns` (export column names) without those showing a field hidden from `actor`."""
    hidden = hidden_fields(actor)
    return tuple(c for c in columns if EXPORT_COLUMN_FIELDS.get(c) not in hidden)

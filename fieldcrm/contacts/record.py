"""The voter record: what a voter file gives a contact, defined once.

Each field names its column in the importer's normalised frame, the contact column it is
stored in (``voter_status`` for the frame's ``status``; none for what is not stored on the
contact), the length of that column for text, and the mapping keys whose presence makes a
file carry it (fieldcrm.imports.changes). The Contact model sizes its columns from
``column_length``, and the importer rejects a row whose value is longer than ``LENGTHS``
allows, so the two cannot disagree (tests/contacts/test_record.py checks the model).
"""

from __future__ import annotations

from dataclasses import dataclass

#: contact columns are named like the frame's, except these
_STORED_AS = {"status": "voter_status"}


@dataclass(frozen=True)
class Field:
    """One field of the voter record."""

    name: str
    #: "text", "date", "int" or "float"
    kind: str = "text"
    #: characters its column holds (text that is stored), else None
    length: int | None = None
    #: stored on the contact (under ``contact``); False: read, kept elsewhere or not at all
    stored: bool = True
    #: mapping keys whose presence makes a file carry (and compare) this column
    keys: tuple[str, ...] = ()

    @property
    def contact(self) -> str:
        """The contact column it is stored in."""
        return _STORED_AS.get(self.name, self.name)


def _text(name: str, length: int, *keys: str) -> Field:
    return Field(name, "text", length, keys=keys)


#: In the normalised frame's column order.
FIELDS: tuple[Field, ...] = (
    _text("voter_id", 64),
    _text("first_name", 100, "first_name"),
    _text("middle_name", 100, "middle_name"),
    _text("last_name", 100, "last_name"),
    _text("name_suffix", 20, "name_suffix"),
    _text("display_name", 320),  # "First Last Suffix", derived
    Field("birth_date", "date", keys=("birth_date",)),
    Field("birth_year", "int", keys=("birth_date", "birth_year")),
    _text("sex", 20, "sex"),
    _text("race", 40, "race"),
    _text("ethnicity", 40, "ethnicity"),
    _text("party", 40, "party"),
    _text("res_line1", 200, "res_line1"),
    Field("res_house_number", "int"),  # parsed off res_line1
    _text("res_street_name", 200),  # parsed off res_line1
    _text("res_unit", 60, "res_unit"),
    _text("res_city", 100, "res_city"),
    _text("res_state", 2, "res_state"),
    _text("res_zip5", 5, "res_zip"),
    _text("res_zip4", 4, "res_zip4"),
    _text("mail_line1", 200, "mail_line1"),  # up to four mailing lines joined
    _text("mail_city", 100, "mail_city"),
    _text("mail_state", 40, "mail_state"),
    _text("mail_zip", 12, "mail_zip", "mail_zip4"),  # foreign postal codes kept as given
    _text("county", 60, "county"),
    _text("precinct_code", 40, "precinct_code"),
    _text("precinct_name", 120, "precinct_name"),
    _text("cd", 10, "cd"),
    _text("sd", 10, "sd"),
    _text("hd", 10, "hd"),
    Field("registration_date", "date", keys=("registration_date",)),
    _text("status", 20, "status"),  # the canonical status, stored as voter_status
    Field("status_raw", stored=False),  # the file's own status text
    Field("latitude", "float"),
    Field("longitude", "float"),
    Field("email", "text", 254, stored=False),  # a contact_emails row
    _text("household_key", 300),  # derived from the address
    Field("record_source", stored=False),  # the source column of FieldCRM's own export
    # a VAN export's keys matching its people to contacts of other sources (imports.vanmatch)
    Field("state_voter_id", "text", 64, stored=False),
    Field("voter_file_vanid", "text", 20, stored=False),
)
#: frame columns after the fields: the row's physical line, its file (zip member), its hash,
#: the digest of its raw line (fieldcrm.imports.reading.lines)
BOOKKEEPING: tuple[str, ...] = ("line", "member", "row_hash", "line_hash")
FRAME_COLUMNS: tuple[str, ...] = (*(f.name for f in FIELDS), *BOOKKEEPING)

#: other lengths an import writes: a phone's raw text and E.164 form, the stored row hash
PHONE_RAW_LENGTH = 40
PHONE_E164_LENGTH = 20
ROW_HASH_LENGTH = 40
#: the digest of the raw line a contact was last imported from (fieldcrm.imports.reading.lines)
LINE_HASH_LENGTH = 32

#: frame column -> the most characters its value may have (the importer rejects longer rows)
LENGTHS: dict[str, int] = {f.name: f.length for f in FIELDS if f.length is not None}
#: contact columns owned by voter files: an import may insert and update these, nothing
#: else (voter_id is the key; coordinates are written only where a file gives them)
VOTERFILE_FIELDS: tuple[str, ...] = tuple(
    f.contact for f in FIELDS if f.stored and f.name not in ("voter_id", "latitude", "longitude")
)
#: mapping key -> the contact columns a file with that key carries
KEY_COLUMNS: dict[str, tuple[str, ...]] = {}
for _field in FIELDS:
    for _key in _field.keys:
        KEY_COLUMNS.setdefault(_key, ())
        KEY_COLUMNS[_key] += (_field.contact,)


def column_length(column: str) -> int:
    """The length of a stored text contact column (Contact's String sizes)."""
    for f in FIELDS:
        if f.stored and f.contact == column and f.length is not None:
            return f.length
    raise KeyError(column)


def frame_column(column: str) -> str:
    """The frame column a contact column's value comes from."""
    for frame_name, contact in _STORED_AS.items():
        if contact == column:
            return frame_name
    return column

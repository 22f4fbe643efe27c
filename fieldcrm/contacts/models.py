"""Contacts with the canonical voter-file fields, phones, emails, tags and organizations.

Voter-file fields (fieldcrm.contacts.record, which also sizes their columns) are the only
ones an import may overwrite; what organizers enter (support level, ladder stage, tags,
notes, manual phones) is never touched by an import.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.contacts.record import (
    LENGTHS,
    LINE_HASH_LENGTH,
    PHONE_E164_LENGTH,
    PHONE_RAW_LENGTH,
    ROW_HASH_LENGTH,
    column_length,
)
from fieldcrm.database import TimestampMixin, UTCDateTime, utcnow
from fieldcrm.extensions import db
from fieldcrm.lib import search_keys

if TYPE_CHECKING:
    from fieldcrm.auth.models import User
    from fieldcrm.ladder.models import LadderStage
    from fieldcrm.turf.models import Turf

contact_tags = sa.Table(
    "contact_tags",
    db.metadata,
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


_SEARCH_INCLUDE = ["turf_id", "id"]  # what a search reads from its indexes besides the keys
#: contacts' indexes holding only the people whose first column is filled (see Contact)
FILLED_ONLY_INDEXES = {
    "ix_contacts_lat_lon": ("latitude", "longitude"),
    "ix_contacts_van_id": ("van_id",),
    "ix_contacts_owner_id": ("owner_id",),
    "ix_contacts_ladder_stage_id": ("ladder_stage_id",),
}


def where_filled(column: str) -> dict[str, Any]:
    """An index's options for holding only the rows where ``column`` is filled, on both
    databases (``WHERE column IS NOT NULL``): a lookup by value implies it, so both still use
    the index, and a bulk load keeps it when its inserts leave the column empty
    (fieldcrm.imports.writers.costs_per_row reads the column from its ``info``)."""
    condition = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition, "info": {"filled": column}}


def _key_type(length: int) -> sa.types.TypeEngine[str]:
    """A search key column: compared byte by byte on PostgreSQL ("C"), as on SQLite, so a
    prefix is a plain index range whatever the database's collation."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _name_key_default(part: int):  # type: ignore[no-untyped-def]
    """Column default for a name key from the row's own names, for inserts that skip the ORM
    (bulk and Core inserts); ORM objects keep theirs up to date as names are set."""

    def default(context):  # type: ignore[no-untyped-def]
        params = context.get_current_parameters()
        return search_keys.name_keys(params.get("first_name"), params.get("last_name"))[part]

    return default


def _phone_key_default(context):  # type: ignore[no-untyped-def]
    params = context.get_current_parameters()
    return search_keys.phone_key(params.get("e164"), params.get("raw"))


class Contact(TimestampMixin, db.Model):
    """A person the program may reach: a registered voter or someone met in the field."""

    __tablename__ = "contacts"
    __table_args__ = (
        # the upsert key; a unique index (not a constraint) so that a bulk first load can
        # drop it and build it once at the end, as on both databases it costs per row
        sa.Index("uq_contacts_source_voter_id", "source", "voter_id", unique=True),
        sa.CheckConstraint("support_level BETWEEN 1 AND 5", name="support_level_range"),
        # The search (fieldcrm.contacts.search): a query word starts the folded last name
        # or first name; a number may be a voter id (the unique key leads with the source).
        # ix_contacts_search_name also serves the list's order by name. Each holds the
        # whole name key, so the other words of a query are tested inside the index (SQLite
        # before it reads the row; PostgreSQL in an index-only scan, with the turf and id
        # included): a common first name's probe reads its index entries, not its rows.
        # Keyed by the id after the name: a page of people with one name ("smith mary", tens
        # of thousands in a state) is read in (name, id) order and stops, not sorted whole.
        sa.Index("ix_contacts_search_name", "search_name", "id", postgresql_include=["turf_id"]),
        sa.Index(
            "ix_contacts_search_first",
            "search_first",
            "search_name",
            postgresql_include=_SEARCH_INCLUDE,
        ),
        sa.Index(
            "ix_contacts_search_surname",
            "search_surname",
            "search_name",
            **where_filled("search_surname"),
            postgresql_include=_SEARCH_INCLUDE,
        ),
        sa.Index("ix_contacts_voter_id", "voter_id"),
        # A turf's people by door. On PostgreSQL it also holds the name keys, so that a
        # search in a small scope (an organizer's turf, read through its turfs: see
        # _name_clause's on_rows) tests every word on index entries, not on rows. Measured
        # at 8.3M contacts, vacuumed: an organizer's "Mary Smith" page 61 ms, 225 ms without.
        # Only the people on a turf: every use names turfs, and a voter file's people are
        # on none until they are placed, so a first load neither builds it nor adds to it
        # (fieldcrm.imports.writers.costs_per_row).
        sa.Index(
            "ix_contacts_turf_household",
            "turf_id",
            "household_key",
            **where_filled("turf_id"),
            postgresql_include=["search_name", "search_first", "search_surname"],
        ),
        # Matching a person typed by hand to the people at that door (contacts.matching);
        # also the index of a ZIP code alone, which leads it.
        sa.Index("ix_contacts_zip_house", "res_zip5", "res_house_number"),
        # Columns a voter file leaves empty for most people (the coordinates where the
        # state gives none; the VANID, owner and ladder stage, which an import never
        # writes) are indexed only where filled: every lookup names a value, which
        # implies it is not NULL, and neither a bulk load's index builds nor a refresh's
        # updates spend anything on the empty ones (see fieldcrm.imports.writers).
        *(
            sa.Index(
                name,
                *columns,
                **where_filled(columns[0]),
            )
            for name, columns in FILLED_ONLY_INDEXES.items()
        ),
        # The ladder board: people on the ladder in a set of turfs, time in stage, stalled.
        # Partial: only the few on the ladder, so the planner picks it over the turf index.
        sa.Index(
            "ix_contacts_turf_ladder",
            "turf_id",
            "ladder_stage_id",
            "ladder_stage_since",
            "last_contacted_at",
            **where_filled("ladder_stage_id"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Identity: (source, voter_id) is the upsert key; manual contacts have no voter id.
    source: so.Mapped[str] = so.mapped_column(sa.String(50), default="manual")
    voter_id: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("voter_id")))
    # The person's VANID, set when a VAN export matched them to this contact of another
    # source (fieldcrm.imports.vanmatch); the VAN canvass export uses it.
    van_id: so.Mapped[str | None] = so.mapped_column(sa.String(20))

    first_name: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("first_name")))
    middle_name: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("middle_name")))
    last_name: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("last_name")))
    name_suffix: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("name_suffix")))
    display_name: so.Mapped[str] = so.mapped_column(
        sa.String(column_length("display_name")), default=""
    )
    # Search keys (fieldcrm.lib.search_keys): "alvarez nunez jose", "jose" and "nunez". Set
    # with the names (validator below, column default, the import writers), never on their own.
    search_name: so.Mapped[str] = so.mapped_column(
        _key_type(search_keys.NAME_LENGTH), default=_name_key_default(0), server_default=""
    )
    search_first: so.Mapped[str] = so.mapped_column(
        _key_type(search_keys.FIRST_LENGTH), default=_name_key_default(1), server_default=""
    )
    search_surname: so.Mapped[str | None] = so.mapped_column(
        _key_type(search_keys.FIRST_LENGTH), default=_name_key_default(2)
    )
    birth_date: so.Mapped[date | None]
    birth_year: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    sex: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("sex")))
    race: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("race")))
    ethnicity: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("ethnicity")))
    party: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("party")))

    res_line1: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("res_line1")))
    res_house_number: so.Mapped[int | None]
    res_street_name: so.Mapped[str | None] = so.mapped_column(
        sa.String(column_length("res_street_name"))
    )
    res_unit: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("res_unit")))
    res_city: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("res_city")))
    res_state: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("res_state")))
    res_zip5: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("res_zip5")))
    res_zip4: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("res_zip4")))
    mail_line1: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("mail_line1")))
    mail_city: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("mail_city")))
    mail_state: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("mail_state")))
    mail_zip: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("mail_zip")))
    county: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("county")))
    precinct_code: so.Mapped[str | None] = so.mapped_column(
        sa.String(column_length("precinct_code")), index=True
    )
    precinct_name: so.Mapped[str | None] = so.mapped_column(
        sa.String(column_length("precinct_name"))
    )
    cd: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("cd")))
    sd: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("sd")))
    hd: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("hd")))
    registration_date: so.Mapped[date | None]
    voter_status: so.Mapped[str | None] = so.mapped_column(sa.String(column_length("voter_status")))

    latitude: so.Mapped[float | None]
    longitude: so.Mapped[float | None]
    geo_source: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    geo_precision: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    household_key: so.Mapped[str | None] = so.mapped_column(
        sa.String(column_length("household_key")), index=True
    )

    # What organizers own.
    preferred_languages: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    support_level: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    ladder_stage_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ladder_stages.id", ondelete="SET NULL")
    )
    ladder_stage_since: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    owner_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # indexed by ix_contacts_turf_household, whose first column it is
    turf_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("turfs.id", ondelete="SET NULL")
    )
    do_not_contact: so.Mapped[bool] = so.mapped_column(default=False)
    notes: so.Mapped[str | None] = so.mapped_column(sa.Text)
    last_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_contacted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    # Import bookkeeping.
    first_seen_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_seen_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_import_batch_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="SET NULL", use_alter=True)
    )
    not_in_latest_file: so.Mapped[bool] = so.mapped_column(default=False)
    vf_hash: so.Mapped[str | None] = so.mapped_column(sa.String(ROW_HASH_LENGTH))
    vf_line_hash: so.Mapped[str | None] = so.mapped_column(sa.String(LINE_HASH_LENGTH))

    # Optimistic locking: a stale edit form cannot silently overwrite a newer save.
    version: so.Mapped[int] = so.mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    turf: so.Mapped[Turf | None] = so.relationship()
    owner: so.Mapped[User | None] = so.relationship(foreign_keys=[owner_id])
    ladder_stage: so.Mapped[LadderStage | None] = so.relationship()
    phones: so.Mapped[list[ContactPhone]] = so.relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactPhone.id"
    )
    emails: so.Mapped[list[ContactEmail]] = so.relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactEmail.id"
    )
    tags: so.Mapped[list[Tag]] = so.relationship(secondary=contact_tags, order_by="Tag.name")

    @so.validates("first_name", "last_name")
    def _keep_name_keys(self, key: str, value: str | None) -> str | None:
        first = value if key == "first_name" else self.first_name
        last = value if key == "last_name" else self.last_name
        self.search_name, self.search_first, self.search_surname = search_keys.name_keys(
            first, last
        )
        return value

    @property
    def best_phone(self) -> ContactPhone | None:
        """The phone to dial: a dialable manual phone first, then cell, then any dialable."""
        usable = [p for p in self.phones if p.valid and p.e164 and not p.do_not_call]
        usable.sort(key=lambda p: (p.source != "manual", p.kind != "cell", p.id or 0))
        return usable[0] if usable else None

    @property
    def address(self) -> str:
        parts = [self.res_line1 or "", self.res_city or "", self.res_state or ""]
        text = ", ".join(p for p in parts if p)
        return f"{text} {self.res_zip5 or ''}".strip()

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.display_name!r}>"


class ContactPhone(db.Model):
    """A phone number: E.164 when dialable, always the raw value as received."""

    __tablename__ = "contact_phones"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    e164: so.Mapped[str | None] = so.mapped_column(sa.String(PHONE_E164_LENGTH), index=True)
    raw: so.Mapped[str] = so.mapped_column(sa.String(PHONE_RAW_LENGTH))
    # The digits, last first (fieldcrm.lib.search_keys.phone_key): any ending of the number
    # is a prefix of it, so the search finds "555-0101" or "(336) 555-0101" by an index range.
    reversed_digits: so.Mapped[str | None] = so.mapped_column(
        _key_type(search_keys.PHONE_LENGTH), index=True, default=_phone_key_default
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="phone")  # cell/home/work…
    source: so.Mapped[str] = so.mapped_column(sa.String(20), default="manual")  # voterfile|manual
    valid: so.Mapped[bool] = so.mapped_column(default=False)  # dialable
    do_not_call: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    contact: so.Mapped[Contact] = so.relationship(back_populates="phones")

    @so.validates("e164", "raw")
    def _keep_phone_key(self, key: str, value: str | None) -> str | None:
        e164 = value if key == "e164" else self.e164
        raw = value if key == "raw" else self.raw
        self.reversed_digits = search_keys.phone_key(e164, raw)
        return value

    @property
    def display(self) -> str:
        return self.e164 or self.raw


class ContactEmail(db.Model):
    """An email address for a contact."""

    __tablename__ = "contact_emails"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(LENGTHS["email"]))
    source: so.Mapped[str] = so.mapped_column(sa.String(20), default="manual")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    contact: so.Mapped[Contact] = so.relationship(back_populates="emails")


class Tag(db.Model):
    """A free label organizers put on contacts."""

    __tablename__ = "tags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)


class Organization(TimestampMixin, db.Model):
    """A constituency group: union local, congregation, campus group, tenants' association…"""

    __tablename__ = "organizations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40), default="other")
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    region_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("regions.id", ondelete="SET NULL"), index=True
    )

    affiliations: so.Mapped[list[Affiliation]] = so.relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )


class Affiliation(db.Model):
    """A contact's link to an organization, with their role in it."""

    __tablename__ = "affiliations"
    __table_args__ = (sa.UniqueConstraint("contact_id", "organization_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    organization_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(40), default="member")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    contact: so.Mapped[Contact] = so.relationship()
    organization: so.Mapped[Organization] = so.relationship(back_populates="affiliations")

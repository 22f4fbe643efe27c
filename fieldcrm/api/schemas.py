"""The API's shapes, as pydantic models: what each call accepts and what it answers.

Inputs are checked here for shape only (types, lengths, choices, unknown fields refused);
business rules stay in the features' services. The OpenAPI document is generated from
these same models (fieldcrm.api.openapi), so it cannot drift from what the code accepts.
Field names follow the CSV exports (README "Exports"): a table pulled from the API has the
columns of the file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from fieldcrm.commitments.models import STATUSES
from fieldcrm.conversations.models import CHANNELS, RESPONSES
from fieldcrm.lib.dates import DATE_MAX, DATE_MIN, in_bounds, parse_iso_date

MAX_PAGE = 1000
DEFAULT_PAGE = 100


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _bounded_day(value: date) -> date:
    if not in_bounds(value):
        raise ValueError(f"must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}")
    return value


def _bounded_instant(value: datetime) -> datetime:
    _bounded_day(value.date())
    return value


def _since(value: Any) -> Any:
    """A date (that day's start, UTC) or a date-time with its UTC offset."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) == 10:
        return f"{parse_iso_date(text).isoformat()}T00:00:00+00:00"
    return text


def text(max_length: int) -> Any:
    """An optional string up to `max_length` characters, stripped; blank means none."""
    return Annotated[
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)] | None,
        BeforeValidator(_blank_to_none),
    ]


Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Day = Annotated[date, AfterValidator(_bounded_day)]
Instant = Annotated[AwareDatetime, AfterValidator(_bounded_instant)]
Since = Annotated[
    AwareDatetime,
    BeforeValidator(_since),
    AfterValidator(_bounded_instant),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A date (YYYY-MM-DD, from 00:00 UTC that day) or a date-time "
            "with its UTC offset (2026-11-03T18:30:00Z).",
            "examples": ["2026-11-01", "2026-11-03T18:30:00Z"],
        }
    ),
]
SupportLevel = Annotated[int, Field(ge=1, le=5)]
CalendarDay = date  # ConversationOut has a field named `date`, which hides the type there
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Shape(BaseModel):
    """Every input refuses fields it does not know, so a typo is a 422, not ignored."""

    model_config = ConfigDict(extra="forbid")


# -- queries -------------------------------------------------------------------------------


class Page(Shape):
    cursor: text(200) = Field(None, description="The `next` value of the previous page.")
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="Records per page.")


class ContactQuery(Page):
    turf_id: Id | None = Field(None, description="Only contacts in this turf.")
    precinct: text(40) = Field(None, description="Only this precinct code.")
    updated_since: Since | None = Field(None, description="Only contacts changed since.")
    ladder_stage_id: Id | None = Field(None, description="Only people at this ladder stage.")
    support_level: SupportLevel | None = Field(None, description="Only this support level.")
    q: text(200) = Field(
        None, description="Search: every word must match a name, address, voter id or phone."
    )


class ConversationQuery(Page):
    since: Since | None = Field(None, description="Only conversations logged or edited since.")
    contact_id: Id | None = Field(None, description="Only this contact's conversations.")


class CommitmentQuery(Page):
    status: Literal[STATUSES] | None = Field(None, description="Only this commitment_status.")  # type: ignore[valid-type]
    due_after: Day | None = Field(None, description="Only those due on or after this date.")
    due_before: Day | None = Field(None, description="Only those due on or before this date.")
    owner_id: Id | None = Field(None, description="Only those this user follows up.")
    contact_id: Id | None = Field(None, description="Only this contact's commitments.")


class LadderMoveQuery(Page):
    since: Since | None = Field(None, description="Only moves made since.")
    contact_id: Id | None = Field(None, description="Only this contact's moves.")


class TurfQuery(Page):
    pass


class PacketQuery(Page):
    turf_id: Id | None = Field(None, description="Only packets of this turf.")
    mine: bool = Field(False, description="Only packets assigned to me.")


# -- bodies --------------------------------------------------------------------------------


class ContactCreate(Shape):
    first_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    middle_name: text(100) = None
    last_name: text(100) = None
    phone: text(40) = None
    email: text(254) = None
    address: text(200) = Field(None, description="Street address (house number and street).")
    city: text(100) = None
    state: Annotated[
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$")] | None,
        BeforeValidator(_blank_to_none),
    ] = None
    zip5: Annotated[
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}$")] | None,
        BeforeValidator(_blank_to_none),
    ] = None
    preferred_languages: text(100) = None
    turf_id: Id | None = None


class ContactUpdate(Shape):
    """The fields organizers own; only those sent change."""

    support_level: SupportLevel | None = Field(None, description="1 to 5; null clears it.")
    preferred_languages: text(100) = None
    do_not_contact: bool | None = None
    notes: text(5000) = None
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]] | None = (
        Field(None, max_length=50, description="Replaces the contact's tags.")
    )


class CommitmentFields(Shape):
    commitment_kind: Code = Field(description="A code of the commitment kinds list.")
    description: text(500) = None
    due_date: Day | None = None
    owner_id: Id | None = Field(None, description="Who follows up (default: you).")


class CommitmentCreate(CommitmentFields):
    contact_id: Id


class CommitmentOutcome(Shape):
    commitment_status: Literal[STATUSES]  # type: ignore[valid-type]
    note: text(500) = None
    new_due_date: Day | None = Field(None, description="Needed to reschedule.")


class ConversationCreate(Shape):
    contact_id: Id
    channel: Literal[CHANNELS] = "door"  # type: ignore[valid-type]
    result_code: Code | None = Field(
        None, description="A code of the result codes list for a failed attempt; none: we talked."
    )
    occurred_at: Instant | None = Field(None, description="When (default: now).")
    support_level: SupportLevel | None = None
    issues: list[Code] = Field(default_factory=list, max_length=30)
    issues_text: text(500) = None
    story: text(10000) = None
    agitation: text(10000) = None
    ask_kind: Code | None = None
    ask_text: text(500) = None
    response: Literal[RESPONSES] | None = None  # type: ignore[valid-type]
    notes: text(10000) = None
    follow_up_date: Day | None = None
    packet_id: Id | None = None
    commitments: list[CommitmentFields] = Field(default_factory=list, max_length=10)


class LadderMoveCreate(Shape):
    contact_id: Id
    to_stage_id: Id | None = Field(description="The stage to move to; null takes them off.")
    reason: text(500) = None


# -- answers -------------------------------------------------------------------------------


class Answer(BaseModel):
    """Records may carry more fields than documented in later versions."""

    model_config = ConfigDict(extra="allow")


class ContactOut(Answer):
    """A contact: the contacts export's columns (the full set) plus what organizers own.

    Voter-file demographics and registration fields (party, birth_year, birth_date, sex,
    race, ethnicity, registration_date, status, cd, sd, hd) are left out for roles that
    may not see them (README "Security", *Personal fields by role*). Private notes are not
    sent (as in the export); PATCH can still write them.
    """

    id: int
    contact_id: int
    source: str
    voter_id: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    suffix: str | None
    birth_year: int | None = None
    party: str | None = None
    address: str | None
    unit: str | None
    city: str | None
    state: str | None
    zip5: str | None
    zip4: str | None
    county: str | None
    precinct_code: str | None
    precinct_name: str | None
    phone: str | None = Field(description="The best dialable phone, E.164.")
    phones: list[str]
    email: str | None
    turf: str | None
    turf_id: int | None
    support_level: int | None
    not_in_latest_file: bool
    birth_date: date | None = None
    sex: str | None = None
    race: str | None = None
    ethnicity: str | None = None
    registration_date: date | None = None
    status: str | None = None
    cd: str | None = None
    sd: str | None = None
    hd: str | None = None
    mail_address: str | None
    mail_city: str | None
    mail_state: str | None
    mail_zip: str | None
    ladder_stage_id: int | None
    ladder_stage: str | None
    preferred_languages: str | None
    do_not_contact: bool
    tags: list[str]
    last_attempt_at: datetime | None
    last_contacted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Changes on every edit; the ETag is this number, quoted.")


class MeOut(Answer):
    id: int
    name: str
    email: str
    role: Literal["admin", "director", "organizer", "leader"]


class CreatedOut(Answer):
    """A record that was saved but that your scope does not show you."""

    id: int


class ConversationOut(Answer):
    """An attempt or conversation: the conversations export's columns and a few more.

    The one-on-one's story, agitation and notes are not sent (they stay in FieldCRM, as in
    the export); they can be written when logging.
    """

    id: int
    conversation_id: int
    contact_id: int
    voter_id: str | None
    source: str
    date: CalendarDay = Field(description="The day it happened, in the program's time zone.")
    occurred_at: datetime
    channel: str
    result_code: str | None
    is_conversation: bool
    support_level: int | None
    issues: list[str]
    issues_text: str | None
    ask_kind: str | None
    ask_text: str | None
    response: str | None
    follow_up_date: CalendarDay | None
    packet_id: int | None
    turf: str | None
    user_id: int | None
    canvasser_email: str | None
    created_at: datetime
    updated_at: datetime


class CommitmentOut(Answer):
    id: int
    commitment_id: int
    contact_id: int
    voter_id: str | None
    source: str
    conversation_id: int | None
    commitment_kind: str
    description: str | None
    commitment_status: str
    due_date: date | None
    created_at: datetime
    status_changed_at: datetime | None
    owner_id: int | None
    owner_email: str | None
    updated_at: datetime


class LadderMoveOut(Answer):
    id: int
    contact_id: int
    voter_id: str | None
    source: str
    from_stage_id: int | None
    from_stage: str | None
    to_stage_id: int | None
    to_stage: str | None
    moved_at: datetime
    by_user_id: int | None
    by_email: str | None
    reason: str | None


class TurfOut(Answer):
    id: int
    name: str
    region_id: int
    region: str
    precinct_codes: list[str]
    zip_codes: list[str]
    definition_version: int
    updated_at: datetime


class PacketOut(Answer):
    id: int
    name: str
    turf_id: int
    turf: str
    mode: str
    assigned_user_id: int | None
    door_count: int
    doors_attempted: int
    created_at: datetime


class DoorPerson(Answer):
    id: int
    display_name: str
    first_name: str | None
    last_name: str | None
    unit: str | None
    phone: str | None
    support_level: int | None
    ladder_stage_id: int | None
    do_not_contact: bool


class DoorOut(Answer):
    position: int
    household_key: str
    house_number: int | None
    street_name: str | None
    attempted: bool
    people: list[DoorPerson]


class PacketDetailOut(PacketOut):
    doors: list[DoorOut] = Field(description="In walking order.")


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code: not_found, validation_failed, …")
    message: str
    fields: dict[str, list[str]] | None = Field(
        None, description="For validation_failed: each field's problems."
    )

"""API: contacts (list, get, create, update with ETag / If-Match) and the caller."""

from __future__ import annotations

import re

from flask import request
from flask_babel import gettext as _

from fieldcrm.api import paging, records
from fieldcrm.api.errors import InputInvalid, error_response
from fieldcrm.api.schemas import (
    ContactCreate,
    ContactOut,
    ContactQuery,
    ContactUpdate,
    CreatedOut,
    MeOut,
)
from fieldcrm.api.views import actor, answer, json_body, operation, query_args, write
from fieldcrm.contacts import services
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.queries import ContactFilters, filter_clauses
from fieldcrm.errors import NotFound
from fieldcrm.extensions import db
from fieldcrm.scoping import get_contact

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


def etag(version: int) -> str:
    """A contact's ETag: its version number, quoted."""
    return f'"{version}"'


@operation(
    "/me",
    "GET",
    summary="The token's user",
    tag="account",
    description="Who this token acts for: id, name, email and role.",
    answer=MeOut,
)
def me():
    user = actor()
    return answer({"id": user.id, "name": user.name, "email": user.email, "role": user.role})


@operation(
    "/contacts",
    "GET",
    summary="List contacts",
    tag="contacts",
    description="The contacts your role and turfs let you see, by id, a page at a time. "
    "Filters combine (all must match).",
    query=ContactQuery,
    answer=ContactOut,
    paged=True,
    errors=(422,),
)
def list_contacts():
    args = query_args(ContactQuery)
    after = paging.decode("contacts", args.cursor)
    where = filter_clauses(
        ContactFilters(
            q=args.q or "",
            turf_id=args.turf_id,
            support_level=args.support_level,
            ladder_stage_id=args.ladder_stage_id,
        )
    )
    if args.precinct:
        where.append(Contact.precinct_code == args.precinct)
    if args.updated_since:
        where.append(Contact.updated_at >= args.updated_since)
    rows = records.contacts(actor(), where, after, args.limit + 1)
    return answer(paging.page("contacts", rows, args.limit))


@operation(
    "/contacts/<int:contact_id>",
    "GET",
    summary="Get a contact",
    tag="contacts",
    description="The ETag header carries the version to send back in If-Match when updating.",
    answer=ContactOut,
    errors=(404,),
)
def get_contact_record(contact_id: int):
    record = records.contact(actor(), contact_id)
    return answer(record, headers={"ETag": etag(record["version"])})


def _created_contact(contact_id: int) -> dict:
    """The new contact as the caller sees it; only its id when their scope does not show it
    (a volunteer leader's contacts are those assigned to them)."""
    try:
        return records.contact(actor(), contact_id)
    except NotFound:
        return {"id": contact_id}


@operation(
    "/contacts",
    "POST",
    summary="Add a contact",
    tag="contacts",
    description="A person met in the field, in one of your turfs (or none).",
    body=ContactCreate,
    answer=(ContactOut, CreatedOut),
    status=201,
    headers=("Idempotency-Key",),
    errors=(404, 415, 422),
)
def create_contact():
    body, raw = json_body(ContactCreate)

    def save() -> int:
        data = services.ContactInput(
            first_name=body.first_name,
            last_name=body.last_name or "",
            middle_name=body.middle_name,
            phone=body.phone,
            email=body.email,
            res_line1=body.address,
            res_city=body.city,
            res_state=body.state.upper() if body.state else None,
            res_zip5=body.zip5,
            preferred_languages=body.preferred_languages,
            turf_id=body.turf_id,
        )
        return services.create_contact(actor(), data).id

    return write("contacts.create", raw, save, _created_contact)


@operation(
    "/contacts/<int:contact_id>",
    "PATCH",
    summary="Update what organizers own",
    tag="contacts",
    description="Only the fields sent change. Send If-Match with the ETag you read: a "
    "contact changed since answers 412 and nothing is saved.",
    body=ContactUpdate,
    answer=ContactOut,
    headers=("If-Match",),
    errors=(404, 412, 415, 422, 428),
)
def update_contact(contact_id: int):
    who = actor()
    contact = get_contact(who, contact_id)
    sent = request.headers.get("If-Match")
    if sent is None:
        return error_response(428)
    body, _raw = json_body(ContactUpdate)
    if sent.strip() == "*":
        version = contact.version
    else:
        match = _ETAG.match(sent)
        if match is None:
            raise InputInvalid({"If-Match": [_("Send the ETag exactly as you read it.")]})
        version = int(match.group(1))
    if version != contact.version:
        return error_response(412, headers={"ETag": etag(contact.version)})
    given = body.model_fields_set
    data = services.ContactEdit(
        version=version,
        support_level=body.support_level if "support_level" in given else contact.support_level,
        preferred_languages=(
            body.preferred_languages
            if "preferred_languages" in given
            else contact.preferred_languages
        ),
        do_not_contact=(
            bool(body.do_not_contact)
            if "do_not_contact" in given and body.do_not_contact is not None
            else contact.do_not_contact
        ),
        notes=body.notes if "notes" in given else contact.notes,
        tags=tuple(body.tags or ()) if "tags" in given else tuple(t.name for t in contact.tags),
    )
    services.update_contact(who, contact, data)
    db.session.commit()
    record = records.contact(actor(), contact_id)
    return answer(record, headers={"ETag": etag(record["version"])})

"""Cursor pagination: keyset on id, with an opaque cursor.

A page is the next `limit` records by id after the cursor's id. Unlike OFFSET paging a
page costs the same at the millionth record as at the first, and records written while a
client pages are neither skipped nor repeated. The cursor is the last id of a page, tagged
with the list it belongs to, in URL-safe base64: clients pass it back as it is.
"""

from __future__ import annotations

import base64
import binascii

from fieldcrm.api.errors import InputInvalid


def encode(kind: str, last_id: int) -> str:
    """The cursor that continues list `kind` after record `last_id`."""
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def decode(kind: str, cursor: str | None) -> int:
    """The id after which list `kind` continues (0: from the start).

    Raises InputInvalid for a cursor that is not one of this list's.
    """
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        tag, _, value = text.partition(":")
        last_id = int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        last_id, tag = -1, ""
    if tag != kind or not 0 <= last_id < 2**31:
        raise InputInvalid({"cursor": ["Not a cursor of this list: pass `next` as it came."]})
    return last_id


def page(kind: str, records: list[dict], limit: int) -> dict:
    """`{"data": …, "next": …}` from up to limit + 1 records read in id order."""
    more = len(records) > limit
    data = records[:limit]
    return {"data": data, "next": encode(kind, data[-1]["id"]) if more else None}

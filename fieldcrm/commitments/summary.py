"""A follow-up outcome in words: the confirmation shown after marking one, on the page (a
flash) and on a phone that sent it from its queue (the sync answer)."""

from __future__ import annotations

from flask_babel import gettext as _

from fieldcrm.commitments.models import Commitment
from fieldcrm.labels import label


def marked_message(commitment: Commitment, status: str) -> str:
    """The outcome as the person reads it: "Pat Doe: marked kept."."""
    return _(
        "%(name)s: marked %(status)s.",
        name=commitment.contact.display_name,
        status=label(status, "commitment_status").lower(),
    )

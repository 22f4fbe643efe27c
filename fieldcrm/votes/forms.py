"""The vote-history filter fields, shared by the cut form and the coverage filter.

Each form declares the four fields with these helpers (so they render where the form puts
them), fills the election choices with ``set_vote_choices`` and reads the filter with
``vote_filter_from``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from fieldcrm.errors import ValidationFailed
from fieldcrm.votes.queries import (
    MAX_GENERALS,
    VOTE_FILTER_KINDS,
    VoteFilter,
    check_vote_filter,
    election_choices,
)

_LABELS = {
    "n_of_m_general": _l("Voted in N of the last M general elections"),
    "voted_in": _l("Voted in an election"),
    "not_voted_in": _l("Did not vote in an election"),
    "never": _l("Never voted (no vote on file)"),
}
VOTE_FILTER_CHOICES = [("", _l("Any vote history"))] + [(k, _LABELS[k]) for k in VOTE_FILTER_KINDS]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def vote_filter_field() -> SelectField:
    return SelectField(_l("Vote history"), choices=VOTE_FILTER_CHOICES, default="")


def vote_voted_field() -> IntegerField:
    return IntegerField(
        _l("Voted in at least (N)"),
        default=2,
        validators=[Optional(), NumberRange(0, MAX_GENERALS)],
        description=_l("For “Voted in N of the last M general elections”."),
    )


def vote_of_last_field() -> IntegerField:
    return IntegerField(
        _l("Of the last (M) general elections"),
        default=4,
        validators=[Optional(), NumberRange(1, MAX_GENERALS)],
    )


def vote_election_field() -> SelectField:
    return SelectField(
        _l("Election"),
        coerce=_int_or_none,
        validate_choice=False,
        description=_l("For “Voted in” and “Did not vote in” an election."),
    )


def set_vote_choices(form: Any) -> None:
    """Fill the election choices from the elections on file."""
    form.vote_election.choices = [("", "—"), *election_choices()]


def checked_vote_filter(form: Any) -> VoteFilter | None:
    """The form's vote-history filter when it is well formed; else None, with the problem
    shown on its field (for GET filters, which show a report either way)."""
    try:
        return check_vote_filter(vote_filter_from(form))
    except ValidationFailed as exc:
        for name, message in exc.errors:
            field = getattr(form, name or "vote_filter", form.vote_filter)
            field.errors = [*list(field.errors), message]
        return None


def vote_filter_from(form: Any) -> VoteFilter | None:
    """The form's vote-history filter, or None when it asks for none."""
    kind = form.vote_filter.data or ""
    if not kind:
        return None
    return VoteFilter(
        kind=kind,
        voted=form.vote_voted.data if form.vote_voted.data is not None else 2,
        of_last=form.vote_of_last.data or 4,
        election_id=form.vote_election.data,
    )

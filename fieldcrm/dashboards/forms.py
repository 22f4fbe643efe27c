"""Dashboard forms: the coverage filter and the weekly-goal form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, SubmitField
from wtforms.validators import NumberRange, Optional

from fieldcrm.forms import FieldCRMForm, HiddenIdField
from fieldcrm.votes.forms import (
    checked_vote_filter,
    set_vote_choices,
    vote_election_field,
    vote_filter_field,
    vote_of_last_field,
    vote_voted_field,
)
from fieldcrm.votes.queries import VoteFilter


class CoverageFilterForm(FieldCRMForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    def load_elections(self) -> None:
        """Fill the vote-history election choices from the elections on file."""
        set_vote_choices(self)

    def vote_history(self) -> VoteFilter | None:
        """The vote-history filter when well formed (else None, the problem on its field)."""
        return checked_vote_filter(self)

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    universe = SelectField(_l("Universe"), default="all", validate_choice=False)
    stale_days = IntegerField(
        _l("Days without a conversation"), default=30, validators=[Optional(), NumberRange(1, 3650)]
    )
    vote_filter = vote_filter_field()
    vote_voted = vote_voted_field()
    vote_of_last = vote_of_last_field()
    vote_election = vote_election_field()
    sort = SelectField(
        _l("Sort by"),
        default="gap",
        validate_choice=False,
        choices=[
            ("gap", _l("Gap (largest first)")),
            ("name", _l("Name")),
            ("universe", _l("Universe (largest first)")),
            ("coverage", _l("Coverage (lowest first)")),
            ("reach", _l("Reach (lowest first)")),
            ("rate", _l("Contact rate (lowest first)")),
            ("leaders", _l("Local leaders (fewest first)")),
            ("activity", _l("Last activity (oldest first)")),
        ],
    )
    turf = HiddenField()


class GoalForm(FieldCRMForm):
    organizer_id = HiddenIdField()
    week = SelectField(_l("For"), validate_choice=False)
    attempts = IntegerField(_l("Attempts"), validators=[Optional(), NumberRange(0, 100_000)])
    conversations = IntegerField(
        _l("Conversations"), validators=[Optional(), NumberRange(0, 100_000)]
    )
    one_on_ones = IntegerField(_l("One-on-ones"), validators=[Optional(), NumberRange(0, 100_000)])
    commitments = IntegerField(_l("Commitments"), validators=[Optional(), NumberRange(0, 100_000)])
    submit = SubmitField(_l("Set goal"))

"""Door forms: cutting a turf into packets, assigning a packet, a one-tap result."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldcrm.contacts.forms import _int_or_none
from fieldcrm.forms import FieldCRMForm, HiddenIdField
from fieldcrm.votes.forms import (
    vote_election_field,
    vote_filter_field,
    vote_of_last_field,
    vote_voted_field,
)


class CutForm(FieldCRMForm):
    universe = SelectField(_l("Who to include"), default="all")
    stale_days = IntegerField(
        _l("Days without a conversation"),
        default=30,
        validators=[Optional(), NumberRange(min=1, max=3650)],
        description=_l("Only for “No conversation in the last N days”."),
    )
    vote_filter = vote_filter_field()
    vote_voted = vote_voted_field()
    vote_of_last = vote_of_last_field()
    vote_election = vote_election_field()
    target_size = IntegerField(
        _l("Doors per packet"), default=50, validators=[DataRequired(), NumberRange(5, 500)]
    )
    mode = SelectField(
        _l("Worked by"), choices=[("door", _l("Walking (doors)")), ("phone", _l("Phone bank"))]
    )
    name_prefix = StringField(_l("Packet name"), validators=[Optional(), Length(max=100)])
    assigned_user_id = SelectField(_l("Assign to"), coerce=_int_or_none, validate_choice=False)
    submit = SubmitField(_l("Cut packets"))


class AssignPacketForm(FieldCRMForm):
    assigned_user_id = SelectField(_l("Assign to"), coerce=_int_or_none, validate_choice=False)
    submit = SubmitField(_l("Assign"))


class AttemptForm(FieldCRMForm):
    """One tap from the mobile list: a result code ("talked" opens the conversation form)."""

    contact_id = HiddenIdField(validators=[DataRequired()])
    result = HiddenField(validators=[DataRequired(), Length(max=40)])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=40)])

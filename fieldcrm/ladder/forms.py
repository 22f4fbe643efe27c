"""Ladder forms: a one-tap move with a reason, the board filters, stage settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from fieldcrm.contacts.forms import _int_or_none
from fieldcrm.forms import FieldCRMForm, blank_to_none


class MoveForm(FieldCRMForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])
    reason = StringField(
        _l("Why (optional)"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )


class BoardFilterForm(FieldCRMForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    organizer = SelectField(_l("Organizer"), coerce=_int_or_none, validate_choice=False)
    turf = SelectField(_l("Turf"), coerce=_int_or_none, validate_choice=False)
    region = SelectField(_l("Region"), coerce=_int_or_none, validate_choice=False)


class StageForm(FieldCRMForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    position = IntegerField(
        _l("Order"),
        validators=[DataRequired(), NumberRange(min=0, max=1000)],
        description=_l("Lower numbers are earlier rungs."),
    )
    description = StringField(
        _l("What it takes"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save stage"))

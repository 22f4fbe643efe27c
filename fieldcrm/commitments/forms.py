"""Follow-up forms: one-tap outcomes (undone or corrected later), handing a follow-up to
someone else, list filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from fieldcrm.contacts.forms import _int_or_none
from fieldcrm.forms import FieldCRMForm, HiddenIdField, blank_to_none

OUTCOMES = ("kept", "flaked", "rescheduled", "cancelled")


class OutcomeForm(FieldCRMForm):
    """The outcome buttons carry `status`; a date is needed only to reschedule."""

    status = SelectField(
        _l("Outcome"),
        choices=[(s, s) for s in (*OUTCOMES, "open")],
    )
    note = StringField(
        _l("Note (optional)"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )
    new_due_date = DateField(_l("New date"), validators=[Optional()])


class UndoForm(FieldCRMForm):
    """The Undo button under a tapped outcome: which history event it takes back."""

    event_id = HiddenIdField()


class CorrectForm(FieldCRMForm):
    """Correct a kept / flaked / cancelled outcome later, with a reason."""

    status = SelectField(
        _l("It should be"),
        choices=[
            ("kept", _l("Kept")),
            ("flaked", _l("Flaked")),
            ("cancelled", _l("Cancelled")),
            ("open", _l("Open again (follow up)")),
        ],
    )
    note = StringField(
        _l("Why (optional)"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )


class ReassignForm(FieldCRMForm):
    owner_id = SelectField(_l("Hand to"), coerce=_int_or_none, validate_choice=False)
    note = StringField(
        _l("Note (optional)"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )


class FollowUpFilterForm(FieldCRMForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    organization = SelectField(_l("Organization"), coerce=_int_or_none, validate_choice=False)
    language = StringField(_l("Language"), validators=[Optional(), Length(max=20)])


class SmsTemplateForm(FieldCRMForm):
    sms_template = StringField(
        _l("Your follow-up text"),
        validators=[Optional(), Length(max=320)],
        description=_l(
            "{first_name}, {commitment} and {sender} are filled in. Blank: the default."
        ),
    )

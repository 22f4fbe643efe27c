"""The Account page's token form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from fieldcrm.forms import FieldCRMForm

EXPIRY_CHOICES = [
    ("30", _l("In 30 days")),
    ("90", _l("In 90 days")),
    ("365", _l("In a year")),
    ("", _l("Never (revoke it yourself)")),
]


def _days(value):
    return int(value) if value not in (None, "") else None


class TokenForm(FieldCRMForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("What will use it, e.g. “Parsons sync” or “Spoke export”."),
    )
    expires_in_days = SelectField(_l("Expires"), choices=EXPIRY_CHOICES, default="90", coerce=_days)
    submit = SubmitField(_l("Create token"))

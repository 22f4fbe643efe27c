"""Organization forms: create/edit, link a contact with a role."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from fieldcrm.contacts.forms import _int_or_none
from fieldcrm.forms import FieldCRMForm, blank_to_none
from fieldcrm.labels import choices_of
from fieldcrm.organizations.services import OrganizationInput

KIND_CHOICES = choices_of("organization_kind")
ROLE_CHOICES = choices_of("affiliation_role")


class OrganizationForm(FieldCRMForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    region_id = SelectField(_l("Region"), coerce=_int_or_none, validate_choice=False)
    description = TextAreaField(
        _l("About"), validators=[Optional(), Length(max=5000)], filters=[blank_to_none]
    )
    submit = SubmitField(_l("Save organization"))

    def to_input(self) -> OrganizationInput:
        return OrganizationInput(
            name=self.name.data,
            kind=self.kind.data,
            description=self.description.data,
            region_id=self.region_id.data,
        )


class LinkForm(FieldCRMForm):
    organization_id = SelectField(_l("Organization"), coerce=_int_or_none, validate_choice=False)
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Link"))

"""Contact forms: search/filter, create by hand, edit organizer-owned fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from fieldcrm.contacts.services import ContactEdit, ContactInput
from fieldcrm.forms import FieldCRMForm, HiddenIdField
from fieldcrm.labels import choices_of


def _int_or_none(value):
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    # Ids are 32-bit in the database: a bigger number is no id (and must not reach SQL).
    return number if number is None or -(2**31) <= number < 2**31 else None


def _support_or_none(value):
    """A support level 1-5, or None for anything else (the column is a small integer)."""
    number = _int_or_none(value)
    return number if number is not None and 1 <= number <= 5 else None  # noqa: PLR2004


SUPPORT_CHOICES = [
    ("", _l("Unknown")),
    ("1", _l("1 - Strong support")),
    ("2", _l("2 - Lean support")),
    ("3", _l("3 - Undecided")),
    ("4", _l("4 - Lean against")),
    ("5", _l("5 - Strong against")),
]


class ContactSearchForm(FieldCRMForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=200)],
        description=_l("Name, phone, address or voter id"),
    )
    turf = SelectField(_l("Turf"), coerce=_int_or_none, validate_choice=False)
    support = SelectField(
        _l("Support"), coerce=_support_or_none, validate_choice=False, choices=SUPPORT_CHOICES
    )
    stage = SelectField(_l("Ladder stage"), coerce=_int_or_none, validate_choice=False)
    organization = SelectField(_l("Organization"), coerce=_int_or_none, validate_choice=False)
    language = StringField(_l("Language"), validators=[Optional(), Length(max=20)])
    not_contacted = BooleanField(_l("Not yet reached"))
    sort = SelectField(
        _l("Sort"),
        validate_choice=False,
        choices=[
            ("name", _l("Name")),
            ("address", _l("Street")),
            ("recent", _l("Recently reached")),
            ("support", _l("Support level")),
        ],
    )


class ContactForm(FieldCRMForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    middle_name = StringField(_l("Middle name"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    res_line1 = StringField(_l("Street address"), validators=[Optional(), Length(max=200)])
    res_city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    res_state = StringField(_l("State"), validators=[Optional(), Length(max=2)])
    res_zip5 = StringField(_l("ZIP"), validators=[Optional(), Length(min=5, max=5)])
    preferred_languages = StringField(
        _l("Preferred languages"), validators=[Optional(), Length(max=100)]
    )
    turf_id = SelectField(_l("Turf"), coerce=_int_or_none, validate_choice=False)
    # Sent by the buttons under the people on file offered as matches (not shown as fields).
    link_contact_id = HiddenIdField()
    confirm_new = BooleanField()
    submit = SubmitField(_l("Add contact"))

    # The fields a person fills in (the template renders these; the rest are buttons).
    ENTRY_FIELDS = (
        "first_name", "middle_name", "last_name", "phone", "email", "res_line1", "res_city",
        "res_state", "res_zip5", "preferred_languages", "turf_id",
    )  # fmt: skip

    def to_input(self) -> ContactInput:
        return ContactInput(
            first_name=self.first_name.data,
            last_name=self.last_name.data or "",
            middle_name=self.middle_name.data or None,
            phone=self.phone.data or None,
            email=self.email.data or None,
            res_line1=self.res_line1.data or None,
            res_city=self.res_city.data or None,
            res_state=(self.res_state.data or "").upper() or None,
            res_zip5=self.res_zip5.data or None,
            preferred_languages=self.preferred_languages.data or None,
            turf_id=self.turf_id.data,
        )


class ContactEditForm(FieldCRMForm):
    version = HiddenIdField()
    support_level = SelectField(
        _l("Support level"), coerce=_int_or_none, choices=SUPPORT_CHOICES, validate_choice=False
    )
    preferred_languages = StringField(
        _l("Preferred languages"), validators=[Optional(), Length(max=100)]
    )
    tags = StringField(
        _l("Tags"), validators=[Optional(), Length(max=500)], description=_l("Comma-separated")
    )
    do_not_contact = BooleanField(_l("Do not contact"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))

    def to_input(self) -> ContactEdit:
        return ContactEdit(
            version=int(self.version.data or 0),
            support_level=self.support_level.data,
            preferred_languages=self.preferred_languages.data or None,
            do_not_contact=bool(self.do_not_contact.data),
            notes=self.notes.data or None,
            tags=tuple(t for t in (self.tags.data or "").split(",") if t.strip()),
        )


class PhoneForm(FieldCRMForm):
    phone = TelField(_l("Add a phone"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(
        _l("Type"),
        choices=choices_of("phone_kind", ("cell", "home", "work")),
    )
    submit = SubmitField(_l("Add phone"))


class LeaderListForm(FieldCRMForm):
    """Put people on a volunteer leader's list (or take them off): the people are checked
    contact ids, or every resident of a walk packet."""

    leader_id = SelectField(_l("Volunteer leader"), coerce=_int_or_none, validate_choice=False)
    contact_ids = SelectMultipleField(coerce=_int_or_none, validate_choice=False)
    packet_id = HiddenIdField()
    action = SelectField(choices=[("add", "add"), ("remove", "remove")], default="add")

"""Sign-in, password and user-admin forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from fieldcrm.auth.models import ROLE_VALUES
from fieldcrm.auth.services import UserInput
from fieldcrm.forms import FieldCRMForm
from fieldcrm.labels import choices_of


class LoginForm(FieldCRMForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class ConfirmIdentityForm(FieldCRMForm):
    secret = PasswordField(
        _l("Your password, or a code from your authenticator app"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password", "autofocus": True},
    )
    submit = SubmitField(_l("Confirm"))


class PasswordForm(FieldCRMForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class PreferencesForm(FieldCRMForm):
    locale = SelectField(_l("Language of the app"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, languages: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = list(languages.items())


class UserForm(FieldCRMForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    # A new user starts with the least privilege; an admin raises it deliberately.
    role = SelectField(_l("Role"), choices=choices_of("role", ROLE_VALUES), default="leader")
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=10, max=200)],
        description=_l("At least 10 characters. Leave blank to keep the current password."),
    )
    locale = SelectField(_l("Language of the app"))
    languages = StringField(
        _l("Languages they organize in"),
        validators=[Optional(), Length(max=100)],
        description=_l("Comma-separated, e.g. en, es"),
    )
    regions = SelectMultipleField(_l("Regions (directors)"), coerce=int)
    turfs = SelectMultipleField(_l("Turfs (organizers and leaders)"), coerce=int)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, regions, turfs, languages: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.regions.choices = [(r.id, r.name) for r in regions]
        self.turfs.choices = [(t.id, f"{t.region.name} / {t.name}") for t in turfs]
        self.locale.choices = list(languages.items())

    def to_input(self) -> UserInput:
        return UserInput(
            email=self.email.data,
            name=self.name.data,
            role=self.role.data,
            active=bool(self.active.data),
            password=self.password.data or None,
            locale=self.locale.data,
            languages=self.languages.data or None,
            region_ids=tuple(self.regions.data or ()),
            turf_ids=tuple(self.turfs.data or ()),
        )


class TwoFactorForm(FieldCRMForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("6 digits, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )
    submit = SubmitField(_l("Verify"))


class TwoFactorSetupForm(FieldCRMForm):
    code = StringField(
        _l("Code shown in the app"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on two-step sign-in"))


class TwoFactorManageForm(FieldCRMForm):
    """Password and a current code: to turn 2FA off or replace the recovery codes."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Confirm"))


class AuditSearchForm(FieldCRMForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = StringField(
        _l("Action starts with"),
        validators=[Optional(), Length(max=60)],
        description=_l("e.g. auth., access., export., contact."),
    )
    actor = StringField(_l("User (id or email)"), validators=[Optional(), Length(max=254)])
    entity_type = StringField(
        _l("Record type"), validators=[Optional(), Length(max=40)], description=_l("e.g. contacts")
    )
    entity_id = IntegerField(_l("Record id"), validators=[Optional(), NumberRange(0, 2**31 - 1)])
    ip = StringField(_l("IP address starts with"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To (inclusive)"), validators=[Optional()])
    submit = SubmitField(_l("Search"))

"""Webhook forms: an endpoint (URL, secret, events, on/off)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fieldcrm.forms import FieldCRMForm, blank_to_none
from fieldcrm.webhooks.events import EVENTS
from fieldcrm.webhooks.services import EndpointInput


class EventsField(SelectMultipleField):
    """The events an endpoint receives, as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FieldCRMForm):
    """Register or change an endpoint. A blank secret keeps the current one (or, for a new
    endpoint, generates one that is shown once)."""

    url = StringField(
        _l("URL"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("http:// or https:// only; redirects are not followed."),
    )
    secret = PasswordField(
        _l("Secret"),
        validators=[Optional(), Length(min=16, max=200)],
        filters=[blank_to_none],
        description=_l("At least 16 characters. Leave blank to keep it (or to have one made)."),
    )
    description = StringField(
        _l("Description"), validators=[Optional(), Length(max=200)], filters=[blank_to_none]
    )
    # no "required" validator: browsers would then require every box (the service checks)
    events = EventsField(_l("Events"))
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003 - FlaskForm's signature
        super().__init__(*args, **kwargs)
        self.events.choices = [(name, label) for name, label in EVENTS.items()]

    def to_input(self) -> EndpointInput:
        return EndpointInput(
            url=self.url.data or "",
            events=tuple(self.events.data or ()),
            secret=self.secret.data or None,
            description=self.description.data,
            active=bool(self.active.data),
        )

"""Turf forms: turf definition, people, radius search, goals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldcrm.forms import FieldCRMForm, HiddenIdField


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def split_codes(text: str | None) -> list[str]:
    """Precinct or ZIP codes typed with commas, spaces or new lines."""
    return [c for c in (text or "").replace(",", " ").split() if c]


class TurfForm(FieldCRMForm):
    region = SelectField(_l("Region"), coerce=_int_or_none, validate_choice=False)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    precinct_codes = TextAreaField(
        _l("Precinct codes"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Separated by commas or spaces, e.g. P01, P02"),
    )
    zip_codes = TextAreaField(
        _l("ZIP codes"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Five-digit ZIP codes, separated by commas or spaces"),
    )
    geojson_file = FileField(_l("Area (GeoJSON file)"))
    geojson = TextAreaField(
        _l("Area (GeoJSON)"),
        validators=[Optional()],
        description=_l(
            "Paste a Polygon, MultiPolygon, Feature or FeatureCollection, or draw it on the map."
        ),
    )
    clear_area = SelectField(
        _l("Area"),
        choices=[("keep", _l("Keep as entered")), ("clear", _l("Remove the area"))],
        default="keep",
    )
    submit = SubmitField(_l("Save turf"))


class TurfPeopleForm(FieldCRMForm):
    people = SelectMultipleField(_l("Organizers and leaders"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save people"))


class RadiusForm(FieldCRMForm):
    """Who's nearby. The page asks for `near` (a name or an address); links and the JSON
    also take a picked contact, a point, or an address in parts."""

    class Meta:
        csrf = False  # a GET search changes nothing

    near = StringField(
        _l("Near"),
        validators=[Optional(), Length(max=200)],
        description=_l("A person's name, or an address such as 12 Oak St, Burlington NC 27215"),
    )
    contact_id = HiddenIdField()
    line1 = StringField(_l("Street address"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    state = StringField(_l("State"), validators=[Optional(), Length(max=2)])
    zip5 = StringField(_l("ZIP"), validators=[Optional(), Length(max=10)])
    lat = DecimalField(_l("Latitude"), places=None, validators=[Optional()])
    lon = DecimalField(_l("Longitude"), places=None, validators=[Optional()])
    miles = DecimalField(
        _l("Within (miles)"), default=1, places=None, validators=[Optional(), NumberRange(0.01, 50)]
    )
    doors = SelectField(
        _l("Show"), choices=[("people", _l("People")), ("doors", _l("Doors"))], default="people"
    )

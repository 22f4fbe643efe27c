"""Import forms: upload, column mapping (built from the file's columns)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from fieldcrm.forms import FieldCRMForm
from fieldcrm.imports.layouts import CANONICAL_FIELDS, PHONE_KINDS

#: Canonical fields offered on the mapping form, with their labels.
MAPPING_FIELDS: tuple[tuple[str, str], ...] = (
    ("voter_id", _l("Voter id")),
    ("first_name", _l("First name")),
    ("middle_name", _l("Middle name")),
    ("last_name", _l("Last name")),
    ("name_suffix", _l("Suffix")),
    ("birth_date", _l("Birth date")),
    ("birth_year", _l("Birth year")),
    ("sex", _l("Sex")),
    ("race", _l("Race")),
    ("ethnicity", _l("Ethnicity")),
    ("party", _l("Party")),
    ("res_line1", _l("Street address")),
    ("res_unit", _l("Apartment / unit")),
    ("res_city", _l("City")),
    ("res_state", _l("State")),
    ("res_zip", _l("ZIP code")),
    ("res_zip4", _l("ZIP+4")),
    ("mail_line1", _l("Mailing address")),
    ("mail_city", _l("Mailing city")),
    ("mail_state", _l("Mailing state")),
    ("mail_zip", _l("Mailing ZIP")),
    ("county", _l("County")),
    ("precinct_code", _l("Precinct code")),
    ("precinct_name", _l("Precinct name")),
    ("cd", _l("Congressional district")),
    ("sd", _l("State senate district")),
    ("hd", _l("State house district")),
    ("registration_date", _l("Registration date")),
    ("status", _l("Voter status")),
    ("latitude", _l("Latitude")),
    ("longitude", _l("Longitude")),
    ("email", _l("Email")),
    ("cell_phone", _l("Cell phone")),
    ("home_phone", _l("Home phone")),
    ("phone", _l("Other phone")),
)
assert {k for k, _ in MAPPING_FIELDS} <= set(CANONICAL_FIELDS) | set(PHONE_KINDS)


class UploadForm(FieldCRMForm):
    """A voter file to check before importing."""

    file = FileField(
        _l("Voter file"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l("CSV, tab or pipe separated text, or a .zip / .gz of such files."),
    )
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=50)],
        render_kw={"list": "known-sources", "autocomplete": "off"},
        description=_l(
            "Leave empty to name it after the file: a recognised state voter file becomes "
            "its state (nc, fl, oh). Or pick a source already loaded (re-imports of a source "
            "update the same people), or type a new name."
        ),
    )
    # Not ticked by default: on a file that is not complete (a county, a VAN list), it
    # marks everyone else of the source "not in latest file"; left unticked on a full file
    # it only leaves that flag for the next full import to set.
    full_file = BooleanField(
        _l("This is the full file (mark people missing from it as not in latest file)"),
        default=False,
    )
    mapping = SelectField(_l("Saved column mapping"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Upload and check"))


class MappingFormBase(FieldCRMForm):
    """Column mapping for a file no layout matches; fields are added per canonical field."""

    mapping_name = StringField(
        _l("Save this mapping as"),
        validators=[Optional(), Length(max=80)],
        description=_l("Optional: reuse it for the next file of this shape."),
    )
    submit = SubmitField(_l("Check with this mapping"))


class SourceForm(FieldCRMForm):
    """The source a checked file is imported under (the check runs again with it)."""

    source = StringField(
        _l("Source"),
        validators=[DataRequired(), Length(max=50)],
        render_kw={"list": "known-sources", "autocomplete": "off"},
    )
    submit = SubmitField(_l("Check again with this source"))


class StartForm(FieldCRMForm):
    """Start a checked import; confirms voter ids already loaded under another source."""

    confirm_other_sources = BooleanField(
        _l("I understand: import these people under this source anyway")
    )


def mapping_form(columns: list[str], current: dict | None = None, **kwargs) -> MappingFormBase:
    """A mapping form offering the file's `columns` for every canonical field."""
    choices = [("", _l("— not in this file —")), *[(c, c) for c in columns]]

    class MappingForm(MappingFormBase):
        pass

    for key, label in MAPPING_FIELDS:
        value = (current or {}).get(key)
        default = value[0] if isinstance(value, list) and value else value
        setattr(
            MappingForm,
            f"m_{key}",
            SelectField(label, choices=choices, default=default or "", validators=[Optional()]),
        )
    form = MappingForm(**kwargs)
    return form


def mapping_from_form(form: MappingFormBase) -> dict:
    """The canonical field -> column mapping the form describes."""
    return {
        key: getattr(form, f"m_{key}").data
        for key, _label in MAPPING_FIELDS
        if getattr(form, f"m_{key}").data
    }


def mapping_fields(form: MappingFormBase) -> list:
    """The mapping select fields in display order."""
    return [getattr(form, f"m_{key}") for key, _label in MAPPING_FIELDS]

"""Import forms: upload, column mapping (built from the file's columns)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from fieldcrm.forms import FieldCRMForm
from fieldcrm.imports.layouts import CANONICAL_FIELDS, MAPPING_KEYS, MAPPING_OPTIONS, PHONE_KINDS

#: Canonical fields offered on the mapping form, with their labels.
MAPPING_FIELDS: tuple[tuple[str, str], ...] = (
    ("voter_id", _l("Voter id")),
    ("first_name", _l("First name")),
    ("middle_name", _l("Middle name")),
    ("last_name", _l("Last name")),
    ("name_suffix", _l("Suffix")),
    ("full_name", _l("Full name (split into first, middle, last, suffix)")),
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


DATE_ORDER_CHOICES = (
    ("", _l("As the layout reads them (8 digits: YYYYMMDD; a/b/yyyy: month first)")),
    ("MDY", _l("MDY: month first (01/31/1980, 01311980)")),
    ("DMY", _l("DMY: day first (31/01/1980, 31011980)")),
    ("YMD", _l("YMD: year first (19800131, 1980-01-31)")),
)
assert {k for k, _ in DATE_ORDER_CHOICES if k} == set(MAPPING_OPTIONS["date_order"])


def _first(value: object) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value or None  # type: ignore[return-value]


def mapping_form(columns: list[str], current: dict | None = None, **kwargs) -> MappingFormBase:
    """A mapping form offering the file's `columns` for every canonical field, preset from
    `current` (the mapping in force: detected, or the user's); each field's hint is its name in
    a saved mapping."""
    choices = [("", _l("— not in this file —")), *[(c, c) for c in columns]]
    current = current or {}

    class MappingForm(MappingFormBase):
        date_order = SelectField(
            _l("Date order"),
            choices=list(DATE_ORDER_CHOICES),
            default=current.get("date_order") or "",
            validators=[Optional()],
            description="date_order",
        )

    for key, label in MAPPING_FIELDS:
        default = _first(current.get(key))
        setattr(
            MappingForm,
            f"m_{key}",
            SelectField(
                label,
                choices=choices,
                default=default if default in columns else "",
                validators=[Optional()],
                description=key,
            ),
        )
    form = MappingForm(**kwargs)
    form.current = current
    form.mapping_keys = MAPPING_KEYS  # every name a saved mapping (JSON) may hold, for the hint
    return form


def mapping_from_form(form: MappingFormBase, saved: dict | None = None) -> dict:
    """The user mapping after this form: `saved` (the batch's user mapping) with the fields the
    form changed from the mapping in force. A field set to "not in this file" is ``None``, so
    detection does not fill it in again; a field left as it was is not named, so a column the
    form cannot show (joined mail lines, a street in parts) stays as detected."""
    current = getattr(form, "current", {}) or {}
    mapping = dict(saved or {})
    for key, _label in MAPPING_FIELDS:
        chosen = getattr(form, f"m_{key}").data or None
        if chosen != _first(current.get(key)):
            mapping[key] = chosen
    if form.date_order.data:
        mapping["date_order"] = form.date_order.data
    else:
        mapping.pop("date_order", None)
    return mapping


def mapping_fields(form: MappingFormBase) -> list:
    """The mapping select fields in display order."""
    return [getattr(form, f"m_{key}") for key, _label in MAPPING_FIELDS]

"""The form base class and shared field helpers (house style §7)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from fieldcrm.labels import language_names
from fieldcrm.lib.dates import DATE_MAX, DATE_MIN, in_bounds


def strip(value: Any) -> Any:
    """Strip whitespace, tolerating None."""
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value: Any) -> Any:
    value = strip(value)
    return value if value not in ("", None) else None


def int32(value: Any) -> int:
    """int() limited to the database's 32-bit integers (ids, counts); ValueError beyond."""
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError(value)
    return number


class BoundedDateField(DateField):
    """A DateField that refuses dates outside DATE_MIN..DATE_MAX (fieldcrm.lib.dates).

    An out-of-range date leaves `data` None and a field error, exactly like a malformed
    one, so no view ever does arithmetic with year 1 or 9999.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not in_bounds(self.data):
            self.data = None
            raise ValueError(
                _(
                    "Enter a date between %(min)s and %(max)s.",
                    min=DATE_MIN.isoformat(),
                    max=DATE_MAX.isoformat(),
                )
            )


class BoundedIntegerField(IntegerField):
    """An IntegerField limited to the database's 32-bit integers: a longer number leaves
    `data` None and a field error instead of overflowing the driver later."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not -(2**31) <= self.data < 2**31:
            self.data = None
            raise ValueError(_("Enter a smaller number."))


class HiddenIdField(BoundedIntegerField):
    """A hidden record id: a whole number in the database's 32-bit id range, or a field
    error (never an int() of whatever the browser sent)."""

    widget = HiddenInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        validators = [*(validators or [Optional()]), NumberRange(0, 2**31 - 1)]
        super().__init__(label, validators, **kwargs)


_BOUNDED: dict[type, type] = {DateField: BoundedDateField, IntegerField: BoundedIntegerField}
_STRIPPED_FIELDS = {"StringField", "TextAreaField", "EmailField", "SearchField", "TelField"}


class FieldCRMForm(FlaskForm):
    """FlaskForm plus mapping of service errors back onto fields.

    Every form strips whitespace from its text fields, bounds its date and integer fields
    and keeps integer choices within 32 bits; all are applied here, when fields are
    bound, so no form can forget them.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            kwargs = dict(unbound_field.kwargs)
            if field_class.__name__ in _STRIPPED_FIELDS:
                kwargs["filters"] = (strip, *kwargs.get("filters", ()))
            field_class = _BOUNDED.get(field_class, field_class)
            if kwargs.get("coerce") is int:  # choices of ids: a huge number is no choice
                kwargs["coerce"] = int32
            field = UnboundField(field_class, *unbound_field.args, **kwargs)
            return field.bind(form=form, **options)

    def populate_errors(self, errors: list[tuple[str | None, str]]) -> None:
        """Attach (field, message) pairs from ValidationFailed; None goes to form errors."""
        for name, message in errors:
            field = getattr(self, name, None) if name else None
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors), message]
            else:
                self.form_errors.append(message)


class EmptyForm(FieldCRMForm):
    """A form with only the CSRF token, for POST-only buttons (delete, deactivate…)."""


class TranslatedTexts:
    """Mixed into forms built by `with_translations`: their per-language text fields."""

    translated: tuple[tuple[str, str], ...] = ()  # (field, locale) pairs, in field order

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(locale for _, locale in self.translated))

    def translation_fields(self, field: str | None = None) -> list[Any]:
        """The per-language fields (of one text `field`, or all), in order."""
        return [
            getattr(self, f"{name}_{locale}")
            for name, locale in self.translated
            if field is None or name == field
        ]

    def translations(self) -> dict[str, dict[str, str | None]]:
        """{locale: {field: text}} as typed (blank texts are None)."""
        texts: dict[str, dict[str, str | None]] = {}
        for field, locale in self.translated:
            texts.setdefault(locale, {})[field] = getattr(self, f"{field}_{locale}").data
        return texts

    @classmethod
    def initial(cls, translations: dict[str, dict[str, str]] | None) -> dict[str, str]:
        """Keyword arguments that fill the per-language fields from stored translations."""
        stored = translations or {}
        return {
            f"{field}_{locale}": (stored.get(locale) or {}).get(field) or ""
            for field, locale in cls.translated
        }


@lru_cache(maxsize=64)
def _translated_class(
    form_class: type, languages: tuple[tuple[str, str], ...], fields: tuple[tuple[str, int], ...]
) -> type:
    attrs: dict[str, Any] = {"translated": ()}
    pairs = []
    for field, limit in fields:
        for locale, language in languages:
            attrs[f"{field}_{locale}"] = StringField(
                _TRANSLATED_LABELS[field](language),
                validators=[Optional(), Length(max=limit)],
                filters=[blank_to_none],
            )
            pairs.append((field, locale))
    attrs["translated"] = tuple(pairs)
    # the form's own metaclass, so WTForms collects the new fields
    return type(form_class)(form_class.__name__, (TranslatedTexts, form_class), attrs)


_TRANSLATED_LABELS = {
    "label": lambda language: _l("Label in %(language)s", language=language),
    "phrase": lambda language: _l("Phrase in %(language)s", language=language),
    "name": lambda language: _l("Name in %(language)s", language=language),
    "description": lambda language: _l("What it takes, in %(language)s", language=language),
}


def with_translations(
    form_class: type, languages: dict[str, str], default_locale: str, fields: dict[str, int]
) -> type:
    """`form_class` plus an optional text field per text `fields` ({name: max length}) and
    per interface language other than `default_locale`, named `<field>_<locale>` and labelled
    with the language's name in the viewer's language ("Label in Spanish", "Etiqueta en
    español"). A blank one means that language shows the default text."""
    others = tuple((k, language_names(k)) for k in languages if k != default_locale)
    return _translated_class(form_class, others, tuple(fields.items()))

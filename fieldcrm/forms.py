"""The form base class and shared field helpers (house style §7)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm


def strip(value: Any) -> Any:
    """Strip whitespace, tolerating None."""
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value: Any) -> Any:
    value = strip(value)
    return value if value not in ("", None) else None


class FieldCRMForm(FlaskForm):
    """FlaskForm plus mapping of service errors back onto fields."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", ())
            if unbound_field.field_class.__name__ in {
                "StringField",
                "TextAreaField",
                "EmailField",
                "SearchField",
                "TelField",
            }:
                unbound_field.kwargs["filters"] = (strip, *filters)
            return unbound_field.bind(form=form, **options)

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

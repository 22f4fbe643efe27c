"""Words people say, never stored codes: the one place pages get labels from.

* `label(value, vocabulary)` (Jinja filter `label`) gives a stored code's label in the
  viewer's language: a code of a configurable list (`result_code`, `issue`, `ask_kind`,
  `commitment_kind`: the admins' labels per language, fieldcrm.database.TranslatedMixin), a
  code of a fixed vocabulary below (channel, role, commitment status…), or a configured
  entry itself (`stage|label`: a ladder stage's name). An unknown code is shown in words
  ("come_back" → "Come back"), never as the code.
* `phone` (Jinja filter) shows a number as people write it where the program works.
* `sms_phrases()` names each commitment kind for a follow-up text.

The fixed vocabularies are also where forms take their choices from (`choices_of`), so a
code is labelled the same way on every page and form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, g, has_request_context
from flask_babel import get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

from fieldcrm.lib.phones import format_phone

CONFIGURABLE_LISTS = ("result_code", "issue", "ask_kind", "commitment_kind")

VOCABULARIES: dict[str, dict[str, Any]] = {
    "channel": {
        "door": _l("Door"),
        "phone": _l("Phone"),
        "text": lazy_pgettext("channel", "Text"),
        "one_on_one": _l("One-on-one"),
        "event": _l("Event"),
    },
    "response": {"yes": _l("Yes"), "maybe": _l("Maybe"), "no": _l("No")},
    "commitment_status": {
        "open": lazy_pgettext("commitment status", "Open"),
        "kept": _l("Kept"),
        "flaked": _l("Flaked"),
        "rescheduled": _l("Rescheduled"),
        "cancelled": _l("Cancelled"),
    },
    "role": {
        "admin": _l("Admin"),
        "director": _l("Regional field director"),
        "organizer": _l("Field organizer"),
        "leader": _l("Volunteer leader"),
    },
    "phone_kind": {
        "cell": _l("Cell"),
        "home": lazy_pgettext("phone type", "Home"),
        "work": _l("Work"),
        "daytime": _l("Daytime"),
        "phone": _l("Phone"),
    },
    "record_source": {"voterfile": _l("voter file"), "manual": _l("added by hand")},
    "organization_kind": {
        "union": _l("Union local"),
        "congregation": _l("Congregation"),
        "campus": _l("Campus group"),
        "tenants": _l("Tenants' association"),
        "community": _l("Community group"),
        "coalition": _l("Coalition"),
        "other": _l("Other"),
    },
    "affiliation_role": {
        "member": _l("Member"),
        "leader": _l("Leader"),
        "staff": _l("Staff"),
        "contact_person": _l("Contact person"),
    },
    "import_status": {
        "uploaded": _l("uploaded"),
        "checking": _l("checking"),
        "checked": _l("checked"),
        "queued": _l("queued"),
        "running": _l("running"),
        "interrupted": _l("interrupted"),
        "completed": _l("completed"),
        "failed": _l("failed"),
        "refused": _l("refused"),
    },
    # a voter file's registration status, as the imports store it (STATUS_CANONICAL)
    "voter_status": {
        "active": _l("Active"),
        "inactive": _l("Inactive"),
        "removed": _l("Removed"),
        "denied": _l("Denied"),
        "preregistered": _l("Preregistered"),
        "temporary": _l("Temporary"),
    },
    "import_row_kind": {
        "rejected": lazy_pgettext("import row", "Rejected"),
        "duplicate": lazy_pgettext("import row", "Duplicate"),
    },
    # what an import noticed in the rows it kept (the warnings of fieldcrm.imports.reading)
    "import_warning": {
        "invalid_birth_date": _l("Birth date not a date or in the future (left blank)"),
        "placeholder_birth_date": _l("Birth date a placeholder (left blank)"),
        "invalid_registration_date": _l(
            "Registration date not a date or in the future (left blank)"
        ),
        "placeholder_registration_date": _l("Registration date a placeholder (left blank)"),
        "invalid_birth_year": _l("Birth year out of range (left blank)"),
        "placeholder_birth_year": _l("Birth year a placeholder (left blank)"),
        "placeholder_address": _l("Address a placeholder (left blank)"),
        "invalid_res_zip": _l("ZIP code not valid (left blank)"),
        "zip_zero_padded": _l("ZIP code missing its leading zero (added)"),
        "invalid_email": _l("Email not valid (left blank)"),
        "invalid_latitude": _l("Latitude out of range (left blank)"),
        "invalid_longitude": _l("Longitude out of range (left blank)"),
        "unknown_status": _l("Voter status not recognised"),
        "encoding_fallback_cp1252": _l("Lines read as Windows text (cp1252)"),
        "synthetic_voter_id": _l(
            "No voter id (one was made from the name, birth year and address)"
        ),
        "duplicate_voter_id": _l("Voter id twice in the file (first row kept)"),
    },
    "job_status": {
        "queued": _l("queued"),
        "running": _l("running"),
        "completed": _l("completed"),
        "failed": _l("failed"),
    },
    "job_kind": {
        "geocode": _l("placing contacts on the map"),
        "reassign": _l("recomputing who is in each turf"),
    },
    "goal_metric": {
        "attempts": _l("Attempts"),
        "conversations": _l("Conversations"),
        "one_on_ones": _l("One-on-ones"),
        "commitments": _l("Commitments"),
    },
}


def choices_of(vocabulary: str, codes: Iterable[str] | None = None) -> list[tuple[str, Any]]:
    """(code, label) pairs of a fixed vocabulary, for a form's choices (lazy labels)."""
    words = VOCABULARIES[vocabulary]
    return [(code, words[code]) for code in (codes if codes is not None else words)]


def current_locale() -> str:
    """The viewer's interface language ("en", "es"…); the default outside a request."""
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale else current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def in_words(code: str) -> str:
    """A code no vocabulary knows, as words: "come_back" → "Come back"."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _options() -> list[Any]:
    """Every entry of every configurable list, retired ones included (records keep their
    codes); read once per request."""
    cached = g.get("_choice_options") if has_request_context() else None
    if cached is not None:
        return cached
    import sqlalchemy as sa

    from fieldcrm.conversations.models import ChoiceOption
    from fieldcrm.extensions import db

    options = list(db.session.scalars(sa.select(ChoiceOption)))
    if has_request_context():
        g._choice_options = options
    return options


def _list_labels() -> dict[str, dict[str, str]]:
    """Every configurable list's {code: label} in the viewer's language."""
    cached = g.get("_list_labels") if has_request_context() else None
    if cached is not None:
        return cached
    locale = current_locale()
    labels: dict[str, dict[str, str]] = {name: {} for name in CONFIGURABLE_LISTS}
    for option in _options():
        labels.setdefault(option.list_name, {})[option.code] = option.text_in("label", locale)
    if has_request_context():
        g._list_labels = labels
    return labels


def label(value: Any, vocabulary: str | None = None) -> str:
    """The label of `value` in the viewer's language (see the module docstring)."""
    if value is None or value == "":
        return ""
    if vocabulary is None:
        if hasattr(value, "text_in"):
            field = "label" if hasattr(value, "label") else "name"
            return value.text_in(field, current_locale())
        return in_words(value)
    if vocabulary in CONFIGURABLE_LISTS:
        return _list_labels()[vocabulary].get(value) or in_words(value)
    word = VOCABULARIES.get(vocabulary, {}).get(value)
    return str(word) if word is not None else in_words(value)


def labels_of(vocabulary: str) -> dict[str, str]:
    """{code: label} of a whole vocabulary or configurable list, in the viewer's language."""
    if vocabulary in CONFIGURABLE_LISTS:
        return dict(_list_labels()[vocabulary])
    return {code: str(word) for code, word in VOCABULARIES[vocabulary].items()}


def sms_phrases() -> dict[str, str]:
    """{commitment kind: how a follow-up text names it} in the viewer's language. A kind
    without a phrase is named by its label in quotes."""
    locale = current_locale()
    return {
        kind.code: kind.text_in("phrase", locale) or f"“{kind.text_in('label', locale)}”"
        for kind in _options()
        if kind.list_name == "commitment_kind"
    }


def language_names(value: str | None) -> str:
    """Language codes as typed ("es, en") by their names in the viewer's language
    ("español, inglés"); anything that is not a language code stays as typed."""
    from babel import Locale, UnknownLocaleError

    names = []
    viewer = current_locale()
    for part in (value or "").split(","):
        code = part.strip()
        if not code:
            continue
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name(viewer)
        except (ValueError, TypeError, UnknownLocaleError):
            name = None
        names.append(name or code)
    return ", ".join(names)


def phone(value: str | None) -> str:
    """A stored number as people write it: national format in the program's country
    (config PHONE_REGION), international otherwise; anything else unchanged."""
    return format_phone(value, current_app.config.get("PHONE_REGION") or "US")


def init_app(app: Flask) -> None:
    """Register the `label`, `phone` and `language_names` filters and `labels_of`."""
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["phone"] = phone
    app.jinja_env.filters["language_names"] = language_names
    app.jinja_env.globals["labels_of"] = labels_of

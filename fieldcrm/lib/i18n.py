"""Texts per language for entries admins configure (pure helpers, no Flask).

An entry keeps its default text in its own columns and the other languages' texts in a
`translations` JSON of {locale: {field: text}} (fieldcrm.database.TranslatedMixin).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def split_texts(
    texts: Mapping[str, Mapping[str, str]], default_locale: str
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Shipped texts {locale: {field: text}} → (default fields, translations).

    The default fields are the `default_locale`'s, else English's; every other language
    becomes a translation.
    """
    main = default_locale if default_locale in texts else "en"
    if main not in texts:
        main = next(iter(texts))
    return dict(texts[main]), {k: dict(v) for k, v in texts.items() if k != main}


def clean_translations(
    given: Mapping[str, Mapping[str, str | None]],
    locales: Iterable[str],
    limits: Mapping[str, int],
) -> dict[str, dict[str, str]]:
    """Keep only known locales and fields, stripped, cut to their limits, blanks dropped."""
    wanted = set(locales)
    cleaned: dict[str, dict[str, str]] = {}
    for locale, fields in given.items():
        if locale not in wanted:
            continue
        kept = {
            field: text.strip()[: limits[field]]
            for field, text in fields.items()
            if field in limits and isinstance(text, str) and text.strip()
        }
        if kept:
            cleaned[locale] = kept
    return cleaned

"""The declarative base, the constraint naming convention and the UTC datetime type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware.

    PostgreSQL keeps `timestamptz`; SQLite stores naive UTC text. Naive values are refused
    on the way in, so a local time can never be stored by mistake.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use fieldcrm.database.utcnow()")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(so.DeclarativeBase):
    """Every model's base; carries the naming convention Alembic relies on."""

    registry = so.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    """created_at / updated_at, set by callables so they are evaluated per row."""

    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )


class TranslatedMixin:
    """Texts per interface language for an entry admins configure (a result code, a ladder
    stage…). The entry's own columns hold its default text; `translations` maps a locale
    to {field: text} for the other languages. `text_in` is the one lookup: the locale's
    text, else its language's (``es_MX`` → ``es``), else the default."""

    translations: so.Mapped[dict[str, dict[str, str]]] = so.mapped_column(
        sa.JSON, default=dict, server_default=sa.text("'{}'")
    )

    def text_in(self, field: str, locale: object | None) -> str:
        """`field` (e.g. "label", "name") in `locale`, falling back to the default text."""
        if locale:
            texts = self.translations or {}
            code = str(locale)
            for key in (code, code.split("_")[0]):
                value = (texts.get(key) or {}).get(field)
                if value:
                    return value
        return getattr(self, field) or ""

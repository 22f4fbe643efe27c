"""Saved column mappings: a file no layout matches is read with one, by name."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.imports.batches import require_importer
from fieldcrm.imports.layouts import validate_mapping
from fieldcrm.imports.models import ImportMapping


def save_mapping(actor: User | None, name: str, mapping: dict) -> ImportMapping:
    """Save (or replace) a column mapping by name. Raises ValidationFailed. Flushes."""
    if actor is not None:
        require_importer(actor)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed([("mapping_name", "Name the mapping (up to 80 characters).")])
    try:
        mapping = validate_mapping(mapping)
    except ValueError as exc:
        raise ValidationFailed([("mapping", str(exc))]) from exc
    saved = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        saved = ImportMapping(name=name, mapping=mapping, created_by_id=getattr(actor, "id", None))
        db.session.add(saved)
    else:
        saved.mapping = mapping
    db.session.flush()
    audit.record("import.mapping_saved", actor=actor, entity=saved, name=name)
    return saved


def get_mapping(name: str) -> ImportMapping:
    """A saved mapping by name. Raises NotFound."""
    saved = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        raise NotFound("mapping")
    return saved


def list_mappings() -> list[ImportMapping]:
    """Saved mappings by name."""
    return list(db.session.scalars(sa.select(ImportMapping).order_by(ImportMapping.name)))

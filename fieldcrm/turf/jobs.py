"""Turf background jobs: reassigning contacts after a definition change, and geocoding.

Both take a JobRun id, re-load what they need, commit per chunk and record progress on the
JobRun row (the job page polls it). Neither ever runs inside a web request: views enqueue
them through fieldcrm.jobs.enqueue.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun
from fieldcrm.lib.geocode import (
    Geocoder,
    GeocodeResult,
    ZipCentroidGeocoder,
    build_geocoder,
    normalize_address_key,
    one_line_address,
)
from fieldcrm.logging_setup import error_summary
from fieldcrm.turf.models import GeocodeCacheEntry
from fieldcrm.turf.services import assign_contacts_to_turfs

CHUNK = 500
REASSIGN_CHUNK = 50_000

# Tests (and operators with a custom service) can replace how the geocoder is built.
geocoder_factory: Callable[[], Geocoder] | None = None


def create_job_run(
    kind: str, params: dict | None = None, created_by_id: int | None = None
) -> JobRun:
    """Add a queued JobRun row (the caller commits, then enqueues). Flushes."""
    run = JobRun(kind=kind, params=params or {}, created_by_id=created_by_id, status="queued")
    db.session.add(run)
    db.session.flush()
    return run


def _start(job_run_id: int) -> JobRun | None:
    run = db.session.get(JobRun, job_run_id)
    if run is None or run.status in ("running", "completed"):
        return None
    run.status = "running"
    run.started_at = utcnow()
    db.session.commit()
    return run


def _fail(run: JobRun, exc: Exception) -> None:
    db.session.rollback()
    run = db.session.get(JobRun, run.id)
    if run is not None:
        run.status = "failed"
        # the job's page names the error's type only: a message may quote an address
        # (a geocoder's) or a value (the database's DETAIL); the log has the scrubbed traceback
        run.message = error_summary(exc)[:500]
        run.finished_at = utcnow()
        db.session.commit()


def reassign_contacts(job_run_id: int) -> None:
    """Recompute every contact's turf from the turf definitions, in id ranges.

    Progress counts contacts processed; the result records how many changed turf.
    """
    run = _start(job_run_id)
    if run is None:
        return
    try:
        low, high = db.session.execute(
            sa.select(sa.func.min(Contact.id), sa.func.max(Contact.id))
        ).one()
        run.progress_total = (high - low + 1) if low is not None else 0
        db.session.commit()
        changed = 0
        start = low or 0
        while low is not None and start <= high:
            end = start + REASSIGN_CHUNK
            ids = sa.select(Contact.id).where(Contact.id >= start, Contact.id < end)
            changed += assign_contacts_to_turfs(ids)
            run.progress_done = min(run.progress_total or 0, end - low)
            db.session.commit()
            start = end
        run.status = "completed"
        run.result = {"changed": changed}
        run.message = f"{changed} contacts changed turf."
        run.finished_at = utcnow()
        db.session.commit()
    except Exception as exc:
        _fail(run, exc)
        raise


def _geocoder() -> Geocoder:
    if geocoder_factory is not None:
        return geocoder_factory()
    config = current_app.config
    return build_geocoder(
        config.get("GEOCODER"),
        config.get("GEOCODER_USER_AGENT", "FieldCRM self-hosted"),
        float(config.get("GEOCODER_TIMEOUT", 10.0)),
    )


def geocode_contacts(job_run_id: int) -> None:
    """Place contacts without coordinates, through the configured geocoder.

    Addresses are cached by normalised key (GeocodeCacheEntry), so each distinct address
    is asked of the service once; a miss is cached too. A contact whose address the service
    can't place falls back to its ZIP centroid (geo_precision "zip_centroid"). Contacts that
    already have coordinates (e.g. from the voter file) are never touched. JobRun params
    may carry "min_id"/"max_id" to limit the range. Commits per chunk of contacts.
    """
    run = _start(job_run_id)
    if run is None:
        return
    try:
        params = run.params or {}
        where = [Contact.latitude.is_(None)]
        if params.get("min_id") is not None:
            where.append(Contact.id >= int(params["min_id"]))
        if params.get("max_id") is not None:
            where.append(Contact.id <= int(params["max_id"]))
        run.progress_total = db.session.scalar(sa.select(sa.func.count(Contact.id)).where(*where))
        db.session.commit()
        geocoder = _geocoder()
        fallback = ZipCentroidGeocoder()
        stats = {"placed": 0, "approximate": 0, "unplaced": 0, "service_calls": 0}
        after = 0
        while True:
            chunk = list(
                db.session.scalars(
                    sa.select(Contact)
                    .where(*where, Contact.id > after)
                    .order_by(Contact.id)
                    .limit(CHUNK)
                )
            )
            if not chunk:
                break
            after = chunk[-1].id
            _geocode_chunk(chunk, geocoder, fallback, stats)
            run.progress_done += len(chunk)
            db.session.commit()
        run.status = "completed"
        run.result = stats
        run.message = (
            f"{stats['placed']} placed ({stats['approximate']} approximate), "
            f"{stats['unplaced']} without a usable address."
        )
        run.finished_at = utcnow()
        db.session.commit()
    except Exception as exc:
        _fail(run, exc)
        raise


def _geocode_chunk(
    contacts: list[Contact], geocoder: Geocoder, fallback: Geocoder, stats: dict[str, int]
) -> None:
    keys = {
        c.id: normalize_address_key(c.res_line1, c.res_city, c.res_state, c.res_zip5)
        for c in contacts
    }
    cached = {
        row.address_key: row
        for row in db.session.scalars(
            sa.select(GeocodeCacheEntry).where(
                GeocodeCacheEntry.address_key.in_(set(keys.values()))
            )
        )
    }
    placed: list[dict[str, object]] = []
    for contact in contacts:
        key = keys[contact.id]
        entry = cached.get(key)
        if entry is None and contact.res_line1:
            address = one_line_address(
                contact.res_line1, contact.res_city, contact.res_state, contact.res_zip5
            )
            stats["service_calls"] += 1
            result = geocoder.geocode(address)
            entry = GeocodeCacheEntry(
                address_key=key,
                latitude=result.lat if result else None,
                longitude=result.lon if result else None,
                source=result.source if result else geocoder.name,
                precision=result.precision if result else None,
            )
            db.session.add(entry)
            cached[key] = entry
        point: GeocodeResult | None = None
        if entry is not None and entry.latitude is not None and entry.longitude is not None:
            point = GeocodeResult(
                entry.latitude, entry.longitude, entry.source, entry.precision or "approximate"
            )
        if point is None:
            point = fallback.geocode(one_line_address(None, None, None, contact.res_zip5))
        if point is None:
            stats["unplaced"] += 1
            continue
        placed.append(
            {
                "cid": contact.id,
                "latitude": point.lat,
                "longitude": point.lon,
                "geo_source": point.source[:40],
                "geo_precision": point.precision,
            }
        )
        stats["placed"] += 1
        stats["approximate"] += int(point.approximate)
    db.session.flush()
    if placed:
        # Without the contact's version: placing someone on the map is not an edit of
        # their record, and must not fail because an organizer saved on them meanwhile.
        table = Contact.__table__
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("cid")),
            placed,
        )
        for contact in contacts:
            db.session.expire(contact)

"""Stored uploads are deleted once the retention policy no longer keeps them."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports import retention, services
from fieldcrm.imports.models import ImportBatch

GOOD = "voter_id,first_name,last_name\n1,Ana,Diaz\n2,Ben,Cole\n"


def _batch(upload_dir: Path, status: str, age: timedelta, text: str = GOOD) -> ImportBatch:
    stored = services.store_upload(upload_dir, "v.csv", io.BytesIO(text.encode()))
    batch = services.create_batch(None, stored, "v.csv", "VAN")
    when = utcnow() - age
    batch.status = status
    batch.created_at = batch.updated_at = when
    batch.finished_at = when if status in ("completed", "failed") else None
    db.session.flush()
    return batch


def test_purge__keeps_what_may_still_be_needed_and_deletes_the_rest(db, tmp_path):
    up = tmp_path / "uploads"
    up.mkdir()
    old, fresh = timedelta(days=8), timedelta(days=1)
    gone = {
        "completed": _batch(up, "completed", old),
        "failed": _batch(up, "failed", old),
        "checked": _batch(up, "checked", old),
        "refused": _batch(up, "refused", timedelta(hours=25)),
    }
    kept = {
        "completed": _batch(up, "completed", fresh),
        "uploaded": _batch(up, "uploaded", fresh),
        "refused": _batch(up, "refused", timedelta(hours=2)),
        "running": _batch(up, "running", old),
        "interrupted": _batch(up, "interrupted", old),
        "queued": _batch(up, "queued", old),
    }
    stray_old = up / "stray-old"
    stray_old.mkdir()
    (stray_old / "x.csv").write_text(GOOD)
    hour_ago = time.time() - 2 * 3600
    os.utime(stray_old, (hour_ago, hour_ago))
    stray_new = up / "stray-new"  # an upload being stored right now
    stray_new.mkdir()
    outside = tmp_path / "operator.csv"  # a CLI import of a file elsewhere: never ours
    outside.write_text(GOOD)
    cli_batch = services.create_batch(None, outside, "operator.csv", "VAN")
    cli_batch.status, cli_batch.finished_at = "completed", utcnow() - old

    done = retention.purge_uploads(up, keep_days=7, refused_keep_hours=24)

    assert done.batches == len(gone)
    assert done.orphans == 1
    assert done.bytes > 0
    for batch in gone.values():
        assert not Path(batch.stored_path).exists()
        assert not Path(batch.stored_path).parent.exists()
    for batch in kept.values():
        assert Path(batch.stored_path).exists(), batch.status
    assert not stray_old.exists()
    assert stray_new.exists()
    assert outside.exists()
    # Never started: shown as refused, saying why; finished ones keep their outcome.
    assert gone["checked"].status == "refused"
    assert "deleted" in gone["checked"].error_message
    assert gone["completed"].status == "completed"
    assert "deleted" in gone["refused"].error_message
    # A second sweep finds nothing more to do.
    assert retention.purge_uploads(up, keep_days=7, refused_keep_hours=24).batches == 0


def test_upload_page__a_refused_upload_is_not_left_on_disk(app, client, login_as, world):
    up = Path(app.config["UPLOAD_DIR"])
    before = set(up.iterdir()) if up.exists() else set()
    login_as(world.admin_dev)
    old = app.config["REFUSED_UPLOAD_KEEP_HOURS"]
    app.config["REFUSED_UPLOAD_KEEP_HOURS"] = 0
    try:
        data = {"source": "X", "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096), "p.csv")}
        response = client.post("/imports/new", data=data, content_type="multipart/form-data")
    finally:
        app.config["REFUSED_UPLOAD_KEEP_HOURS"] = old
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert batch.status == "refused"
    assert "PNG" in batch.error_message
    assert not Path(batch.stored_path).exists()
    assert set(up.iterdir()) - before == set()
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "PNG" in page


def test_cli__purge_uploads(app, runner, db, tmp_path, monkeypatch):
    up = tmp_path / "uploads"
    up.mkdir()
    batch = _batch(up, "completed", timedelta(days=30))
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(up))
    result = runner.invoke(args=["imports", "purge-uploads"])
    assert result.exit_code == 0, result.output
    assert "Deleted the files of 1 imports" in result.output
    assert not Path(batch.stored_path).exists()

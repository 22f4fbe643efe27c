"""Import a voter file from the browser (phone and desktop), and watch live progress."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports.models import ImportBatch

pytestmark = pytest.mark.browser

CSV = "Voter File VANID,FirstName,LastName,Cell Phone\n501,Ann,Lee,3365550101\n502,Bo,Day,\n9,x\n"


def test_upload_check_start_summary(page, live_server, sign_in, tmp_path, monkeypatch):
    """As without Redis in production: the check and the import run on background threads;
    the pages follow their progress and show the results."""
    monkeypatch.setitem(live_server.app.config, "JOB_RUNNER", "thread")
    path = tmp_path / "van.csv"
    path.write_text(CSV)
    sign_in(page, live_server.emails["admin"])
    page.goto(live_server.url + "/imports/new")
    page.get_by_label("Voter file").set_input_files(str(path))
    page.get_by_label("Source").fill(f"VAN-{page.viewport_size['width']}")
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_text("2 would be added").wait_for()
    confirm = page.get_by_label("I understand: import these people under this source anyway")
    if confirm.count():  # the other viewport's run loaded the same voter ids already
        assert "2 of these voter ids already exist under source VAN-" in page.content()
        confirm.check()
    page.get_by_role("button", name="Start import").click()
    page.wait_for_url("**/imports/*")
    page.locator('[data-field="status"]', has_text="completed").wait_for()
    assert page.locator('[data-count="inserted"]').inner_text() == "2"
    page.locator("table", has_text="9,x").wait_for()


def test_progress_updates_live_until_done(page, live_server, sign_in):
    with live_server.app.app_context():
        batch = ImportBatch(
            source="LIVE", original_filename="live.txt", stored_path="/nonexistent",
            status="running", started_at=utcnow(), heartbeat_at=utcnow(),
            rows_total_estimate=100, rows_read=40, rows_done=40, inserted=40, warnings={},
        )  # fmt: skip
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    sign_in(page, live_server.emails["admin"])
    page.goto(f"{live_server.url}/imports/{batch_id}")
    assert page.locator('[data-field="status"]').inner_text() == "running"
    with live_server.app.app_context():
        db.session.execute(
            sa.update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(
                status="completed", rows_read=100, rows_done=100, inserted=100, finished_at=utcnow()
            )  # fmt: skip
        )
        db.session.commit()
    page.locator('[data-count="inserted"]', has_text="100").wait_for()
    assert page.locator('[data-field="status"]').inner_text() == "completed"

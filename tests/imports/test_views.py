"""Import pages: upload → check → start → progress → summary → rejected rows CSV."""

from __future__ import annotations

import io
import time

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports.models import ImportBatch, ImportMapping, ImportRowError
from fieldcrm.security import SESSION_SEEN, SESSION_STARTED
from tests.fixtures.factories import PASSWORD

VAN = "Voter File VANID,FirstName,LastName,Address,City,Zip5,Cell Phone,Precinct\n"
GOOD = VAN + "1,Ann,Lee,1 Main St,Mebane,27302,3365550101,E1\n2,Bo,Day,2 Main St,Mebane,27302,,W1\n"


def upload(client, text: str, name: str = "v.csv", **fields):
    data = {"source": "VAN", "full_file": "y", "file": (io.BytesIO(text.encode()), name)}
    data.update(fields)
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("persona", ["admin_dev", "director_dana"])
def test_import_flow__upload_check_start_progress_errors(client, login_as, world, persona):
    login_as(getattr(world, persona))
    response = upload(client, GOOD + "3,Too,Few\n")
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert response.headers["Location"].endswith(f"/imports/{batch.id}/check")
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "generic" in page
    assert "would be added" in page
    assert "wrong number of fields" in page
    assert (
        db.session.scalar(sa.select(sa.func.count(Contact.id)).where(Contact.source == "VAN")) == 0
    )
    started = client.post(f"/imports/{batch.id}/start")
    assert started.headers["Location"].endswith(f"/imports/{batch.id}")
    shown = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "completed" in shown
    assert "3,Too,Few" in shown
    progress = client.get(f"/imports/{batch.id}/progress.json").get_json()
    assert progress["status"] == "completed"
    assert progress["counts"]["inserted"] == 2
    assert progress["counts"]["rejected"] == 1
    errors = client.get(f"/imports/{batch.id}/errors.csv")
    assert errors.headers["Content-Type"].startswith("text/csv")
    assert "3,Too,Few" in errors.get_data(as_text=True)
    listing = client.get("/imports/").get_data(as_text=True)
    assert "v.csv" in listing


def test_import_flow__unknown_layout_asks_for_a_mapping(client, login_as, world):
    login_as(world.admin_dev)
    upload(client, "ident,given,family\n7,Ann,Lee\n", name="odd.csv")
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert batch.status == "refused"
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "Map its columns" in page
    assert "given" in page
    response = client.post(
        f"/imports/{batch.id}/check",
        data={
            "m_voter_id": "ident",
            "m_first_name": "given",
            "m_last_name": "family",
            "mapping_name": "odd sheet",
        },  # fmt: skip
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == "checked"
    assert db.session.scalar(sa.select(ImportMapping.name)) == "odd sheet"


def test_import_flow__refused_binary_file_explains(client, login_as, world):
    login_as(world.admin_dev)
    data = {"source": "X", "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00"), "pic.png")}
    client.post("/imports/new", data=data, content_type="multipart/form-data")
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "PNG" in page
    assert "Map its columns" not in page


def test_import_flow__director_sees_only_own_batches(client, login_as, world):
    login_as(world.admin_dev)
    upload(client, GOOD)
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    login_as(world.director_dana)
    assert client.get(f"/imports/{batch.id}").status_code == 404
    assert "v.csv" not in client.get("/imports/").get_data(as_text=True)


def test_import_flow__resume_button_for_interrupted(client, login_as, world):
    login_as(world.admin_dev)
    upload(client, GOOD)
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    batch.status = "interrupted"
    db.session.commit()
    assert "Resume import" in client.get(f"/imports/{batch.id}").get_data(as_text=True)
    client.post(f"/imports/{batch.id}/resume")
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == "completed"


def test_import_pages__list_queries_do_not_grow(client, login_as, world, count_queries):
    login_as(world.admin_dev)
    upload(client, GOOD)
    with count_queries() as one:
        client.get("/imports/")
    for _ in range(3):
        upload(client, GOOD)
    with count_queries() as four:
        client.get("/imports/")
    assert four() == one()


def _read_outside_any_context(response) -> bytes:
    """Read a streamed body the way a WSGI server does: after the view returned, with no
    app or request context left (a fresh thread has none)."""
    out: dict = {}

    def read() -> None:
        try:
            out["body"] = b"".join(response.response)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            out["error"] = exc

    import threading

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    response.close()
    assert "error" not in out, out.get("error")
    return out["body"]


def test_errors_csv__download_reads_to_the_end_past_one_chunk(client, login_as, world):
    """The rejected-rows CSV streams every row, more than one database fetch (5,000) of them,
    after the request's own context has ended."""
    login_as(world.admin_dev)
    upload(client, GOOD)
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    rows = 5_100
    db.session.execute(
        sa.insert(ImportRowError),
        [
            {"batch_id": batch.id, "member": "v.csv", "line": n + 2, "kind": "rejected",
             "reason": "wrong number of fields", "raw": f"{n},Too,Few"}
            for n in range(rows)
        ],
    )  # fmt: skip
    batch.rejected = rows
    db.session.commit()
    response = client.get(f"/imports/{batch.id}/errors.csv", buffered=False)
    assert response.status_code == 200
    lines = _read_outside_any_context(response).decode("utf-8-sig").splitlines()
    assert len(lines) == rows + 1
    assert lines[0] == "file,line,kind,reason,raw"
    assert lines[-1].endswith(f'"{rows - 1},Too,Few"')


def _batch_with_rejected_rows(client, rows: int) -> ImportBatch:
    upload(client, GOOD)
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    db.session.execute(
        sa.insert(ImportRowError),
        [
            {"batch_id": batch.id, "member": "v.csv", "line": n + 2, "kind": "rejected",
             "reason": "wrong number of fields", "raw": f"{n},Rosa,Alvarez"}
            for n in range(rows)
        ],
    )  # fmt: skip
    db.session.commit()
    return batch


def _audit(action: str) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return db.session.scalars(stmt).all()


def test_errors_csv__over_the_role_row_limit_is_refused_and_audited(
    app, client, login_as, world, monkeypatch
):
    login_as(world.director_dana)
    batch = _batch_with_rejected_rows(client, 3)
    monkeypatch.setitem(app.config, "EXPORT_LIMITS", {"director": 2})
    response = client.get(f"/imports/{batch.id}/errors.csv")
    assert response.status_code == 403
    assert "Rosa" not in response.get_data(as_text=True)
    refused = _audit("export.refused")
    assert [(e.details["what"], e.details["rows"]) for e in refused] == [("import_errors", 3)]
    assert _audit("export.import_errors") == []
    # within the limit it is served, and audited with the rows it holds
    monkeypatch.setitem(app.config, "EXPORT_LIMITS", {"director": 3})
    assert client.get(f"/imports/{batch.id}/errors.csv").status_code == 200
    assert [e.details["rows"] for e in _audit("export.import_errors")] == [3]


def test_errors_csv__a_large_download_from_an_old_sign_in_asks_for_the_password(
    app, client, login_as, world, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_REAUTH_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_REAUTH_MINUTES", 10)
    login_as(world.admin_dev)
    batch = _batch_with_rejected_rows(client, 3)
    now = int(time.time())
    with client.session_transaction() as sess:
        sess[SESSION_STARTED] = now - 3600
        sess[SESSION_SEEN] = now
    url = f"/imports/{batch.id}/errors.csv"
    refused = client.get(url)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/auth/confirm?next=")
    assert [e.details["rows"] for e in _audit("export.reauth_required")] == [3]
    assert _audit("export.import_errors") == []
    confirmed = client.post(refused.headers["Location"], data={"secret": PASSWORD})
    assert confirmed.headers["Location"] == url
    served = client.get(url)
    assert served.status_code == 200
    assert "2,Rosa,Alvarez" in served.get_data(as_text=True)
    assert len(_audit("export.import_errors")) == 1


def test_import_page__finished_import_and_its_warnings_in_words(client, login_as, world):
    """A finished import says what it did (no "? rows", no seconds left) and names what it
    noticed in words, on its page and on its check page, never as stored keys."""
    login_as(world.admin_dev)
    upload(client, VAN + "1,Ann,Lee,1 Main St,Mebane,ABCDE,3365550101,E1\n")
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    check = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "invalid_res_zip" not in check
    assert "ZIP code not valid (left blank)" in check
    client.post(f"/imports/{batch.id}/start")
    shown = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "1 row read" in shown
    assert "s left" not in shown
    assert "/ <span" not in shown  # no "1 / ? rows" for a finished import
    assert "invalid_res_zip" not in shown
    assert "ZIP code not valid (left blank): 1" in shown

"""`fieldcrm commitments digest`: printed without SMTP, mailed with it, never twice a day."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.commitments.models import DigestSent
from fieldcrm.extensions import db

DAY = date(2026, 11, 25)


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what would have been sent, opens no socket."""

    sent: list = []
    calls: list = []

    def __init__(self, host, port, timeout=None):
        FakeSMTP.calls.append(("connect", host, port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        FakeSMTP.calls.append(("starttls",))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user))

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def due(world, fieldwork, make_commitment):
    make_commitment(world.east_1, world.organizer_ana, due_date=DAY, kind="training")
    make_commitment(world.east_1, world.organizer_ana, due_date=DAY - timedelta(days=3))
    make_commitment(world.east_1, world.organizer_ana, due_date=DAY + timedelta(days=3))
    make_commitment(world.east_assigned, world.leader_lena, due_date=DAY)
    make_commitment(world.west_1, world.organizer_omar, due_date=DAY, status="kept")
    return world


def _sent() -> list[tuple[int, str]]:
    return db.session.execute(sa.select(DigestSent.user_id, DigestSent.channel)).all()


def test_digest__prints_without_smtp_and_only_once(runner, due):
    first = runner.invoke(args=["commitments", "digest", "--date", DAY.isoformat()])
    assert first.exit_code == 0, first.output
    assert "To: ana@example.test" in first.output
    assert "1 due today, 1 overdue" in first.output
    assert "Attend a training" in first.output
    assert "To: lena@example.test" in first.output
    assert "omar@example.test" not in first.output
    assert "2 digest(s) sent" in first.output
    assert sorted(_sent()) == sorted(
        [(due.organizer_ana.id, "print"), (due.leader_lena.id, "print")]
    )
    second = runner.invoke(args=["commitments", "digest", "--date", DAY.isoformat()])
    assert "0 digest(s) sent" in second.output
    assert "To:" not in second.output


def test_digest__mails_with_smtp_and_only_once(app, runner, due, monkeypatch):
    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "mailer")
    for _ in range(2):
        result = runner.invoke(args=["commitments", "digest", "--date", DAY.isoformat()])
        assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in FakeSMTP.sent) == ["ana@example.test", "lena@example.test"]
    assert ("connect", "smtp.example.test", 587) in FakeSMTP.calls
    assert ("starttls",) in FakeSMTP.calls
    assert ("login", "mailer") in FakeSMTP.calls
    ana = next(m for m in FakeSMTP.sent if m["To"] == "ana@example.test")
    assert "Eve East" in ana.get_content()
    assert {c for _, c in _sent()} == {"email"}


def test_digest__dry_run_records_nothing(runner, due):
    result = runner.invoke(args=["commitments", "digest", "--date", DAY.isoformat(), "--dry-run"])
    assert "2 digest(s) would be sent" in result.output
    assert _sent() == []


def test_digest__failed_mail_is_retried_next_run(app, runner, due, monkeypatch):
    class Down(FakeSMTP):
        def __init__(self, *args, **kwargs):
            raise OSError("connection refused")

    monkeypatch.setattr(smtplib, "SMTP", Down)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    result = runner.invoke(args=["commitments", "digest", "--date", DAY.isoformat()])
    assert "Could not mail" in result.output
    assert _sent() == []


def test_digest__is_written_in_each_owners_language(runner, due):
    due.leader_lena.locale = "es"
    db.session.commit()
    result = runner.invoke(args=["commitments", "digest", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    ana, lena = result.output.split("To: lena@example.test")
    assert "Subject: Follow-ups for Nov 25, 2026: 1 due today, 1 overdue" in ana
    assert "Attend a training" in ana
    assert "Subject: Seguimientos del 25 nov 2026: 1 vencen hoy, 0 vencidos" in lena
    assert "Hola, " in lena
    assert "Vencen hoy:" in lena
    assert "(vence el 25 nov 2026)" in lena
    assert "Due today" not in lena

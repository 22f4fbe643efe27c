"""Web helpers shared by the blueprints."""

from __future__ import annotations

from datetime import date

from fieldcrm.web import date_arg


def test_date_arg__iso_dates_only(app):
    with app.test_request_context("/?since=2026-11-01&until=11/30/2026&empty="):
        assert date_arg("since") == date(2026, 11, 1)
        assert date_arg("until") is None  # not ISO: ignored, not an error
        assert date_arg("empty") is None
        assert date_arg("missing") is None

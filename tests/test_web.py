"""Web helpers shared by the blueprints."""

from __future__ import annotations

from datetime import date

import pytest

from fieldcrm.web import InvalidInput, date_arg


def test_date_arg__iso_dates_only(app):
    with app.test_request_context("/?since=2026-11-01&empty=&blank=%20"):
        assert date_arg("since") == date(2026, 11, 1)
        assert date_arg("empty") is None
        assert date_arg("blank") is None
        assert date_arg("missing") is None


@pytest.mark.parametrize(
    "value", ["11/30/2026", "0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "2026-02-30"]
)
def test_date_arg__bad_or_out_of_bounds_is_a_400_with_a_message(app, value):
    with (
        app.test_request_context("/", query_string={"until": value}),
        pytest.raises(InvalidInput) as refused,
    ):
        date_arg("until")
    assert refused.value.code == 400
    assert "“until” must be a date written YYYY-MM-DD" in refused.value.description

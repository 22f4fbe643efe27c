"""Fix a half-mapped voter file from the check page: the warnings name the fields, the mapping
form changes one of them, and the check runs again (CSRF on, real browser)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CSV = (
    "Voter ID,First Name,Last Name,Residence Line,Town,Postcode\n"
    "701,Ann,Lee,1 Main St,Mebane,27302\n"
    "702,Bo,Day,2 Main St,Mebane,27302\n"
)


def test_check_page_warns_and_the_mapping_form_fixes_a_field(page, live_server, sign_in, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(CSV)
    sign_in(page, live_server.emails["admin"])
    page.goto(live_server.url + "/imports/new")
    page.get_by_label("Voter file").set_input_files(str(path))
    page.get_by_label("Source").fill(f"ODD-{page.viewport_size['width']}")
    page.get_by_role("button", name="Upload and check").click()
    warnings = page.locator("section", has_text="Check the column mapping")
    assert "res_city is not mapped" in warnings.inner_text()
    assert "res_zip is not mapped" in warnings.inner_text()
    page.get_by_label("City", exact=True).select_option("Town")
    page.get_by_label("ZIP code").select_option("Postcode")
    page.get_by_label("Street address").select_option("Residence Line")
    page.get_by_role("button", name="Check with this mapping").click()
    assert "Check the column mapping" not in page.content()
    assert "Mebane" in page.locator("table").inner_text()

"""Download the contacts list from the Contacts page and read it with Parsons, as organizers do."""

from __future__ import annotations

import pytest
from parsons import Table

from fieldcrm.contacts.export import FULL_EXPORT_COLUMNS

pytestmark = pytest.mark.browser


def test_contacts_page__downloads_the_filtered_list_for_parsons_and_excel(
    page, live_server, sign_in, tmp_path
):
    sign_in(page, live_server.emails["organizer"])
    page.goto(live_server.url + "/contacts/?q=rosa")
    page.get_by_label("Export these contacts").select_option("full")
    with page.expect_download() as plain:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / "contacts.csv"
    plain.value.save_as(path)
    table = Table.from_csv(str(path))
    assert tuple(table.columns) == FULL_EXPORT_COLUMNS
    assert table.column_data("first_name") == ["Rosa"]  # the list's search, and scoped
    with page.expect_download() as excel:
        page.get_by_role("button", name="CSV for Excel").click()
    assert excel.value.suggested_filename == "contacts-excel.csv"
    excel_path = tmp_path / "contacts-excel.csv"
    excel.value.save_as(excel_path)
    assert excel_path.read_bytes() == b"\xef\xbb\xbf" + path.read_bytes()

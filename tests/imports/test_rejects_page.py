"""The rejected rows of an import: paginated (with working page links), raw lines on demand."""

from __future__ import annotations

import re

from fieldcrm.imports.views import REJECTS_PER_PAGE


def _sheet(bad: int) -> str:
    lines = ["voter_id,first_name,last_name,res_line1,res_city,res_zip"]
    lines += [f"G{n},Ana,Good{n},{n} ELM ST,BURLINGTON,27215" for n in range(2)]
    lines += [
        f"X{n},Bad,Row{n},{n} OAK ST,BURLINGTON,27215,{'LONG NOTE ' * 20},EXTRA" for n in range(bad)
    ]
    return "\n".join(lines) + "\n"


def test_rejects__page_links_work_past_the_first_page(login_as, world, write_file, import_file):
    batch = import_file(write_file("sheet.csv", _sheet(45)), source="county", full_file=False)
    assert batch.rejected == 45
    client = login_as(world.admin_dev)
    first = client.get(f"/imports/{batch.id}")
    assert first.status_code == 200
    body = first.get_data(as_text=True)
    assert body.count('<details class="raw-line">') == REJECTS_PER_PAGE
    assert "Page 1 of 3" in body
    assert "Rows 1 to 20 of 45." in body
    next_url = re.search(r'href="([^"]+)" rel="next"', body).group(1).replace("&amp;", "&")
    assert next_url == f"/imports/{batch.id}?page=2"
    last = client.get(f"/imports/{batch.id}?page=3").get_data(as_text=True)
    assert last.count('<details class="raw-line">') == 5
    assert "Rows 41 to 45 of 45." in last
    assert f'href="/imports/{batch.id}?page=2" rel="prev"' in last

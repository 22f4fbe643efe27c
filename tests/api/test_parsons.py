"""Parsons reads a page of every API list by column name, and the README's lines work.

(Every CSV export is read through Parsons in tests/test_exports.py.)
"""

from __future__ import annotations

import re
import types
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from parsons import Table

from fieldcrm.api.openapi import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]

# A column each list's table must have, besides `id`.
KEY_COLUMNS = {
    "/contacts": ("contact_id", "first_name", "phone", "turf", "support_level"),
    "/conversations": ("conversation_id", "contact_id", "result_code", "canvasser_email"),
    "/commitments": ("commitment_id", "commitment_kind", "commitment_status", "due_date"),
    "/ladder-moves": ("contact_id", "from_stage", "to_stage", "moved_at"),
    "/turfs": ("name", "region", "precinct_codes"),
    "/packets": ("name", "turf", "door_count", "doors_attempted"),
}


@pytest.fixture
def busy(street_world, cut, make_conversation, make_commitment):
    """East with packets, a conversation, a commitment and a ladder move."""
    from fieldcrm.extensions import db
    from fieldcrm.ladder.services import move_contact

    w = street_world
    cut(w.organizer_ana, w.east, target_size=10)
    make_conversation(w.east_1, w.organizer_ana, result_code="not_home", is_conversation=False)
    make_commitment(w.east_1, w.organizer_ana, description="Trae café")
    move_contact(w.organizer_ana, w.east_1, w.stages[0])
    db.session.commit()
    return w


def test_every_api_list__reads_into_a_parsons_table_by_column_name(busy, api_as):
    lists = sorted(
        op.rule for op in OPERATIONS if op.paged and op.method == "GET" and "<" not in op.rule
    )
    assert lists == sorted(KEY_COLUMNS)  # a new list gets its columns checked here
    api = api_as(busy.organizer_ana)
    for path in lists:
        page = api.get(path, query_string={"limit": 5}).get_json()
        table = Table(page["data"])
        assert table.num_rows >= 1, path
        for column in ("id", *KEY_COLUMNS[path]):
            assert column in table.columns, (path, column)
            assert len(table.column_data(column)) == table.num_rows
        assert table.column_data("id") == [r["id"] for r in page["data"]]


def _readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- {marker} -->\s*```python\n(.*?)```", text, re.S)
    assert block, f"README: the Parsons code is marked <!-- {marker} -->"
    return block.group(1)


def test_readme__the_three_parsons_lines_pull_contacts_and_conversations(busy, api_as):
    lines = _readme_block("parsons-lines")
    assert len([line for line in lines.splitlines() if line.strip()]) == 3
    code = _readme_block("parsons-setup") + lines
    api = api_as(busy.organizer_ana)

    def get(url: str, params=None, headers=None, **_kw):
        parts = urlsplit(url)
        token = (headers or {}).get("Authorization", "").replace("fcrm_…", api.token)
        response = api.client.get(
            parts.path, query_string=params or {}, headers={"Authorization": token}
        )
        return types.SimpleNamespace(json=response.get_json, status_code=response.status_code)

    fake_requests = types.ModuleType("requests")
    fake_requests.get = get  # type: ignore[attr-defined]
    namespace: dict = {}
    import sys

    saved = sys.modules.get("requests")
    sys.modules["requests"] = fake_requests
    try:
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    finally:
        if saved is not None:
            sys.modules["requests"] = saved
        else:
            del sys.modules["requests"]
    contacts, conversations = namespace["contacts"], namespace["conversations"]
    assert isinstance(contacts, Table)
    assert isinstance(conversations, Table)
    assert busy.east_1.id in contacts.column_data("id")
    assert "Eve" in contacts.column_data("first_name")
    assert conversations.column_data("result_code") == ["not_home"]

"""Pages of a search by name: the people the query names in order first, then the other
matches; every match on exactly one page; a count that stops at SEARCH_COUNT_CAP; and the
first part read from the name index in name order, never gathered whole."""

from __future__ import annotations

import pytest

from fieldcrm.contacts import queries
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.queries import ContactFilters, contacts_list, contacts_page
from fieldcrm.contacts.search import name_order_prefixes
from fieldcrm.extensions import db
from tests.fixtures.plans import query_plan


@pytest.fixture
def smiths(world, make_contact):
    """Mary Smiths of every shape in East, one in West, and a John Smith."""
    w, make = world, make_contact
    w.smith_mary = make(w.east, first_name="Smith", last_name="Mary")  # "mary smith": in order
    w.mary_smith = make(w.east, first_name="Mary", last_name="Smith")  # "smith mary"
    w.mary_ann_smith = make(w.east, first_name="Mary Ann", last_name="Smith")  # "smith mary ann"
    w.mary_jones_smith = make(w.east, first_name="Mary", last_name="Jones-Smith")  # others:
    w.anne_mary_smith = make(w.east, first_name="Anne Mary", last_name="Smith")
    w.mary_smithers = make(w.east, first_name="Mary", last_name="Smithers")
    w.west_mary_smith = make(w.west, first_name="Mary", last_name="Smith")  # not Ana's turf
    w.john_smith = make(w.east, first_name="John", last_name="Smith")  # not a match
    return w


def _in_order(w) -> list[Contact]:
    named = [w.smith_mary, w.mary_smith, w.mary_ann_smith]  # by name: "mary smith" < "smith…"
    others = [w.mary_jones_smith, w.anne_mary_smith, w.mary_smithers]  # "jones…" < "smith…"
    return named + others


def _page(app, actor, q: str, number: int, per_page: int, **filters):
    with app.test_request_context(f"/contacts/?page={number}"):
        return contacts_page(actor, ContactFilters(q=q, **filters), per_page, max_per_page=200)


def _walk(app, actor, q: str, per_page: int) -> list[Contact]:
    """Every contact of every page, following Next."""
    seen, number = [], 1
    while True:
        page = _page(app, actor, q, number, per_page)
        seen.extend(page.items)
        if not page.has_next:
            return seen
        number += 1


def test_prefixes__every_order_of_whole_name_words():
    assert name_order_prefixes("Mary Smith") == ["mary smith", "smith mary"]
    assert name_order_prefixes("  SMITH,  María ") == ["maria smith", "smith maria"]
    assert len(name_order_prefixes("ana maria de souza")) == 1  # four words: as typed
    # anything but name words of two letters or more: no ordered part
    for q in ("", "M Smith", "Smith 27215", "BN00012345", "(336) 555-0101", "12 oak"):
        assert name_order_prefixes(q) == [], q


def test_page__named_in_order_first_then_the_others_by_name(app, smiths):
    page = _page(app, smiths.organizer_ana, "Mary Smith", 1, 50)
    assert page.items == _in_order(smiths)
    assert (page.total, page.capped, page.has_next) == (6, False, False)


@pytest.mark.parametrize("per_page", [1, 2, 4, 5])
def test_pages__every_match_once_across_the_parts(app, smiths, per_page):
    assert _walk(app, smiths.organizer_ana, "mary smith", per_page) == _in_order(smiths)


@pytest.mark.parametrize("walk", [True, False])
def test_pages__the_same_people_as_the_list_and_its_export(
    app, smiths, monkeypatch, assign_to_leader, walk
):
    """Walking the name index and probing, or reading the scope's turfs and testing rows;
    and a leader's list."""
    monkeypatch.setattr(queries, "walks_past_scope", lambda actor, rows: walk)
    for person in (smiths.mary_smith, smiths.mary_smithers, smiths.john_smith):
        assign_to_leader(smiths.leader_lena, person)
    actors = (smiths.organizer_ana, smiths.director_dana, smiths.admin_dev, smiths.leader_lena)
    for actor in actors:
        for q in ("Mary Smith", "smith", "mar smi", "Smith Mary Ann", "jones smith", "m smith"):
            listed = set(db.session.scalars(contacts_list(actor, ContactFilters(q=q))))
            assert set(_walk(app, actor, q, 2)) == listed, (actor.email, q)
    lena = _walk(app, smiths.leader_lena, "mary smith", 1)
    assert lena == [smiths.mary_smith, smiths.mary_smithers]


def test_pages__other_filters_narrow_both_parts(app, smiths):
    smiths.mary_smith.support_level = 1
    smiths.mary_smithers.support_level = 1
    db.session.commit()
    page = _page(app, smiths.organizer_ana, "mary smith", 1, 50, support_level=1)
    assert page.items == [smiths.mary_smith, smiths.mary_smithers]


def test_count__stops_at_the_cap(app, smiths, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 4)
    first = _page(app, smiths.organizer_ana, "mary smith", 1, 2)
    assert (first.capped, first.count_cap, first.has_next) == (True, 4, True)
    assert first.items == _in_order(smiths)[:2]
    last = _page(app, smiths.organizer_ana, "mary smith", 3, 2)
    assert (last.items, last.has_next, last.has_prev) == (_in_order(smiths)[4:], False, True)
    assert _walk(app, smiths.organizer_ana, "mary smith", 2) == _in_order(smiths)
    under = _page(app, smiths.organizer_ana, "mary smithers", 1, 2)  # 1 match: exact count
    assert (under.capped, under.total) == (False, 1)


def test_list__says_more_than_the_cap_and_pages_on(app, login_as, smiths, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 4)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    client = login_as(smiths.organizer_ana)
    body = client.get("/contacts/?q=Mary+Smith").get_data(as_text=True)
    assert "More than 4 contacts" in body
    assert "Page 1<" in body
    assert "Page 1 of" not in body
    assert body.count('class="contact-row"') == 2
    assert 'rel="next"' in body
    assert 'rel="prev"' not in body
    last = client.get("/contacts/?q=Mary+Smith&page=3").get_data(as_text=True)
    assert "Mary Smithers" in last
    assert 'rel="next"' not in last
    assert 'rel="prev"' in last


def test_list__under_the_cap_keeps_its_exact_count(login_as, smiths):
    body = login_as(smiths.organizer_ana).get("/contacts/?q=Mary+Smith").get_data(as_text=True)
    assert "6 contacts" in body
    assert body.index("Smith Mary") < body.index("Mary Ann Smith") < body.index("Mary Smithers")


def _plan(stmt) -> str:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE contacts")
    return query_plan(stmt, forbid=("seqscan", "sort"))


def _sorts(plan: str) -> bool:
    """The plan sorts what it read (an incremental sort of equal names by id counts: every
    person sharing a name is read to sort them)."""
    return "USE TEMP B-TREE FOR" in plan or "Sort  (" in plan


def test_plan__a_large_scope_walks_the_name_index_in_order(app, smiths, monkeypatch):
    """The first part is a range of ix_contacts_search_name read in its (name, id) order
    with a LIMIT: a page of "Mary Smith" among millions reads a page, not every Mary Smith
    (nor every "smith mary" to order them by id)."""
    monkeypatch.setattr(queries, "walks_past_scope", lambda actor, rows: True)
    for actor in (smiths.director_dana, smiths.admin_dev):
        plan = _plan(_page(app, actor, "mary smith", 1, 50)._parts()[0].limit(51))
        assert "ix_contacts_search_name" in plan, plan
        assert not _sorts(plan), plan


def test_plan__a_small_scope_is_read_through_its_turfs(app, smiths, monkeypatch):
    monkeypatch.setattr(queries, "walks_past_scope", lambda actor, rows: False)
    plan = _plan(_page(app, smiths.organizer_ana, "mary smith", 1, 50)._parts()[0].limit(51))
    assert _sorts(plan), plan  # gathered from the turfs, then sorted

"""Pages say what people say: labels (never stored codes), in the viewer's language, and
phones as people write them (fieldcrm.labels)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fieldcrm.commitments import services as commitment_services
from fieldcrm.commitments.models import Commitment
from fieldcrm.conversations.defaults import DEFAULT_CHOICES
from fieldcrm.conversations.models import ChoiceOption, Conversation
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.labels import VOCABULARIES
from fieldcrm.ladder import services as ladder_services

VISIBLE_ATTRIBUTES = ("data-label", "aria-label", "title", "placeholder", "alt")
_LIST_CODES = {code for entries in DEFAULT_CHOICES.values() for code, _ in entries}
_WORD_CODES = {code for words in VOCABULARIES.values() for code in words}
# Codes with an underscore never appear in a word people say; the bare codes of records
# (result codes, issues, kinds, channels, statuses, responses, roles) are caught when they
# stand alone between separators ("· phone ·", "open → kept", "wages, rent", "(leader)").
UNDERSCORED = sorted(c for c in _LIST_CODES | _WORD_CODES if "_" in c)
BARE = {c for c in _LIST_CODES if "_" not in c} | {
    code
    for vocabulary in ("channel", "commitment_status", "response", "role", "phone_kind")
    for code in VOCABULARIES[vocabulary]
}
_SEPARATORS = re.compile(r"[·→:,;()\n]")


def _today(app):
    """Today where the program works (due dates are local dates)."""
    return datetime.now(ZoneInfo(app.config["PROGRAM_TIMEZONE"])).date()


class _VisibleText(HTMLParser):
    """Text a person sees or hears: text nodes and the labelling attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def raw_codes(html: str) -> list[str]:
    """Every stored code that shows on the page (empty when the page speaks in words)."""
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        found += [code for code in UNDERSCORED if code in text]
        found += [piece for piece in map(str.strip, _SEPARATORS.split(text)) if piece in BARE]
    return found


@pytest.fixture
def history(app, world, fieldwork, make_org):
    """East_1 (Eve) with every kind of record: an attempt per result code, a one-on-one with
    every issue, an ask and a response, a commitment of every kind (kept, flaked, cancelled,
    rescheduled, open), ladder moves, and a role in an organization."""
    ana = world.organizer_ana
    eve = world.east_1
    now = utcnow()
    for i, (code, _) in enumerate(DEFAULT_CHOICES["result_code"]):
        db.session.add(
            Conversation(
                contact_id=eve.id,
                user_id=ana.id,
                occurred_at=now - timedelta(hours=i + 2),
                channel=("door", "phone", "text")[i % 3],
                result_code=code,
                is_conversation=False,
            )
        )
    talk = Conversation(
        contact_id=eve.id,
        user_id=ana.id,
        occurred_at=now - timedelta(hours=1),
        channel="one_on_one",
        is_conversation=True,
        issues=[code for code, _ in DEFAULT_CHOICES["issue"]],
        ask_kind="house_meeting",
        response="maybe",
    )
    db.session.add(talk)
    db.session.flush()
    today = _today(app)
    outcomes = ["kept", "flaked", "cancelled", "rescheduled"]
    for i, (kind, _) in enumerate(DEFAULT_CHOICES["commitment_kind"]):
        owner = world.leader_lena if i % 2 else ana
        contact = world.east_assigned if i % 2 else eve
        commitment = Commitment(
            contact_id=contact.id,
            conversation_id=talk.id if contact is eve else None,
            kind=kind,
            due_date=today - timedelta(days=1),
            owner_id=owner.id,
            created_by_id=ana.id,
            status="open",
        )
        db.session.add(commitment)
        db.session.flush()
        if i < len(outcomes):
            commitment_services.set_status(
                ana, commitment, outcomes[i], new_due_date=today + timedelta(days=3)
            )
    ladder_services.move_contact(ana, eve, fieldwork[0])
    ladder_services.move_contact(ana, eve, fieldwork[1])
    db.session.commit()
    org = make_org("Tenants United", members=[eve], kind="tenants", role="contact_person")
    return SimpleNamespace(org=org, talk=talk)


def _pages(world, history) -> list[tuple[object, str]]:
    eve = world.east_1.id
    return [
        (world.organizer_ana, f"/contacts/{eve}"),
        (world.organizer_ana, "/home"),
        (world.organizer_ana, "/commitments/"),
        (world.organizer_ana, "/commitments/team"),
        (world.organizer_ana, f"/organizations/{history.org.id}"),
        (world.organizer_ana, "/organizations/"),
        (world.organizer_ana, "/ladder/"),
        (world.organizer_ana, f"/contacts/{eve}/log"),
        (world.director_dana, "/home"),
        (world.director_dana, "/team"),
        (world.director_dana, "/commitments/team"),
        (world.director_dana, f"/turf/{world.east.id}"),
        (world.leader_lena, "/home"),
        (world.leader_lena, "/commitments/"),
        (world.admin_dev, "/admin/users"),
        (world.admin_dev, "/ladder/stages"),
    ]


@pytest.mark.parametrize("locale", ["en", "es"])
def test_pages__history_and_team_pages_show_no_raw_code(login_as, world, history, locale):
    for user, _ in _pages(world, history):
        user.locale = locale
    db.session.commit()
    for user, url in _pages(world, history):
        response = login_as(user).get(url)
        assert response.status_code == 200, url
        assert raw_codes(response.get_data(True)) == [], url


def test_raw_codes__catches_what_the_pages_used_to_show():
    page = (
        "<li>Attempt · door · not_home</li><td data-label='one_on_ones'>2</td>"
        "<span>volunteer_shift</span> <span class='badge'>open</span>"
        "<p>Issues: wages, rent</p><footer>Signed in as Ana (organizer)</footer>"
    )
    assert set(raw_codes(page)) >= {
        "door", "not_home", "one_on_ones", "volunteer_shift", "open", "wages", "rent",
        "organizer",
    }  # fmt: skip


def test_spanish__configured_lists_and_stages_in_spanish(login_as, world, history):
    world.organizer_ana.locale = "es"
    db.session.commit()
    client = login_as(world.organizer_ana)
    detail = client.get(f"/contacts/{world.east_1.id}").get_data(True)
    for spanish in (
        "No está en casa",  # result code
        "Número equivocado",
        "Alquiler y vivienda",  # issue
        "Organizar una reunión en casa",  # ask and commitment kind
        "Turno de voluntariado",
        "Simpatizante",  # ladder stage
        "Voluntario",
        "Organizador de campo",  # the footer's role
    ):
        assert spanish in detail, spanish
    for english in ("Not home", "Wrong number", "Rent and housing", "Volunteer shift"):
        assert english not in detail, english
    log = client.get(f"/contacts/{world.east_1.id}/log").get_data(True)
    assert "No está en casa" in log
    assert "Not home" not in log
    assert "Venir a un evento" in log  # commitment kinds to pick from
    board = client.get("/ladder/").get_data(True)
    assert "Voluntario habitual" in board
    assert "Regular volunteer" not in board
    follow = client.get("/commitments/").get_data(True)
    assert "Hacer un plan para votar" in follow
    assert "Make a voting plan" not in follow


def test_spanish__a_language_without_its_own_label_shows_the_default(
    login_as, world, fieldwork, make_conversation
):
    db.session.add(
        ChoiceOption(list_name="result_code", code="dog", label="Dog at the door", position=9)
    )
    db.session.commit()
    make_conversation(world.east_1, world.organizer_ana, result_code="dog", is_conversation=False)
    world.organizer_ana.locale = "es"
    db.session.commit()
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True)
    assert "Dog at the door" in body


def test_retired_and_unknown_codes__still_in_words(login_as, world, fieldwork, make_conversation):
    option = db.session.scalar(sa.select(ChoiceOption).where(ChoiceOption.code == "come_back"))
    option.active = False
    db.session.commit()
    make_conversation(
        world.east_1, world.organizer_ana, result_code="come_back", is_conversation=False
    )
    make_conversation(
        world.east_1, world.organizer_ana, result_code="gone_fishing", is_conversation=False
    )
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True)
    assert "Come back later" in body  # retired: its label stays
    assert "Gone fishing" in body
    assert raw_codes(body) == []


def test_voter_status__in_words_on_the_contact_page(login_as, world):
    """The voter file's status reads as a word ("Inactive"), not the stored code."""
    world.east_1.voter_status = "inactive"
    db.session.commit()
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True)
    assert "<dt>Voter status</dt><dd>Inactive</dd>" in body


# -- phones -----------------------------------------------------------------------------


def test_phones__national_format_at_home_international_otherwise(
    app, login_as, world, make_contact
):
    from fieldcrm.contacts.models import ContactPhone

    world.east_1.phones.append(
        ContactPhone(raw="020 7946 0958", e164="+442079460958", valid=True, kind="home")
    )
    world.east_1.phones.append(ContactPhone(raw="555-12", e164=None, valid=False, kind="phone"))
    db.session.commit()
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True)
    assert "(336) 555-0101" in body
    assert "+13365550101</span>" not in body
    assert "+44 20 7946 0958" in body
    assert "555-12" in body  # not dialable: shown as given
    assert 'href="tel:+13365550101"' in body  # links keep E.164
    app.config["PHONE_REGION"] = "GB"
    try:
        body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True)
    finally:
        app.config["PHONE_REGION"] = "US"
    assert "020 7946 0958" in body
    assert "+1 336-555-0101" in body


# -- the follow-up text -----------------------------------------------------------------


def _sms_bodies(html: str) -> list[str]:
    return [unquote(m) for m in re.findall(r"body=([^\"]+)\"", html)]


def test_follow_up_text__every_kind_reads_right(app, login_as, world, fieldwork, make_commitment):
    today = _today(app)
    for kind, _ in DEFAULT_CHOICES["commitment_kind"]:
        make_commitment(world.east_1, world.organizer_ana, kind=kind, due_date=today)
    body = login_as(world.organizer_ana).get("/commitments/?all=1").get_data(True)
    texts = sorted(_sms_bodies(body))
    assert len(texts) == len(DEFAULT_CHOICES["commitment_kind"])
    expected = {
        "your volunteer shift", "the house meeting you're hosting", "the training",
        "bringing people in", "your plan to vote", "signing the card",
        "our next one-on-one", "the event",
    }  # fmt: skip
    assert sorted(texts) == sorted(
        f"Hi Eve, it's Ana. Just checking in about {phrase}. Still good?" for phrase in expected
    )


def test_follow_up_text__in_spanish_and_for_a_kind_without_a_phrase(
    app, login_as, world, fieldwork, make_commitment
):
    db.session.add(
        ChoiceOption(
            list_name="commitment_kind",
            code="parade",
            label="Walk in the parade",
            translations={"es": {"label": "Marchar en el desfile"}},
            position=20,
        )
    )
    world.organizer_ana.locale = "es"
    db.session.commit()
    today = _today(app)
    make_commitment(world.east_1, world.organizer_ana, kind="event", due_date=today)
    make_commitment(world.east_1, world.organizer_ana, kind="parade", due_date=today)
    texts = _sms_bodies(login_as(world.organizer_ana).get("/commitments/").get_data(True))
    assert any("el evento" in t for t in texts)
    assert any("“Marchar en el desfile”" in t for t in texts)


# -- admins edit the labels per language --------------------------------------------------


def test_admin__gives_an_entry_a_label_and_phrase_per_language(login_as, world, fieldwork):
    option = db.session.scalar(
        sa.select(ChoiceOption).where(
            ChoiceOption.list_name == "commitment_kind", ChoiceOption.code == "event"
        )
    )
    client = login_as(world.admin_dev)
    page = client.get("/conversations/choices").get_data(True)
    assert f'name="o{option.id}-label_es"' in page
    assert 'value="Venir a un evento"' in page
    prefix = f"o{option.id}-"
    response = client.post(
        f"/conversations/choices/option/{option.id}",
        data={
            prefix + "label": "Come to the rally",
            prefix + "position": "3",
            prefix + "active": "y",
            prefix + "phrase": "the rally",
            prefix + "label_es": "Venir a la manifestación",
            prefix + "phrase_es": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(option)
    assert option.label == "Come to the rally"
    assert option.phrase == "the rally"
    assert option.translations == {"es": {"label": "Venir a la manifestación"}}
    assert option.text_in("phrase", "es") == "the rally"  # none of its own: the default

    added = client.post(
        "/conversations/choices/issue",
        data={"issue-list_name": "issue", "issue-label": "Water", "issue-label_es": "Agua"},
    )
    assert added.status_code == 302
    water = db.session.scalar(sa.select(ChoiceOption).where(ChoiceOption.code == "water"))
    assert water.text_in("label", "es") == "Agua"


def test_admin__names_a_stage_per_language(login_as, world, fieldwork):
    stage = fieldwork[0]
    client = login_as(world.admin_dev)
    page = client.get(f"/ladder/stages/{stage.id}").get_data(True)
    assert 'name="name_es"' in page
    assert 'value="Simpatizante"' in page
    response = client.post(
        f"/ladder/stages/{stage.id}",
        data={
            "name": "Supporter",
            "position": "1",
            "description": "With us",
            "active": "y",
            "name_es": "Partidario",
            "description_es": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(stage)
    assert stage.translations == {"es": {"name": "Partidario"}}
    created = client.post(
        "/ladder/stages",
        data={"name": "Door captain", "position": "6", "name_es": "Capitán de puerta"},
    )
    assert created.status_code == 302
    world.organizer_ana.locale = "es"
    db.session.commit()
    stages = login_as(world.admin_dev).get("/ladder/stages").get_data(True)
    assert "Door captain" in stages


# -- roles ----------------------------------------------------------------------------------


def test_new_user_form__defaults_to_the_least_privilege(login_as, world):
    page = login_as(world.admin_dev).get("/admin/users/new").get_data(True)
    selected = re.search(r'<option selected value="(\w+)">|<option value="(\w+)" selected', page)
    assert selected is not None
    assert "leader" in selected.groups()


def test_roles__in_words_in_the_footer_and_lists(login_as, world):
    world.admin_dev.locale = "es"
    db.session.commit()
    page = login_as(world.admin_dev).get("/admin/users").get_data(True)
    assert "Líder voluntario" in page
    assert "(Administrador)" in page


def test_languages__by_name_in_the_viewers_language(login_as, world):
    world.east_1.preferred_languages = "es, en"
    db.session.commit()
    client = login_as(world.organizer_ana)
    assert "Spanish, English" in client.get(f"/contacts/{world.east_1.id}").get_data(True)
    world.organizer_ana.locale = "es"
    db.session.commit()
    assert "español, inglés" in client.get(f"/contacts/{world.east_1.id}").get_data(True)

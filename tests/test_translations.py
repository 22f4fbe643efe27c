"""The Spanish catalog is complete, and what the services answer reaches people in their
language (field programs organize in Spanish)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from fieldcrm.commitments import services as commitment_services
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db
from tests.fixtures.factories import PASSWORD

CATALOG = Path(__file__).parents[1] / "fieldcrm/translations/es/LC_MESSAGES/messages.po"
_PLACEHOLDERS = re.compile(r"%(?:\([a-z_]+\))?[sdif]|%%|\{[a-z_]*\}|</?[a-z]+[^>]*>")


def _marks(text: str) -> list[str]:
    return sorted(_PLACEHOLDERS.findall(text))


def test_catalog__every_message_translated_with_its_placeholders():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    problems = [f"{m.id!r}: {e}" for m, errors in catalog.check() for e in errors]
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"{ids[0]!r}: fuzzy or untranslated")
            continue
        for i, text in enumerate(strings):
            if _marks(ids[min(i, len(ids) - 1)]) != _marks(text):
                problems.append(f"{ids[0]!r}: placeholders differ in {text!r}")
    assert problems == []


def test_spanish__a_webhook_url_refused_in_spanish(login_as, world):
    world.admin_dev.locale = "es"
    db.session.commit()
    response = login_as(world.admin_dev).post(
        "/admin/webhooks/new",
        data={"url": "ftp://hooks.example.test/in", "events": ["ladder.moved"], "active": "y"},
    )
    assert response.status_code == 422
    body = response.get_data(True)
    assert "Solo se aceptan URL con http:// y https://." in body
    assert "Only http:// and https:// URLs are accepted." not in body


def test_spanish__a_wrong_current_password_refused_in_spanish(login_as, make_user):
    user = make_user()
    user.locale = "es"
    db.session.commit()
    response = login_as(user).post(
        "/auth/account",
        data={
            "pw-current_password": "not " + PASSWORD,
            "pw-new_password": "another good password",
            "pw-confirm": "another good password",
            "pw-submit": "1",
        },
    )
    body = response.get_data(True)
    assert "Esa no es su contraseña actual." in body
    assert "That is not your current password." not in body


@pytest.mark.parametrize(
    ("locale", "shown", "hidden"),
    [
        ("en", ["channel: Door → Walk", "result: Not home (not_home)"], ["channel: door"]),
        (
            "es",
            [
                "canal: Puerta → Walk",  # VAN's own name stays as VAN spells it
                "resultado: No está en casa (not_home)",
                "compromiso hecho: Turno de voluntariado",
            ],
            ["canal: door", "door →", "Not home", "Volunteer shift"],
        ),
    ],
)
def test_van_mapping__fieldcrm_codes_by_their_labels(
    login_as, world, fieldwork, locale, shown, hidden
):
    world.admin_dev.locale = locale
    db.session.commit()
    body = login_as(world.admin_dev).get("/van/mapping").get_data(True)
    for text in shown:
        assert text in body
    for text in hidden:
        assert text not in body


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("en", ["Label in Spanish", "(in English and"]),
        ("es", ["Etiqueta en español", "(en inglés y"]),
    ],
)
def test_choice_lists__languages_named_in_the_viewers_language(login_as, world, locale, shown):
    world.admin_dev.locale = locale
    db.session.commit()
    body = login_as(world.admin_dev).get("/conversations/choices").get_data(True)
    for text in shown:
        assert text in body
    assert "Español" not in body


def test_commitment__a_refused_transition_names_statuses_in_words(
    world, fieldwork, make_commitment
):
    commitment = make_commitment(world.east_1, world.organizer_ana, status="kept")
    with pytest.raises(ValidationFailed) as refused:
        commitment_services.set_status(world.organizer_ana, commitment, "rescheduled")
    assert refused.value.errors == [
        ("status", "A commitment marked Kept cannot become Rescheduled.")
    ]

"""The lists a new program starts with, in English and Spanish.

`DEFAULT_CHOICES` holds each list's codes and English labels in order; `SHIPPED` holds every
shipped language's texts per (list, code): the label, and for commitment kinds the phrase a
follow-up text names it with ("Just checking in about {commitment}"). Admins relabel,
translate, add and retire entries afterwards (fieldcrm.conversations.services).
"""

from __future__ import annotations

DEFAULT_CHOICES: dict[str, list[tuple[str, str]]] = {
    "result_code": [
        ("not_home", "Not home"), ("refused", "Refused"), ("moved", "Moved"),
        ("deceased", "Deceased"), ("wrong_number", "Wrong number"),
        ("inaccessible", "Inaccessible"), ("come_back", "Come back later"),
    ],
    "issue": [
        ("health_care", "Health care"), ("wages", "Wages"), ("rent", "Rent and housing"),
        ("the_boss", "The boss / workplace"), ("immigration", "Immigration"),
        ("schools", "Schools"), ("child_care", "Child care"), ("transit", "Transit"),
        ("safety", "Public safety"), ("climate", "Climate"),
    ],
    "ask_kind": [
        ("volunteer_shift", "Volunteer shift"), ("house_meeting", "Host a house meeting"),
        ("training", "Attend a training"), ("recruit", "Recruit people"),
        ("vote_plan", "Make a voting plan"), ("sign_card", "Sign a card or petition"),
        ("one_on_one", "Follow-up one-on-one"), ("event", "Come to an event"),
    ],
    "commitment_kind": [
        ("volunteer_shift", "Volunteer shift"), ("house_meeting", "Host a house meeting"),
        ("training", "Attend a training"), ("recruit", "Recruit people"),
        ("vote_plan", "Make a voting plan"), ("sign_card", "Sign a card or petition"),
        ("one_on_one", "Follow-up one-on-one"), ("event", "Come to an event"),
    ],
}  # fmt: skip

_SPANISH_LABELS: dict[str, dict[str, str]] = {
    "result_code": {
        "not_home": "No está en casa", "refused": "Se negó", "moved": "Se mudó",
        "deceased": "Falleció", "wrong_number": "Número equivocado",
        "inaccessible": "Inaccesible", "come_back": "Volver más tarde",
    },
    "issue": {
        "health_care": "Salud", "wages": "Salarios", "rent": "Alquiler y vivienda",
        "the_boss": "El jefe / el trabajo", "immigration": "Inmigración",
        "schools": "Escuelas", "child_care": "Cuidado infantil",
        "transit": "Transporte público", "safety": "Seguridad pública", "climate": "Clima",
    },
    "commitment_kind": {
        "volunteer_shift": "Turno de voluntariado",
        "house_meeting": "Organizar una reunión en casa",
        "training": "Asistir a una capacitación", "recruit": "Reclutar gente",
        "vote_plan": "Hacer un plan para votar", "sign_card": "Firmar una tarjeta o petición",
        "one_on_one": "Reunión uno a uno de seguimiento", "event": "Venir a un evento",
    },
}  # fmt: skip
_SPANISH_LABELS["ask_kind"] = _SPANISH_LABELS["commitment_kind"]

# How a follow-up text names the commitment: "Just checking in about <phrase>. Still good?"
# ("Te escribo sobre <phrase>. ¿Sigue en pie?").
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "volunteer_shift": "your volunteer shift",
        "house_meeting": "the house meeting you're hosting",
        "training": "the training", "recruit": "bringing people in",
        "vote_plan": "your plan to vote", "sign_card": "signing the card",
        "one_on_one": "our next one-on-one", "event": "the event",
    },
    "es": {
        "volunteer_shift": "tu turno de voluntariado",
        "house_meeting": "la reunión en casa que vas a organizar",
        "training": "la capacitación", "recruit": "invitar a más gente",
        "vote_plan": "tu plan para votar", "sign_card": "firmar la tarjeta",
        "one_on_one": "nuestra próxima reunión uno a uno", "event": "el evento",
    },
}  # fmt: skip

SHIPPED_LANGUAGES = ("en", "es")


def shipped_texts(list_name: str, code: str) -> dict[str, dict[str, str]]:
    """{locale: {"label": …, "phrase": …}} for a default entry; empty for any other."""
    english = dict(DEFAULT_CHOICES.get(list_name, ())).get(code)
    if english is None:
        return {}
    texts: dict[str, dict[str, str]] = {"en": {"label": english}}
    spanish = _SPANISH_LABELS.get(list_name, {}).get(code)
    if spanish:
        texts["es"] = {"label": spanish}
    if list_name == "commitment_kind":
        for locale, phrases in _PHRASES.items():
            if code in phrases and locale in texts:
                texts[locale]["phrase"] = phrases[code]
    return texts

"""The ladder a new program starts with, in every shipped language.

`DEFAULT_LADDER` (fieldcrm.ladder.models) holds the English names and descriptions, bottom
rung first; `SPANISH` their Spanish texts. Admins rename, translate, add and retire stages
afterwards (fieldcrm.ladder.services).
"""

from __future__ import annotations

from fieldcrm.ladder.models import DEFAULT_LADDER

SPANISH: dict[str, dict[str, str]] = {
    "Supporter": {"name": "Simpatizante", "description": "Dice que está con nosotros."},
    "Volunteer": {
        "name": "Voluntario",
        "description": "Ha hecho una acción como voluntario (un turno, una reunión en casa, "
        "una llamada).",
    },
    "Regular volunteer": {
        "name": "Voluntario habitual",
        "description": "Viene cada semana o dos, sin que haya que insistirle.",
    },
    "Team leader / captain": {
        "name": "Líder de equipo / capitán",
        "description": "Dirige un equipo: recluta, confirma y hace el balance con los demás.",
    },
    "Organizer": {
        "name": "Organizador",
        "description": "Lleva un territorio o una comunidad; forma a sus propios líderes.",
    },
}


def shipped_stages() -> list[dict[str, dict[str, str]]]:
    """Each default stage, bottom first, as {locale: {"name": …, "description": …}}."""
    stages = []
    for name, description in DEFAULT_LADDER:
        texts = {"en": {"name": name, "description": description}}
        if name in SPANISH:
            texts["es"] = dict(SPANISH[name])
        stages.append(texts)
    return stages

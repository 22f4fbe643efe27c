"""The OpenAPI document and its reading page (Swagger UI, vendored under static/vendor/)."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import render_template

from fieldcrm.api import openapi
from fieldcrm.api.views import answer, bp

DESCRIPTION = """FieldCRM's JSON API. Every call acts as the user whose personal token it
sends (`Authorization: Bearer <token>`), with exactly that user's role and turfs: a record
outside them answers 404, as on the pages. Lists answer `{"data": [...], "next": cursor}`;
pass `next` back as `cursor` until it is null. Field names follow the CSV exports. Invalid
input answers 422 with `fields` naming each field and the problem; nothing is half-saved."""


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (built once per process from the registered operations)."""
    return openapi.build("FieldCRM API", "1.0.0", DESCRIPTION)


@bp.route("/openapi.json")
def openapi_json():
    return answer(document())


@bp.route("/docs")
def docs():
    return render_template("api/docs.html")

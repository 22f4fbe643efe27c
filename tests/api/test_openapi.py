"""The OpenAPI document: valid OpenAPI 3.1, generated from the routes, served with its page."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate

from fieldcrm.api.openapi import OPERATIONS, openapi_path
from fieldcrm.api.views import PUBLIC_ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document__is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on any error


def test_document__paths_are_exactly_the_registered_api_routes(app, spec):
    prefix = "/api/v1"
    routes = {
        (openapi_path(rule.rule[len(prefix) :]), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in PUBLIC_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert documented == routes
    assert len(OPERATIONS) == len(routes)


def test_document__every_operation_names_its_errors_and_auth(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert "401" in op["responses"], (path, method)
            if method in ("post", "patch"):
                assert "422" in op["responses"], (path, method)
            if "{" in path:
                assert "404" in op["responses"], (path, method)


def test_document__lists_are_data_and_next(spec):
    lists = [p for p, item in spec["paths"].items() if "get" in item and "{" not in p]
    assert "/contacts" in lists
    for path in lists:
        if path == "/me":
            continue
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert set(schema["schema"]["properties"]) == {"data", "next"}, path


def _validator(spec, ref: dict):
    """A JSON Schema validator for a schema of the document (refs resolve in it)."""
    schema = {**ref, "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_document__answers_match_their_schemas(spec, api_as, world, fieldwork):
    """Real answers of every list and record route validate against the documented schema."""
    api = api_as(world.admin_dev)
    api.post(
        "/conversations",
        json={"contact_id": world.east_1.id, "channel": "door", "result_code": "not_home"},
    )
    api.post("/commitments", json={"contact_id": world.east_1.id, "commitment_kind": "recruit"})
    api.post("/ladder-moves", json={"contact_id": world.east_1.id, "to_stage_id": fieldwork[0].id})
    checked = 0
    for path, item in spec["paths"].items():
        if "get" not in item or "{" in path:
            continue
        response = api.get(path)
        assert response.status_code == 200, path
        schema = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        body = response.get_json()
        _validator(spec, schema).validate(body)
        for record in body.get("data", [])[:1]:
            detail = next(
                (p for p in spec["paths"] if re.fullmatch(re.escape(path) + r"/\{\w+\}", p)), None
            )
            if detail:
                one = api.get(detail.split("{")[0] + str(record["id"]))
                assert one.status_code == 200, detail
                schema = spec["paths"][detail]["get"]["responses"]["200"]["content"]
                _validator(spec, schema["application/json"]["schema"]).validate(one.get_json())
                checked += 1
    assert checked >= 4


def test_docs_page__serves_vendored_assets_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    for src in sources:
        if src.startswith("/static/"):
            path = ROOT / src.split("?")[0].lstrip("/")
            assert path.exists(), src
            asset = client.get(src)
            assert asset.status_code == 200
            asset.close()

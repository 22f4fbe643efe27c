"""The OpenAPI 3.1 document, generated from the routes and their pydantic models.

Why pydantic and this small generator rather than apispec or flask-smorest: OpenAPI 3.1's
schema objects *are* JSON Schema (2020-12), which pydantic 2 writes natively, so every
model becomes a component without translation (apispec's marshmallow plugin targets 3.0's
dialect first; flask-smorest adds marshmallow, webargs and a framework of its own). The
same models parse the requests, so what the document says is what the code accepts.

Each API view is registered through `operation(...)`, which records its path, method,
query and body models, answer model and extra headers in OPERATIONS, and registers the
Flask route from the same values: the document's paths are the app's routes (a test
compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from fieldcrm.api.schemas import ErrorOut

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    """One documented route."""

    endpoint: str
    rule: str
    method: str
    summary: str
    description: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | tuple[type[BaseModel], ...] | None = None
    paged: bool = False
    status: int = 200
    headers: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    extra_answers: dict[int, type[BaseModel]] = field(default_factory=dict)


OPERATIONS: list[Operation] = []

_HEADERS = {
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "description": "The ETag of the record as you read it (or * for any version).",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Your unique string for this write (a UUID): a retry with the same "
        "key and body answers with the first record instead of storing another.",
        "schema": {"type": "string", "maxLength": 255},
    },
}

_COMMON_ERRORS = (401, 429)


def register(op: Operation) -> None:
    if any(o.endpoint == op.endpoint for o in OPERATIONS):
        raise RuntimeError(f"API operation registered twice: {op.endpoint}")
    OPERATIONS.append(op)


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /contacts/<int:contact_id> -> /contacts/{contact_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    params = []
    for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", rule):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
            if converter == "int"
            else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_parameters(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    defs.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}},
    }


_ERROR_TEXT = {
    401: "No valid token (missing, unknown, revoked, expired, or its user is deactivated).",
    403: "The token's role may not do this.",
    404: "Not found, or outside the token's scope.",
    412: "If-Match does not match the record's current ETag.",
    415: "The body is not JSON.",
    422: "Invalid input: `fields` names each field and what is wrong.",
    428: "If-Match is missing.",
    429: "Too many requests for this token.",
}


def _answer(op: Operation) -> dict[str, Any]:
    if op.answer is None:
        return {"description": "OK"}
    answers = op.answer if isinstance(op.answer, tuple) else (op.answer,)
    refs = [{"$ref": REF.format(model=m.__name__)} for m in answers]
    ref: dict[str, Any] = refs[0] if len(refs) == 1 else {"oneOf": refs}
    if op.paged:
        schema: dict[str, Any] = {
            "type": "object",
            "required": ["data", "next"],
            "properties": {
                "data": {"type": "array", "items": ref},
                "next": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last.",
                },
            },
        }
    else:
        schema = ref
    answer: dict[str, Any] = {
        "description": "Created" if op.status == 201 else "OK",
        "content": {"application/json": {"schema": schema}},
    }
    if "If-Match" in op.headers or (op.method == "GET" and op.tag == "contacts" and not op.paged):
        answer["headers"] = {
            "ETag": {"description": "The record's version, quoted.", "schema": {"type": "string"}}
        }
    return answer


def build(title: str, version: str, description: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every registered operation."""
    models: set[type[BaseModel]] = {ErrorOut}
    for op in OPERATIONS:
        answers = op.answer if isinstance(op.answer, tuple) else (op.answer,)
        models.update(m for m in (op.body, *answers, *op.extra_answers.values()) if m)
    _keys, schemas = models_json_schema(
        [(m, "validation" if _is_input(m) else "serialization") for m in sorted(models, key=repr)],
        ref_template=REF,
    )
    components: dict[str, Any] = dict(schemas.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        parameters = _path_parameters(op.rule)
        if op.query is not None:
            parameters += _query_parameters(op.query, components)
        parameters += [_HEADERS[h] for h in op.headers]
        responses: dict[str, Any] = {str(op.status): _answer(op)}
        for code, model in op.extra_answers.items():
            responses[str(code)] = {
                "description": model.__doc__.strip().splitlines()[0] if model.__doc__ else "OK",
                "content": {
                    "application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}
                },
            }
        for code in sorted({*op.errors, *_COMMON_ERRORS}):
            responses[str(code)] = _error(_ERROR_TEXT.get(code, "Error."))
        item: dict[str, Any] = {
            "operationId": op.endpoint.replace(".", "_"),
            "summary": op.summary,
            "tags": [op.tag],
            "responses": responses,
        }
        if op.description:
            item["description"] = op.description
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}
                },
            }
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (Account → API tokens, or "
                    "`fieldcrm api-tokens create`).",
                }
            },
        },
    }


def _is_input(model: type[BaseModel]) -> bool:
    from fieldcrm.api.schemas import Shape

    return issubclass(model, Shape)


def route_decorator(bp: Any) -> Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """`@operation(rule, method, ...)` for blueprint `bp`: registers the route and documents it."""

    def operation(
        rule: str,
        method: str,
        *,
        summary: str,
        tag: str,
        description: str = "",
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        answer: type[BaseModel] | tuple[type[BaseModel], ...] | None = None,
        paged: bool = False,
        status: int = 200,
        headers: tuple[str, ...] = (),
        errors: tuple[int, ...] = (),
        extra_answers: dict[int, type[BaseModel]] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            endpoint = f"{bp.name}.{view.__name__}"
            register(
                Operation(
                    endpoint=endpoint,
                    rule=rule,
                    method=method,
                    summary=summary,
                    description=description,
                    tag=tag,
                    query=query,
                    body=body,
                    answer=answer,
                    paged=paged,
                    status=status,
                    headers=headers,
                    errors=errors,
                    extra_answers=extra_answers or {},
                )
            )
            bp.add_url_rule(rule, view_func=view, methods=[method])
            return view

        return decorator

    return operation

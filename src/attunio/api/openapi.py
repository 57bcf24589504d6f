"""The OpenAPI 3.1 document, generated from the same Structs that decode requests, so the
published schema is exactly what the appliance enforces. No external assets are referenced."""

from __future__ import annotations

import typing
from typing import Any

import msgspec

from attunio import __version__
from attunio.engines import ENGINES
from attunio.engines.inputs import schema_hook

ERROR_CODES = ["invalid_request", "unauthorized", "invalid_token", "payment_required", "forbidden",
               "not_found", "method_not_allowed", "payload_too_large", "unsupported_media_type",
               "rate_limited", "server_error"]
ERROR_SCHEMA = {
    "type": "object",
    "required": ["ok", "error"],
    "properties": {
        "ok": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": ERROR_CODES},
                "message": {"type": "string"},
                "issues": {"type": "array", "items": {
                    "type": "object", "required": ["path", "message"],
                    "properties": {"path": {"type": "string"}, "message": {"type": "string"}}}},
            },
        },
    },
}
ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
ERRORS = {str(s): {"description": d, "content": ERROR_REF}
          for s, d in [(400, "Invalid JSON or failed validation"), (401, "Missing, malformed, invalid or revoked key"),
                       (402, "Live key without an active license with production access"),
                       (403, "Key not permitted here"), (413, "Body too large"), (415, "Not JSON"),
                       (429, "Daily sandbox quota exceeded")]}


def _ok(ref: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["ok", "data"], "properties": {"ok": {"const": True}, "data": ref}}


def build_openapi() -> dict[str, Any]:
    request_types = [spec.request_type for spec in ENGINES.values()]
    result_types = [typing.get_type_hints(spec.analyze)["return"] for spec in ENGINES.values()]
    refs, components = msgspec.json.schema_components(
        request_types + result_types, ref_template="#/components/schemas/{name}", schema_hook=schema_hook
    )
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for i, spec in enumerate(ENGINES.values()):
        paths[spec.path] = {"post": {
            "operationId": spec.key,
            "summary": (spec.analyze.__doc__ or spec.key).strip().splitlines()[0],
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": refs[i]}}},
            "responses": {"200": {"description": "Analysis", "content": {"application/json": {
                "schema": _ok(refs[len(request_types) + i])}}}, **ERRORS},
        }}
    ping = {"type": "object", "properties": {
        "object": {"const": "ping"}, "mode": {"enum": ["test", "live"]},
        "keyType": {"enum": ["secret", "publishable"]}, "app": {"type": "string"}, "time": {"type": "string"}}}
    paths["/v1/ping"] = {"get": {
        "operationId": "ping", "summary": "Confirm the key and its mode", "security": [{"bearer": []}],
        "responses": {"200": {"description": "Key accepted", "content": {"application/json": {"schema": _ok(ping)}}},
                      **{k: v for k, v in ERRORS.items() if k in ("401", "403")}},
    }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Attunio Clinical Intelligence API (appliance)", "version": __version__},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }

"""The OpenAPI 3.1 document, generated from the same Structs that decode requests, so the
published schema is exactly what the appliance enforces. No external assets are referenced.

Words come from `openapi_text.py`; each engine's answer example is that engine's own answer to the
reference's request example (default parameters, a fixed instant), so no example can drift from
what the appliance would say.
"""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from typing import Any

import msgspec

from attunio import __version__
from attunio.api.admission import GRACE_HEADER, LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER
from attunio.api.auth import BROWSER_ENDPOINT
from attunio.api.openapi_text import FIELDS, ISO, OPERATIONS, REQUEST_EXAMPLES, SHARED
from attunio.engines import ENGINES, EngineSpec
from attunio.engines.common import default_model
from attunio.engines.inputs import schema_hook
from attunio.errors import ERROR_CODES
from attunio.validation import decode_request

EXAMPLE_NOW = datetime(2026, 6, 28, 15, 4, 5, tzinfo=UTC)
ERROR_SCHEMA = {
    "type": "object",
    "description": "The error envelope: every failure, whatever its status, has this shape.",
    "required": ["ok", "error"],
    "properties": {
        "ok": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": list(ERROR_CODES), "description": "Stable code for programs.",
                         "examples": ["invalid_request"]},
                "message": {"type": "string", "description": "What happened and what to do, for a person.",
                            "examples": ["Telemetry validation failed."]},
                "issues": {"type": "array", "description": "Every failing field (400 only), with a dotted path.",
                           "examples": [[{"path": "responseLatencySeconds", "message": "Number must be ≤ 120"}]],
                           "items": {"type": "object", "required": ["path", "message"],
                                     "properties": {"path": {"type": "string"}, "message": {"type": "string"}}}},
            },
        },
    },
}


def _header(description: str, example: str, *, required: bool = False, integer: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"} if integer else {"type": "string"}
    return {"description": description, "required": required, "schema": schema,
            "example": int(example) if integer else example}


HEADERS: dict[str, dict[str, Any]] = {
    "Request-Id": _header("Unique id of this request; quote it when reporting a problem (it is in the logs).",
                          "req_4663a7418763c349c7fb7ab6", required=True),
    LIMIT_HEADER: _header("Sandbox (test key) answers: the app's daily quota.", "500", integer=True),
    REMAINING_HEADER: _header("Sandbox answers: requests left today (UTC).", "497", integer=True),
    RESET_HEADER: _header("Sandbox answers: seconds to the next UTC midnight, when the quota resets.", "32400",
                          integer=True),
    GRACE_HEADER: _header("Live answers while the license is in its grace period.",
                          'grace; days-left=12; expired=2026-06-20; license="lic_2026_general"'),
    "Retry-After": _header("Seconds to the next UTC midnight, when the sandbox quota resets.", "32400",
                           required=True, integer=True),
    "Allow": _header("The methods this path answers.", "POST", required=True),
    "WWW-Authenticate": _header("The authentication scheme to use.", 'Bearer realm="metrics"'),
}
# (description, example code, example message, extra headers)
ERRORS: dict[int, tuple[str, str, str, tuple[str, ...]]] = {
    400: ("Body is not valid JSON, or failed validation (`issues` says where); or the request carries more than "
          "one Authorization header (or one whose value joins two with a comma).", "invalid_request",
          "Telemetry validation failed.", ()),
    401: ("Missing or malformed Authorization header (`unauthorized`), or a key that is invalid or revoked "
          "(`invalid_token`).", "invalid_token", "API key is invalid or has been revoked.", ("WWW-Authenticate",)),
    402: ("A live key without an installed license that is valid, has production access and is bound to this "
          "instance; the message says which condition failed.", "payment_required",
          "No license is installed: live keys need a license file from the vendor.", ()),
    403: (f"The key is valid but not permitted here: a publishable key off {BROWSER_ENDPOINT}, or from an "
          "origin not on its allow-list.", "forbidden",
          "This origin is not allowed for this publishable key. Add it to the key's allowed origins in the "
          "appliance's admin console (/admin, Apps and keys) or with `attunio keys origins KEY_ID --set ORIGIN`.",
          ()),
    404: ("No such path.", "not_found", "No such endpoint. See /v1/openapi.json for the API.", ()),
    405: ("Wrong HTTP method for this path; `Allow` lists the right ones.", "method_not_allowed",
          "GET is not allowed here; use POST.", ("Allow",)),
    413: ("Body larger than `server.max_body_bytes`.", "payload_too_large",
          "Request body exceeds the 16777216-byte limit of this appliance.", ()),
    415: ("A Content-Type other than JSON.", "unsupported_media_type",
          "Send the body as application/json, not text/plain.", ()),
    429: ("Daily sandbox quota exceeded; `Retry-After` gives the seconds to the next UTC midnight.", "rate_limited",
          "Daily sandbox quota of 500 requests for this app is used up; it resets at 00:00 UTC. Live keys with a "
          "license are not limited.", ("Retry-After", LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER)),
    500: ("Unexpected error; nothing internal is disclosed. Quote the Request-Id.", "server_error",
          "Unexpected error processing the request.", ()),
}
ENGINE_ERRORS = (400, 401, 402, 403, 405, 413, 415, 429, 500)
PING_ERRORS = (400, 401, 403, 405, 500)
PUBLIC_ERRORS = (405, 500)


def _headers(*names: str) -> dict[str, Any]:
    return {name: HEADERS[name] for name in ("Request-Id", *names)}


def _error(status: int) -> dict[str, Any]:
    description, code, message, headers = ERRORS[status]
    example: dict[str, Any] = {"code": code, "message": message}
    if status == 400:
        example["issues"] = [{"path": "responseLatencySeconds", "message": "Number must be ≤ 120"}]
    return {"description": description, "headers": _headers(*headers), "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}, "example": {"ok": False, "error": example}}}}


def _errors(statuses: tuple[int, ...]) -> dict[str, Any]:
    return {str(status): _error(status) for status in statuses}


def _ok(ref: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["ok", "data"], "properties": {"ok": {"const": True}, "data": ref}}


def _success(description: str, ref: dict[str, Any], example: Any, *headers: str) -> dict[str, Any]:
    return {"description": description, "headers": _headers(*headers), "content": {"application/json": {
        "schema": _ok(ref), "example": {"ok": True, "data": example}}}}


def _describe(components: dict[str, Any]) -> None:
    """Put each field's description and example on its property schema."""
    for name, schema in components.items():
        own = FIELDS.get(name, {})
        for field, prop in schema.get("properties", {}).items():
            doc = own.get(field) or SHARED.get(field)
            if doc is not None:
                prop.setdefault("description", doc[0])
                prop.setdefault("examples", [doc[1]])


def _answer_example(spec: EngineSpec) -> Any:
    request = decode_request(msgspec.json.encode(REQUEST_EXAMPLES[spec.key]), spec, EXAMPLE_NOW)
    answer = spec.analyze(request, spec.default_params, EXAMPLE_NOW, default_model(spec.key))
    return msgspec.to_builtins(answer)


def _simple(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"title": name, "type": "object", "required": required, "properties": properties}


PING = _simple("Ping", {"object": {"const": "ping"}, "mode": {"enum": ["test", "live"]},
                        "keyType": {"enum": ["secret", "publishable"]}, "app": {"type": "string"},
                        "time": {"type": "string"}}, ["object", "mode", "keyType", "app", "time"])
HEALTH = _simple("Health", {"status": {"const": "alive"}}, ["status"])
READINESS = _simple("Readiness", {
    "status": {"enum": ["ready", "not_ready"]},
    "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    "license": {"type": "object"}, "warnings": {"type": "array", "items": {"type": "string"}},
}, ["status", "checks", "license", "warnings"])


def _public(operation_id: str, summary: str, description: str, ok: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "tags": ["Health"], "summary": summary, "description": description,
                    "security": [], "responses": {"200": ok, **_errors(PUBLIC_ERRORS)}}}


def build_openapi() -> dict[str, Any]:
    request_types = [spec.request_type for spec in ENGINES.values()]
    result_types = [typing.get_type_hints(spec.analyze)["return"] for spec in ENGINES.values()]
    refs, components = msgspec.json.schema_components(
        request_types + result_types, ref_template="#/components/schemas/{name}", schema_hook=schema_hook
    )
    components.update(Error=ERROR_SCHEMA, Ping=PING, Health=HEALTH, Readiness=READINESS)
    _describe(components)
    ref = "#/components/schemas/{}".format
    paths: dict[str, Any] = {}
    for i, spec in enumerate(ENGINES.values()):
        summary, description = OPERATIONS[spec.key]
        paths[spec.path] = {"post": {
            "operationId": spec.key,
            "tags": ["Intelligence"],
            "summary": summary,
            "description": description,
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "description": "The request as JSON (a missing Content-Type is read as "
                            "JSON).", "content": {"application/json": {
                                "schema": refs[i], "example": REQUEST_EXAMPLES[spec.key]}}},
            "responses": {"200": _success("The analysis. Sandbox answers carry the rate-limit headers; live answers in "
                                          "a license's grace period carry the license warning.",
                                          refs[len(request_types) + i], _answer_example(spec),
                                          LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER, GRACE_HEADER),
                          **_errors(ENGINE_ERRORS)},
        }}
    paths["/v1/ping"] = {"get": {
        "operationId": "ping", "tags": ["Health"], "summary": "Confirm the key and its mode",
        "description": "Confirms your key and connectivity before sending telemetry. Not counted against quota.",
        "security": [{"bearer": []}],
        "responses": {"200": _success("Key accepted.", {"$ref": ref("Ping")}, {
            "object": "ping", "mode": "test", "keyType": "secret", "app": "app_7Hc2kQ9xLm", "time": ISO}),
            **_errors(PING_ERRORS)},
    }}
    paths["/healthz"] = _public("healthz", "Liveness", "Answers while the process serves; no key, no store access.",
                                _success("Alive.", {"$ref": ref("Health")}, {"status": "alive"}))
    ready_example = {"status": "ready", "checks": {"store": "ok"}, "warnings": [],
                     "license": {"status": "valid", "expiresAt": "2027-06-30T00:00:00.000Z", "clockBehind": False}}
    paths["/readyz"] = _public("readyz", "Readiness", "The store opens and passes its integrity check; the license "
                               "state and certificate warnings are reported without making the appliance unready.",
                               _success("Ready.", {"$ref": ref("Readiness")}, ready_example))
    paths["/readyz"]["get"]["responses"]["503"] = {**_success(
        "Not ready: a check failed.", {"$ref": ref("Readiness")},
        {**ready_example, "status": "not_ready", "checks": {"store": "failed integrity check"},
         "license": {"status": "unknown"}}), "description": "Not ready: a check failed (the envelope is `ok: true`, "
                                                           "`data.status` says `not_ready`)."}
    paths["/v1/openapi.json"] = _public("openapi", "This document", "The OpenAPI 3.1 document of this appliance.", {
        "description": "The document.", "headers": _headers(),
        "content": {"application/json": {"schema": {"type": "object"}}}})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Attunio Clinical Intelligence API (appliance)", "version": __version__,
                 "description": "Five deterministic, explainable engines behind one bearer-key authentication and "
                                "one response envelope: `{\"ok\": true, \"data\": …}` on success, `{\"ok\": false, "
                                "\"error\": {\"code\", \"message\", \"issues\"?}}` on failure. Decision support for "
                                "clinician review, never an autonomous diagnosis."},
        "servers": [{"url": "/"}],
        "tags": [{"name": "Intelligence", "description": "The five engines."},
                 {"name": "Health", "description": "Key check, liveness, readiness and this document."}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description":
                                                      "An API key: `Authorization: Bearer att_sk_test_…`."}}},
    }

"""The admin API's own OpenAPI 3.1 document, tag "Admin", served at /admin/api/openapi.json.

Kept apart from /v1/openapi.json: that document is the integrators' contract (the conformance
suite and the fuzz run walk every path in it), and the admin API is reached only with a console
session, never with an API key. Request schemas come from the same Structs that decode the bodies.
"""

from __future__ import annotations

from typing import Any

import msgspec

from attunio import __version__
from attunio.admin import keys, models, session
from attunio.admin.http import BASE, COOKIE
from attunio.errors import ERROR_CODES

Q = dict[str, str]  # query parameter -> description
# (method, path) -> (summary, success status, request body type, query parameters, error statuses)
OPERATIONS: dict[tuple[str, str], tuple[str, int, type | None, Q, tuple[int, ...]]] = {
    ("POST", "/session"): ("Sign in with an admin token; sets the session cookie", 200, session.SignIn, {},
                           (400, 401, 403, 429)),
    ("GET", "/session"): ("The current session, its CSRF token and expiry times", 200, None, {}, (401,)),
    ("DELETE", "/session"): ("Sign out: the session is deleted server-side", 204, None, {}, (401, 403)),
    ("GET", "/overview"): ("Health, license, certificate, store, last backup, version, vendor keys", 200, None,
                           {}, (401,)),
    ("GET", "/apps"): ("Apps and their keys (never the keys themselves)", 200, None, {}, (401,)),
    ("POST", "/apps"): ("Create an app", 201, keys.NewApp, {}, (400, 401, 403, 409)),
    ("POST", "/apps/{appId}/keys"): ("Create a key; the key is in the answer once", 201, keys.NewKey, {},
                                     (400, 401, 403, 404)),
    ("POST", "/keys/{keyId}/revoke"): ("Revoke a key", 200, keys.Revoke, {}, (400, 401, 403, 404, 409)),
    ("POST", "/keys/{keyId}/rotate"): ("Replace a key; the old one works for overlapHours more", 201, keys.Rotate,
                                       {}, (400, 401, 403, 404, 409)),
    ("PUT", "/keys/{keyId}/origins"): ("Replace a publishable key's allowed origins", 200, keys.Origins, {},
                                       (400, 401, 403, 404, 409)),
    ("GET", "/usage"): ("Live usage against the allowance, per day and endpoint, and sandbox use", 200, None,
                        {"month": "YYYY-MM (default: the current UTC month)"}, (400, 401)),
    ("GET", "/usage/report"): ("Sign, record and download the month's usage report", 200, None,
                               {"month": "YYYY-MM"}, (400, 401, 403)),
    ("GET", "/models"): ("Per engine the active version and the candidates", 200, None, {}, (401,)),
    ("GET", "/models/{engine}/compare"): ("Compare a candidate with the active version on the local evaluation "
                                          "set", 200, None, {"candidate": "The candidate version"},
                                          (400, 401, 404, 412)),
    ("POST", "/models/{engine}/promote"): ("Promote a candidate (reviewer)", 200, models.Promote, {},
                                           (400, 401, 403, 404, 409)),
    ("POST", "/models/{engine}/rollback"): ("Re-activate an earlier version (reviewer)", 200, models.Rollback, {},
                                            (400, 401, 403, 404, 409)),
    ("POST", "/models/{engine}/reset"): ("Return to the shipped defaults (reviewer)", 200, models.Reset, {},
                                         (400, 401, 403, 404, 409)),
    ("GET", "/audit"): ("The audit trail, newest first, filtered", 200, None,
                        {"from": "ISO-8601 time or UTC date", "to": "ISO-8601 time or UTC date",
                         "actor": "Part of the actor", "action": "An action or its family (key)",
                         "limit": "1–500 (default 100)", "before": "Only entries with a lower seq (paging)"},
                        (400, 401)),
    ("GET", "/audit/verify"): ("Check the hash chain", 200, None, {}, (401,)),
    ("GET", "/audit/export"): ("The trail as JSON Lines", 200, None, {"from": "ISO-8601 time", "to": "ISO-8601 time"},
                               (400, 401)),
    ("GET", "/openapi.json"): ("This document", 200, None, {}, (401,)),
}


def spelled(path: str) -> str:
    """A router path (`/keys/{key_id:str}/revoke`) as OpenAPI spells it (`/keys/{keyId}/revoke`)."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            head, *rest = part[1:-1].split(":", 1)[0].split("_")
            parts.append("{" + head + "".join(w.title() for w in rest) + "}")
        else:
            parts.append(part)
    return "/".join(parts)


def build_admin_openapi() -> dict[str, Any]:
    bodies = sorted({b for (_, _, b, _, _) in OPERATIONS.values() if b is not None}, key=lambda t: t.__name__)
    refs, components = msgspec.json.schema_components(bodies, ref_template="#/components/schemas/{name}")
    by_type = dict(zip(bodies, refs, strict=True))
    components["Error"] = {"type": "object", "required": ["ok", "error"], "properties": {
        "ok": {"const": False}, "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"enum": list(ERROR_CODES)}, "message": {"type": "string"}}}}}
    paths: dict[str, Any] = {}
    for (method, path), (summary, status, body, query, errors) in OPERATIONS.items():
        operation: dict[str, Any] = {
            "operationId": "admin_" + method.lower() + path.replace("/", "_").replace("{", "").replace("}", "")
                                                           .replace(".", "_"),
            "tags": ["Admin"], "summary": summary,
            "security": [] if (method, path) == ("POST", "/session") else [{"session": [], "csrf": []}],
            "parameters": [{"name": name, "in": "query", "required": False, "description": text,
                            "schema": {"type": "string"}} for name, text in query.items()]
            + [{"name": p[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
               for p in path.split("/") if p.startswith("{")],
            "responses": {str(status): {"description": "Done." if status != 204 else "Signed out."},
                          **{str(e): {"description": "Refused; the code says why.", "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/Error"}}}} for e in errors}},
        }
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": by_type[body]}}}
        paths.setdefault(BASE + path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Attunio Appliance admin API", "version": __version__,
                 "description": "The admin console's API (docs/admin-console.md). Every route but sign-in needs "
                                "the session cookie; every change also the X-CSRF-Token header."},
        "tags": [{"name": "Admin", "description": "The admin console: keys, usage, models, audit."}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": COOKIE},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}}},
    }

"""Every endpoint × every credential case against a served appliance: the documented status and code.

The cases are what an attacker on the LAN, a careless integrator or a leaked browser key can send.
Each answer must be the envelope with the documented status and code, must not echo the credential,
and auth must be judged before the body is read (a bad key with a broken body is still a 401).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.conformance import load_cases
from tests.conftest import Served, make_settings, start_served
from tests.logscan import ISSUED_SECRETS, SENTINEL

from attunio.api.openapi import build_openapi
from attunio.crypto import tokens
from attunio.services.operations.admins import AdminService
from attunio.store import Store

pytestmark = pytest.mark.e2e
ALLOWED = "https://telehealth.example"
FOREIGN = "https://evil.example"


def valid_bodies() -> dict[str, Any]:
    """One accepted body per engine path, taken from the shared conformance cases."""
    bodies: dict[str, Any] = {}
    for _, case in load_cases():
        request = case["request"]
        if case["expect"]["status"] == 200 and request["method"] == "POST":
            bodies.setdefault(request["path"], request["body"])
    return bodies


@dataclass
class Target:
    served: Served
    creds: dict[str, str]
    operations: list[tuple[str, str]]  # (method, path) from the served OpenAPI document
    bodies: dict[str, Any]


def _key_id(served: Served, last4: str) -> str:
    listed = json.loads(served.cli("keys", "list", "--json").stdout)
    return str(next(k["id"] for k in listed if k["last4"] == last4))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    served = start_served(tmp_path_factory.mktemp("attacks"), workers=2)
    creds = {
        "test secret": served.new_key(),
        "live secret": served.new_key(mode="live"),
        "test publishable": served.new_key("publishable", origins=(ALLOWED,)),
        "live publishable": served.new_key("publishable", "live", origins=(ALLOWED,)),
        "revoked": served.new_key(),
    }
    served.cli("keys", "revoke", _key_id(served, creds["revoked"][-4:]), "--reason", "attack test")
    admin = served.cli("admins", "create", "--name", "Ada Admin", "--role", "admin").stdout.splitlines()[-1]
    ISSUED_SECRETS.add(admin)
    creds["admin token"] = admin
    spec = httpx.get(served.base_url + "/v1/openapi.json").json()
    # The operations that take an API key (the health endpoints and the document take none).
    operations = [(method.upper(), path) for path, item in spec["paths"].items()
                  for method, operation in item.items() if {"bearer": []} in operation["security"]]
    yield Target(served, creds, operations, valid_bodies())
    served.stop()


def forge_checksum(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


# name -> (Authorization header or a credential name in {braces}, Origin header)
CASES: dict[str, tuple[str | None, str | None]] = {
    "no header": (None, None),
    "bearer without a key": ("Bearer", None),
    "basic scheme": ("Basic dXNlcjpwYXNz", None),
    "two tokens": ("Bearer {test secret} {test secret}", None),
    "bad checksum": ("Bearer {bad checksum}", None),
    "unknown well-formed": ("Bearer {unknown}", None),
    "not a key": (f"Bearer {SENTINEL}", None),
    "revoked": ("Bearer {revoked}", None),
    "admin token as api key": ("Bearer {admin token}", None),
    "test secret": ("Bearer {test secret}", None),
    "live secret, no license": ("Bearer {live secret}", None),
    "publishable, allowed origin": ("Bearer {test publishable}", ALLOWED),
    "publishable, foreign origin": ("Bearer {test publishable}", FOREIGN),
    "publishable, no origin": ("Bearer {test publishable}", None),
    "live publishable, allowed origin": ("Bearer {live publishable}", ALLOWED),
}


def expected(case: str, method: str, path: str) -> tuple[int, str | None]:
    """The documented answer (api-reference Errors table; docs/security.md access matrix)."""
    if case in ("no header", "bearer without a key", "basic scheme", "two tokens"):
        return 401, "unauthorized"
    if case in ("bad checksum", "unknown well-formed", "not a key", "revoked", "admin token as api key"):
        return 401, "invalid_token"
    engine = method == "POST"
    browser_endpoint = path == "/v1/dmse/analyze"
    if case.startswith(("publishable", "live publishable")):
        if not browser_endpoint or case.endswith(("foreign origin", "no origin")):
            return 403, "forbidden"
        return (200, None) if case.startswith("publishable") else (402, "payment_required")
    if case == "live secret, no license" and engine:
        return 402, "payment_required"
    return 200, None


def headers_for(target: Target, case: str) -> dict[str, str]:
    auth, origin = CASES[case]
    headers: dict[str, str] = {}
    if auth is not None:
        creds = {**target.creds, "bad checksum": forge_checksum(target.creds["test secret"]),
                 "unknown": tokens.mint_api_key("secret", "test")}
        headers["Authorization"] = auth.format_map(creds)
    if origin is not None:
        headers["Origin"] = origin
    return headers


def send(target: Target, method: str, path: str, headers: dict[str, str], body: bytes | None) -> httpx.Response:
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    return httpx.request(method, target.served.base_url + path, headers=headers, content=body, timeout=10)


def check_envelope(answer: httpx.Response, status: int, code: str | None, secrets: list[str]) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["request-id"].startswith("req_")
    assert "server" not in answer.headers
    payload = answer.json()
    if code is None:
        assert payload["ok"] is True and "data" in payload
    else:
        assert payload == {"ok": False, "error": payload["error"]} and payload["error"]["code"] == code
    for secret in secrets:  # an error never quotes the credential it refused
        assert secret not in answer.text


@pytest.mark.parametrize("case", CASES)
def test_every_operation_answers_each_credential_case_as_documented(target: Target, case: str) -> None:
    headers = headers_for(target, case)
    secrets = [*target.creds.values(), SENTINEL]
    assert len(target.operations) >= 6
    for method, path in target.operations:
        body = json.dumps(target.bodies[path]).encode() if method == "POST" else None
        status, code = expected(case, method, path)
        check_envelope(send(target, method, path, headers, body), status, code, secrets)
        if method == "POST" and status == 401:
            # Auth is judged first: a broken body with a bad credential is still 401, never a 400.
            check_envelope(send(target, method, path, headers, b'{"broken":'), status, code, secrets)


@pytest.mark.parametrize("case", ["no header", "test secret", "revoked", "not a key"])
def test_public_endpoints_answer_whatever_the_credential_and_reveal_nothing(target: Target, case: str) -> None:
    headers = headers_for(target, case)
    for path in ("/healthz", "/readyz"):
        answer = send(target, "GET", path, headers, None)
        assert answer.status_code == 200
        text = answer.text.lower()
        assert all(word not in text for word in ("inst_", "att_sk_test_", "app_", "key_", str(target.served.root)))
    # The document is the same for every appliance (its examples show what ids look like): nothing
    # of this instance is in it.
    document = send(target, "GET", "/v1/openapi.json", headers, None)
    assert document.status_code == 200 and document.json() == json.loads(json.dumps(build_openapi()))
    assert not any(secret in document.text for secret in target.creds.values())
    assert str(target.served.root) not in document.text


def test_wrong_methods_and_unknown_paths_are_enveloped(target: Target) -> None:
    headers = headers_for(target, "test secret")
    secrets = list(target.creds.values())
    for method, path in target.operations:
        wrong = "GET" if method == "POST" else "POST"
        check_envelope(send(target, wrong, path, headers, None), 405, "method_not_allowed", secrets)
        check_envelope(send(target, "DELETE", path, headers, None), 405, "method_not_allowed", secrets)
    # /admin is the admin console now (tests/api/test_admin_pages.py); a path beside it is still unknown.
    for path in ("/v1/nope", "/v1/ping/" + target.creds["live secret"], "/admin/nope", "/../../etc/passwd"):
        check_envelope(send(target, "GET", path, headers, None), 404, "not_found", secrets)


def test_cors_preflight_only_for_an_allowed_origin_on_the_browser_endpoint(target: Target) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    ok = send(target, "OPTIONS", "/v1/dmse/analyze", {**preflight, "Origin": ALLOWED}, None)
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == ALLOWED
    for origin, path in ((FOREIGN, "/v1/dmse/analyze"), (ALLOWED, "/v1/ping"), (ALLOWED, "/v1/outcome/score"),
                         ("null", "/v1/dmse/analyze")):
        refused = send(target, "OPTIONS", path, {**preflight, "Origin": origin}, None)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert "access-control-allow-origin" not in refused.headers


def test_a_key_in_the_url_path_is_not_logged(target: Target) -> None:
    key = target.creds["live secret"]
    unrouted, sdk = '"path":"/v1/[unrouted]"', '"path":"/sdk/[unrouted]"'
    before = target.served.logs().count(unrouted)
    send(target, "GET", f"/v1/ping/{key}", {}, None)
    send(target, "POST", f"/v1/dmse/analyze/{key}/{SENTINEL}", {}, b"{}")
    send(target, "GET", f"/sdk/{key}", {}, None)

    def written(logs: str) -> bool:
        return logs.count(unrouted) >= before + 2 and sdk in logs

    # A worker writes its access line after the answer has gone out: wait for all three to land.
    deadline = time.monotonic() + 60
    logs = target.served.logs()
    while not written(logs) and time.monotonic() < deadline:
        time.sleep(0.1)
        logs = target.served.logs()
    assert written(logs), f"the three access lines were never all written: {logs[-2000:]}"
    assert key[12:] not in logs and SENTINEL not in logs


@pytest.fixture
def admin_store(tmp_path: Any) -> Iterator[Store]:
    from tests.conftest import init_store

    store = init_store(make_settings(tmp_path))
    yield store
    store.close()


def test_admin_tokens_of_the_wrong_role_revoked_or_forged_are_refused(admin_store: Store) -> None:
    from attunio.clock import SystemClock

    admins = AdminService(admin_store, SystemClock())
    admin, admin_token = admins.create("Ada Admin", "admin", actor="test")
    reviewer, reviewer_token = admins.create("Dr Rev", "reviewer", actor="test", licence_number="GMC-7")
    assert admins.authenticate(admin_token, "admin").id == admin.id
    assert admins.authenticate(reviewer_token, "reviewer").id == reviewer.id
    refused = [(admin_token, "reviewer"), (reviewer_token, "admin"), (forge_checksum(admin_token), None),
               (tokens.mint_admin_token(), None), (tokens.mint_api_key("secret", "live"), "admin")]
    for token, role in refused:
        with pytest.raises(PermissionError):
            admins.authenticate(token, role)  # type: ignore[arg-type]
    admins.revoke(admin.id, actor="test", reason="left")
    with pytest.raises(PermissionError, match="unknown or revoked"):
        admins.authenticate(admin_token, "admin")

"""Every documented error code, produced by a real request, leaves in the envelope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.conftest import ALLOWED_ORIGIN, Keys

from attunio.api.runtime import Runtime
from attunio.crypto import tokens

DMSE = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6}


def envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]["code"] == code
    assert body["error"]["message"]
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["request-id"].startswith("req_")
    return dict(body["error"])


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token att_sk_test_x",
                                    "Bearer a b"])
def test_missing_or_malformed_authorization_is_unauthorized(client: TestClient, header: str | None) -> None:  # type: ignore[type-arg]
    headers = {} if header is None else {"Authorization": header}
    envelope(client.post(DMSE, json=BODY, headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("token", ["att_sk_test_" + "0" * 36, "not-a-key", "att_sk_test_short",
                                   tokens.mint_api_key("secret", "test")])
def test_unknown_or_malformed_keys_are_invalid_tokens(client: TestClient, token: str) -> None:  # type: ignore[type-arg]
    error = envelope(client.post(DMSE, json=BODY, headers=auth(token)), 401, "invalid_token")
    assert error["message"] == "API key is invalid or has been revoked."


def test_revoked_key_is_refused_on_the_next_request(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    key = keys.issue()
    assert client.get("/v1/ping", headers=auth(key)).status_code == 200
    record = keys.access.list_keys()[-1]
    keys.access.revoke_key(record.id, actor="test")
    envelope(client.get("/v1/ping", headers=auth(key)), 401, "invalid_token")


def test_live_key_without_license_needs_payment(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    error = envelope(client.post(DMSE, json=BODY, headers=auth(keys.issue("secret", "live"))),
                     402, "payment_required")
    assert "license" in error["message"]


def test_publishable_key_elsewhere_is_forbidden(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    key = keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    headers = {**auth(key), "Origin": ALLOWED_ORIGIN}
    error = envelope(client.get("/v1/ping", headers=headers), 403, "forbidden")
    assert "POST /v1/dmse/analyze" in error["message"]
    envelope(client.post("/v1/outcome/score", json={}, headers=headers), 403, "forbidden")


@pytest.mark.parametrize("origin", [None, "https://evil.example", "https://telehealth.example.evil.org",
                                    "http://telehealth.example", "null"])
def test_publishable_key_from_a_foreign_origin_is_forbidden(client: TestClient, keys: Keys,  # type: ignore[type-arg]
                                                            origin: str | None) -> None:
    key = keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    headers = auth(key) if origin is None else {**auth(key), "Origin": origin}
    error = envelope(client.post(DMSE, json=BODY, headers=headers), 403, "forbidden")
    assert error["message"].startswith("This origin is not allowed for this publishable key.")


def test_publishable_key_from_its_origin_is_served_with_cors(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    key = keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    response = client.post(DMSE, json=BODY, headers={**auth(key), "Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_wrong_method(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    error = envelope(client.get(DMSE, headers=auth(keys.issue())), 405, "method_not_allowed")
    assert "POST" in error["message"]


def test_unknown_path(client: TestClient) -> None:  # type: ignore[type-arg]
    envelope(client.get("/v1/nothing-here"), 404, "not_found")


def test_payload_too_large(client: TestClient, keys: Keys, runtime: Runtime) -> None:  # type: ignore[type-arg]
    limit = runtime.settings.server.max_body_bytes
    big = json.dumps({"sessionRef": "x" * (limit + 10)})
    error = envelope(client.post(DMSE, content=big, headers={**auth(keys.issue()), "Content-Type": "application/json"}),
                     413, "payload_too_large")
    assert str(limit) in error["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_unsupported_media_type(client: TestClient, keys: Keys, content_type: str) -> None:  # type: ignore[type-arg]
    envelope(client.post(DMSE, content=json.dumps(BODY), headers={**auth(keys.issue()), "Content-Type": content_type}),
             415, "unsupported_media_type")


@pytest.mark.parametrize("body", [
    b'{"responseLatencySeconds": 2.6,',
    b'{"responseLatencySeconds": 2.6, "sessionRef": "\xff"}',  # invalid UTF-8 inside a string
    b'{"\xff": 1}',
    b'{"responseLatencySeconds": 2.6, "sessionRef": "\xed\xa0\x80"}',  # an encoded lone surrogate
    b"\xff\xfe",
])
def test_malformed_json(client: TestClient, keys: Keys, body: bytes) -> None:  # type: ignore[type-arg]
    response = client.post(DMSE, content=body, headers={**auth(keys.issue()), "Content-Type": "application/json"})
    assert envelope(response, 400, "invalid_request")["message"].startswith("Request body is not valid JSON")


def test_server_error_leaks_nothing(client: TestClient, keys: Keys, runtime: Runtime,  # type: ignore[type-arg]
                                   monkeypatch: pytest.MonkeyPatch) -> None:

    def explode(engine_key: str) -> Any:
        raise RuntimeError("secret internal detail /etc/attunio")

    monkeypatch.setattr(runtime.models, "active", explode)
    error = envelope(client.post(DMSE, json=BODY, headers=auth(keys.issue())), 500, "server_error")
    assert "secret internal detail" not in json.dumps(error)
    assert error["message"] == "Unexpected error processing the request."


def test_security_headers_on_api_answers(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    response = client.get("/v1/ping", headers=auth(keys.issue()))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers

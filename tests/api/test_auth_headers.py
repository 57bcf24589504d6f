"""The headers of the key check: one Authorization header, RFC 6750 challenges, CORS exposure."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from tests.conftest import ALLOWED_ORIGIN, Keys

DMSE = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6}


def test_two_authorization_headers_are_an_invalid_request(client: TestClient[Any], keys: Keys) -> None:
    first, second = keys.issue(), keys.issue()
    headers = [("authorization", f"Bearer {first}"), ("authorization", f"Bearer {second}")]
    for response in (client.post(DMSE, json=BODY, headers=headers), client.get("/v1/ping", headers=headers)):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["message"] == "Send exactly one Authorization header; this request has more than one."


def test_the_openapi_document_lists_the_400_a_repeated_authorization_header_gets(client: TestClient[Any]) -> None:
    # The fuzzer sends a comma inside one Authorization value; the answer must be a documented status.
    operations = client.get("/v1/openapi.json").json()["paths"]
    for path, method in (("/v1/ping", "get"), (DMSE, "post")):
        assert "400" in operations[path][method]["responses"], path


@pytest.mark.parametrize(("header", "challenge"), [
    (None, 'Bearer realm="attunio"'),
    ("Basic abc", 'Bearer realm="attunio", error="invalid_request"'),
    ("Bearer att_sk_test_" + "0" * 36, 'Bearer realm="attunio", error="invalid_token"'),
])
@pytest.mark.parametrize("path", [DMSE, "/v1/ping"])
def test_every_401_carries_a_bearer_challenge(client: TestClient[Any], header: str | None, challenge: str,
                                              path: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.post(path, json=BODY, headers=headers) if path == DMSE else client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge


def test_a_browser_answer_exposes_request_id_and_rate_limit_headers(client: TestClient[Any], keys: Keys) -> None:
    key = keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    headers = {"Authorization": f"Bearer {key}", "Origin": ALLOWED_ORIGIN}
    ok = client.post(DMSE, json=BODY, headers=headers)
    invalid = client.post(DMSE, json={"responseLatencySeconds": "x"}, headers=headers)
    for response in (ok, invalid):
        exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
        assert {"request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                "retry-after"} <= exposed
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert (ok.status_code, invalid.status_code) == (200, 400)


def test_a_secret_key_answer_has_no_cors_headers(client: TestClient[Any], keys: Keys) -> None:
    response = client.post(DMSE, json=BODY, headers={"Authorization": f"Bearer {keys.issue()}"})
    assert "access-control-expose-headers" not in response.headers


def test_ping_with_a_sandbox_key_has_no_license_field(client: TestClient[Any], keys: Keys) -> None:
    data = client.get("/v1/ping", headers={"Authorization": f"Bearer {keys.issue()}"}).json()["data"]
    assert set(data) == {"object", "mode", "keyType", "app", "time"}


def test_repeated_raw_headers_are_seen_as_repeated() -> None:
    """What a server hands the app when the client sent the header twice (not merged)."""
    from attunio.api.auth import bearer_token
    from attunio.api.wire import read_headers
    from attunio.errors import ApiError

    headers = read_headers([(b"authorization", b"Bearer a"), (b"host", b"x"), (b"authorization", b"Bearer b")])
    assert headers["authorization"] == "Bearer a" and headers.repeated == frozenset({"authorization"})
    with pytest.raises(ApiError) as refused:
        bearer_token(headers)
    assert refused.value.code == "invalid_request"

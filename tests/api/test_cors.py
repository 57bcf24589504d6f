from __future__ import annotations

from litestar.testing import TestClient
from tests.conftest import ALLOWED_ORIGIN, Keys

PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


def test_preflight_is_answered_for_an_allowed_origin(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    response = client.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": ALLOWED_ORIGIN})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"]


def test_preflight_is_refused_for_other_origins_and_endpoints(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    refused = client.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    assert refused.json()["error"]["code"] == "forbidden"
    other = client.options("/v1/relapse/predict", headers={**PREFLIGHT, "Origin": ALLOWED_ORIGIN})
    assert other.status_code == 403


def test_revoking_the_only_key_closes_the_origin(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    record = keys.access.list_keys()[-1]
    keys.access.revoke_key(record.id, actor="test")
    response = client.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": ALLOWED_ORIGIN})
    assert response.status_code == 403

"""Plan checks over HTTP: 402 reasons, the grace header, sandbox rate-limit headers, /readyz."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.billing_helpers import FakeClock, license_bytes, trust_env, write_public_key
from tests.conftest import init_store, make_settings

from attunio.api.admission import GRACE_HEADER
from attunio.api.app import create_app
from attunio.config import Settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.services.request_path.access import AccessService
from attunio.store import Store

VENDOR = Ed25519PrivateKey.generate()
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
BODY = {"responseLatencySeconds": 2.6}
PATH = "/v1/dmse/analyze"


@pytest.fixture
def billing_settings(tmp_path: Path) -> Settings:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    return make_settings(tmp_path, ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA="3", **trust_env(pub))


@pytest.fixture
def billing_store(billing_settings: Settings) -> Iterator[Store]:
    store = init_store(billing_settings)
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def http(billing_settings: Settings, billing_store: Store, clock: FakeClock) -> Iterator[TestClient[Any]]:
    edge = create_app(billing_settings, billing_store, clock)
    with TestClient(edge) as client:
        client.billing = edge.app.state.runtime.billing  # type: ignore[attr-defined]
        yield client


def key(store: Store, mode: str) -> dict[str, str]:
    access = AccessService(store, FakeClock(NOW))
    if not access.list_apps():
        access.create_app("EHR", actor="test")
    _, token = access.create_key("EHR", "secret", mode, actor="test")  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def install(http: TestClient[Any], **claims: object) -> None:
    fields: dict[str, object] = {"valid_from": NOW - timedelta(days=10), "expires_at": NOW + timedelta(days=10)}
    fields.update(claims)
    http.billing.licenses.install(  # type: ignore[attr-defined]
        license_bytes(VENDOR, **fields), actor="test"
    )


def test_a_live_key_without_a_license_gets_the_402_envelope(http: TestClient[Any], billing_store: Store) -> None:
    answer = http.post(PATH, json=BODY, headers=key(billing_store, "live"))
    assert answer.status_code == 402
    error = answer.json()["error"]
    assert error["code"] == "payment_required"
    assert "No license is installed" in error["message"]
    assert http.get("/readyz").json()["data"]["license"] == {
        "status": "refused",
        "reason": "no_license",
        "clockBehind": False,
    }


def test_a_live_key_is_served_under_a_valid_license_and_metered(http: TestClient[Any], billing_store: Store) -> None:
    install(http)
    headers = key(billing_store, "live")
    answer = http.post(PATH, json=BODY, headers=headers)
    assert answer.status_code == 200, answer.text
    assert GRACE_HEADER not in answer.headers and "X-RateLimit-Limit" not in answer.headers
    assert billing_store.one("SELECT sum(count) FROM usage_daily")[0] == 1
    # A call that fails validation is neither served nor metered.
    assert http.post(PATH, json={"responseLatencySeconds": "x"}, headers=headers).status_code == 400
    assert billing_store.one("SELECT sum(count) FROM usage_daily")[0] == 1
    assert http.get("/readyz").json()["data"]["license"]["status"] == "valid"


def test_grace_serves_with_the_warning_header_and_readyz_says_so(
    http: TestClient[Any], billing_store: Store, clock: FakeClock
) -> None:
    install(http, expires_at=NOW + timedelta(hours=1), grace_days=7)
    clock.advance(days=2)
    answer = http.post(PATH, json=BODY, headers=key(billing_store, "live"))
    assert answer.status_code == 200
    assert answer.headers[GRACE_HEADER].startswith("grace; days-left=6;")
    ready = http.get("/readyz").json()["data"]
    assert ready["status"] == "ready"
    assert ready["license"]["status"] == "grace" and ready["license"]["graceDaysLeft"] == 6
    assert any("grace" in warning for warning in ready["warnings"])
    clock.advance(days=6)
    refused = http.post(PATH, json=BODY, headers=key(billing_store, "live"))
    assert refused.status_code == 402 and "grace period has ended" in refused.json()["error"]["message"]


def test_sandbox_answers_carry_rate_limit_headers_and_the_quota_refuses_with_retry_after(
    http: TestClient[Any], billing_store: Store
) -> None:
    headers = key(billing_store, "test")
    remaining = [http.post(PATH, json=BODY, headers=headers).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = http.post(PATH, json=BODY, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == str(15 * 3600)
    assert refused.headers["X-RateLimit-Limit"] == "3"
    # A malformed request is refused before admission and does not count.
    assert http.post(PATH, content=b"{", headers=headers).status_code == 400


def test_ping_with_a_live_key_reports_the_license_state(http: TestClient[Any], billing_store: Store,
                                                        clock: FakeClock) -> None:
    headers = key(billing_store, "live")
    refused = http.get("/v1/ping", headers=headers)
    assert refused.status_code == 200  # the key is fine; its calls would be refused
    assert refused.json()["data"]["license"] == {"status": "refused", "reason": "no_license", "clockBehind": False}
    install(http, expires_at=NOW + timedelta(hours=1), grace_days=7)
    clock.advance(days=2)
    grace = http.get("/v1/ping", headers=headers).json()["data"]["license"]
    assert grace["status"] == "grace" and grace["graceDaysLeft"] == 6


def test_a_sandbox_call_over_quota_is_refused_even_when_its_engine_would_fail(
    http: TestClient[Any], billing_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine runs while the quota write is pending (api/routes.py); the refusal still wins, and
    an admitted call whose engine fails is counted, as when the engine ran after the commit."""
    from attunio.api import routes

    def failing(*_args: Any) -> bytes:
        raise RuntimeError("engine failure")

    headers = key(billing_store, "test")
    with monkeypatch.context() as patched:
        patched.setattr(routes, "_analyze", failing)
        failed = http.post(PATH, json=BODY, headers=headers)
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "server_error"
    assert http.post(PATH, json=BODY, headers=headers).headers["X-RateLimit-Remaining"] == "1"
    assert http.post(PATH, json=BODY, headers=headers).headers["X-RateLimit-Remaining"] == "0"
    monkeypatch.setattr(routes, "_analyze", failing)
    refused = http.post(PATH, json=BODY, headers=headers)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert "engine failure" not in refused.text

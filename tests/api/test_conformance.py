"""Every case of the public API reference, run against the real app over ASGI with a real store, at
the reference's own `generatedAt`: the relapse window and staleness read `now`, so the examples are
exact at the moment the reference gave them (docs/engines.md lists the fields that move later)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.billing_helpers import FakeClock
from tests.conformance import fill, load_cases, mismatches
from tests.conftest import ALLOWED_ORIGIN, Keys

from attunio.api.app import create_app
from attunio.config import Settings
from attunio.store import Store

CASES = load_cases()
REFERENCE_NOW = datetime(2026, 6, 28, 15, 4, 5, tzinfo=UTC)  # the reference's `generatedAt`


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings, store, FakeClock(REFERENCE_NOW))) as test_client:
        yield test_client


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_conformance_case(name: str, case: dict[str, Any], client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    placeholders = {
        "secret_test_key": keys.issue("secret", "test"),
        "publishable_test_key": keys.issue("publishable", "test", [ALLOWED_ORIGIN]),
        "allowed_origin": ALLOWED_ORIGIN,
    }
    request = case["request"]
    headers = {k: fill(v, placeholders) for k, v in request.get("headers", {}).items()}
    content = request["raw_body"].encode() if "raw_body" in request else (
        json.dumps(request["body"]).encode() if "body" in request else None)
    if content is not None and "body" in request:
        headers.setdefault("Content-Type", "application/json")
    response = client.request(request["method"], request["path"], headers=headers, content=content)
    expect = case["expect"]
    assert response.status_code == expect["status"], response.text
    assert mismatches(expect["body"], response.json()) == []
    assert response.headers["request-id"].startswith("req_")

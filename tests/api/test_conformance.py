"""Every case of the public API reference, run against the real app over ASGI with a real store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.conformance import fill, load_cases, mismatches
from tests.conftest import ALLOWED_ORIGIN, Keys

CASES = load_cases()


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

"""The CDS Hooks specification's own JWT example against the verifier and a real store.

Its `jku` host does not exist, so the JWK Set it would serve is handed in from the specification
text (the one stand-in here). The token was signed in 2015: it must get past the signature check
with the published key and then be refused as expired; altered, it must fail the signature."""

from __future__ import annotations

import asyncio
import json

import pytest
from tests.cds.helpers import fixture

from attunio.cds.jwt_auth import JwtVerifier
from attunio.cds.registry import CdsRegistry
from attunio.clock import SystemClock
from attunio.errors import ApiError
from attunio.store import Store

EXAMPLE = fixture("cds-hooks-jwt-example.json")


def verifier(store: Store) -> JwtVerifier:
    registry = CdsRegistry(store, SystemClock())
    registry.register(EXAMPLE["iss"], "spec-example", json.dumps(EXAMPLE["jwks"]),
                      [EXAMPLE["jku"]], actor="test")

    async def published_jwks(url: str) -> bytes:
        assert url == EXAMPLE["jku"]
        return json.dumps(EXAMPLE["jwks"]).encode()

    return JwtVerifier(registry, leeway=30, max_lifetime=300, fetch_jwks=published_jwks)


def refusal(store: Store, token: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        asyncio.run(verifier(store).verify(f"Bearer {token}", [EXAMPLE["aud"]]))
    assert caught.value.status == 401
    return caught.value


def test_the_specification_token_verifies_with_its_published_key_and_is_refused_as_expired(store: Store) -> None:
    assert refusal(store, EXAMPLE["token"]).message == "JWT has expired."


def test_the_specification_token_altered_fails_the_signature(store: Store) -> None:
    head, payload, signature = EXAMPLE["token"].split(".")
    altered = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert "signature does not verify" in refusal(store, f"{head}.{payload}.{altered}").message

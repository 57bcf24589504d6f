"""The CDS Hooks routes in-process (the app over ASGI, a real store): configuration and body refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from tests.cds.helpers import ISS, Signer, hook_request
from tests.conftest import init_store, make_settings

from attunio.api.app import create_app
from attunio.cds.registry import CdsRegistry
from attunio.clock import SystemClock

BASE = "https://attunio.inprocess.test"
PV = "/cds-services/attunio-patient-view"


@pytest.fixture
def signer() -> Signer:
    return Signer("ES384")


@pytest.fixture
def cds_client(tmp_path: Path, signer: Signer) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = make_settings(tmp_path, ATTUNIO_CDS_BASE_URL=BASE)
    store = init_store(settings)
    CdsRegistry(store, SystemClock()).register(ISS, "test", json.dumps(signer.jwks()), [], actor="test")
    with TestClient(create_app(settings, store)) as client:
        yield client
    store.close()


def test_without_base_url_the_endpoints_answer_503(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.get("/cds-services", headers={"Authorization": "Bearer x.y.z"})
    assert answer.status_code == 503
    assert "cds.base_url" in answer.json()["error"]["message"]


def test_head_on_discovery_is_answered(cds_client: TestClient, signer: Signer) -> None:  # type: ignore[type-arg]
    token = signer.token(BASE + "/cds-services")
    answer = cds_client.head("/cds-services", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.content == b""


@pytest.mark.parametrize(("content", "content_type", "status", "message"), [
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b'{"hook": "patient-view"}', "application/json", 400, "hookInstance"),
    (json.dumps(hook_request("patient-view", {}, context={"patientId": "a/b"})).encode(), "application/json", 400,
     "context.patientId"),
    (b"hook=patient-view", "application/x-www-form-urlencoded", 415, "application/json"),
])
def test_bad_bodies_are_refused_with_the_reason(cds_client: TestClient, signer: Signer, content: bytes,  # type: ignore[type-arg]
                                                content_type: str, status: int, message: str) -> None:
    answer = cds_client.post(PV, content=content, headers={"Authorization": f"Bearer {signer.token(BASE + PV)}",
                                                           "Content-Type": content_type})
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]["message"]


def test_fhir_authorization_without_fhir_server_is_400(cds_client: TestClient, signer: Signer) -> None:  # type: ignore[type-arg]
    body = hook_request("patient-view", {}, fhirAuthorization={"access_token": "t", "token_type": "Bearer",
                                                               "expires_in": 1, "scope": "s", "subject": "x"})
    answer = cds_client.post(PV, json=body, headers={"Authorization": f"Bearer {signer.token(BASE + PV)}"})
    assert answer.status_code == 400 and "without fhirServer" in answer.json()["error"]["message"]


def test_the_fetch_pool_is_closed_at_shutdown(tmp_path: Path, signer: Signer) -> None:
    settings = make_settings(tmp_path, ATTUNIO_CDS_BASE_URL=BASE)
    store = init_store(settings)
    CdsRegistry(store, SystemClock()).register(ISS, "test", json.dumps(signer.jwks()), [], actor="test")
    edge = create_app(settings, store)
    with TestClient(edge) as client:
        assert client.get("/cds-services", headers={"Authorization": f"Bearer {signer.token(BASE + '/cds-services')}"}
                          ).status_code == 200
        pool = edge.app.state.cds.fetcher.client()  # the worker's pool, as a fetch would make it
        assert not pool.is_closed
    assert pool.is_closed
    store.close()

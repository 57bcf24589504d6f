"""The admin API over the real app and a real SQLCipher store, with a clock the test moves.

The test client speaks `https://` (in the ASGI scope) because the session cookie is `Secure`:
a client honouring cookie rules would not send it over plain HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from tests.billing_helpers import FakeClock
from tests.conftest import init_store, make_settings
from tests.logscan import ISSUED_SECRETS

from attunio.api.app import create_app
from attunio.api.edge import Edge
from attunio.config import Settings
from attunio.services.operations.admins import AdminService
from attunio.store import Store

BASE_URL = "https://appliance.test"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class Console:
    """A signed-in browser: the client with its cookie jar, and the CSRF token it was given."""

    client: TestClient  # type: ignore[type-arg]
    csrf: str
    admin_id: str

    def change(self, method: str, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, path, json=json, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)


@dataclass
class Instance:
    settings: Settings
    store: Store
    clock: FakeClock
    app: Edge
    tokens: dict[str, str]  # role -> admin token
    ids: dict[str, str]  # role -> admin id

    def client(self) -> TestClient:  # type: ignore[type-arg]
        return TestClient(self.app, base_url=BASE_URL)

    def sign_in(self, role: str = "admin", client: TestClient | None = None) -> Console:  # type: ignore[type-arg]
        client = client or self.client()
        answer = client.post("/admin/api/session", json={"token": self.tokens[role]})
        assert answer.status_code == 200, answer.text
        ISSUED_SECRETS.add(answer.cookies["attunio_admin"])
        ISSUED_SECRETS.add(answer.json()["csrfToken"])
        return Console(client, answer.json()["csrfToken"], self.ids[role])


def make_instance(root: Path, **extra: str) -> Instance:
    settings = make_settings(root, **extra)
    store = init_store(settings)
    clock = FakeClock(START)
    admins = AdminService(store, clock)
    tokens, ids = {}, {}
    for role, name, licence in (("admin", "Sam Ortiz", None), ("reviewer", "Dr Ada Okafor", "GMC 7654321")):
        admin, token = admins.create(name, role, actor="test", licence_number=licence)  # type: ignore[arg-type]
        ISSUED_SECRETS.add(token)
        tokens[role], ids[role] = token, admin.id
    return Instance(settings, store, clock, create_app(settings, store, clock), tokens, ids)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    made = make_instance(tmp_path / "one")
    yield made
    made.store.close()


@pytest.fixture
def console(instance: Instance) -> Iterator[Console]:
    with instance.client() as client:
        yield instance.sign_in("admin", client)


@pytest.fixture
def reviewer(instance: Instance) -> Iterator[Console]:
    with instance.client() as client:
        yield instance.sign_in("reviewer", client)

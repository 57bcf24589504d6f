"""The admin console on two replicas of one PostgreSQL store, over real TLS: a session signed in on
one replica works on the other (sessions live in the shared store, not in a worker), a key made
through one and its origins edited through the other reach both, and signing out anywhere ends the
session everywhere. Failed sign-ins are counted in the shared store, so both replicas throttle."""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import Served, start_served
from tests.e2e.test_replicas_served import within
from tests.logscan import ISSUED_SECRETS
from tests.pg_cluster import PgCluster

pytestmark = pytest.mark.e2e
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


@pytest.fixture
def pair(tmp_path: Path, postgres: PgCluster) -> Iterator[tuple[Served, Served]]:
    env = {"ATTUNIO_STORE_URL": postgres.url(postgres.create_database()), "ATTUNIO_TLS_ENABLED": "true"}
    a = start_served(tmp_path / "a", scheme="https", **env)
    (tmp_path / "b" / "secrets").mkdir(parents=True)
    shutil.copy2(tmp_path / "a" / "secrets" / "store.key", tmp_path / "b" / "secrets" / "store.key")
    b = start_served(tmp_path / "b", scheme="https", **env)
    yield a, b
    a.stop()
    b.stop()


def client(served: Served, cookies: dict[str, str] | None = None) -> httpx.Client:
    trust = ssl.create_default_context(cafile=str(served.root / "data" / "tls" / "cert.pem"))
    return httpx.Client(base_url=served.base_url.replace("127.0.0.1", "localhost"), verify=trust, timeout=30,
                        cookies=cookies)


def test_a_console_session_spans_replicas_and_its_changes_reach_both(pair: tuple[Served, Served]) -> None:
    a, b = pair
    token = a.cli("admins", "create", "--name", "Ada Byrne", "--role", "admin").stdout.strip().splitlines()[-1]
    ISSUED_SECRETS.add(token)
    with client(a) as on_a:
        signed = on_a.post("/admin/api/session", json={"token": token}, headers={"Origin": str(on_a.base_url)})
        assert signed.status_code == 200, signed.text
        cookie, csrf = signed.cookies["attunio_admin"], signed.json()["csrfToken"]
        ISSUED_SECRETS.update({cookie, csrf})
        app = on_a.post("/admin/api/apps", json={"name": "Telehealth"},
                        headers={"X-CSRF-Token": csrf, "Origin": str(on_a.base_url)})
        assert app.status_code == 201, app.text

    with client(b, {"attunio_admin": cookie}) as on_b:
        assert on_b.get("/admin/api/session").json()["admin"]["name"] == "Ada Byrne"
        change = {"X-CSRF-Token": csrf, "Origin": str(on_b.base_url)}
        made = on_b.post(f"/admin/api/apps/{app.json()['id']}/keys", headers=change,
                         json={"type": "publishable", "allowedOrigins": ["https://tele.example.org"]})
        assert made.status_code == 201, made.text
        ISSUED_SECRETS.add(made.json()["secret"])
        key_id = made.json()["key"]["id"]

    # Origins edited through A: B's preflight answer follows within the replicas' staleness bound.
    new_origin = "https://ehr.example.org"
    with client(a, {"attunio_admin": cookie}) as on_a, client(b) as anon_b:
        assert anon_b.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": new_origin}).status_code == 403
        edited = on_a.put(f"/admin/api/keys/{key_id}/origins", json={"allowedOrigins": [new_origin]},
                          headers={"X-CSRF-Token": csrf, "Origin": str(on_a.base_url)})
        assert edited.status_code == 200, edited.text
        assert within(lambda: anon_b.options("/v1/dmse/analyze",
                                             headers={**PREFLIGHT, "Origin": new_origin}).status_code == 204)
        assert on_a.delete("/admin/api/session",
                           headers={"X-CSRF-Token": csrf, "Origin": str(on_a.base_url)}).status_code == 204

    with client(b, {"attunio_admin": cookie}) as on_b:  # signed out on A: gone on B too
        assert on_b.get("/admin/api/session").json()["error"]["code"] == "session_required"
    verified = json.loads(b.cli("audit", "verify", "--json").stdout)
    assert verified["ok"] is True, verified


def test_failed_sign_ins_on_either_replica_count_towards_one_throttle(pair: tuple[Served, Served]) -> None:
    a, b = pair
    statuses = []
    for n in range(30):
        served = (a, b)[n % 2]
        with client(served) as http:
            answer = http.post("/admin/api/session", json={"token": "att_admin_" + "0" * 40},
                               headers={"Origin": str(http.base_url)})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert answer.json()["error"]["code"] == "too_many_attempts" and int(answer.headers["retry-after"]) > 0
                break
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    assert {401} == set(statuses[:-1])

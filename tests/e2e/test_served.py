"""The appliance as a user runs it: `attunio serve` in its own process, spoken to over a socket."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from tests.conftest import Served


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_served_process_answers_ping_health_and_openapi(served: Served) -> None:
    key = served.new_key()
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        ping = http.get("/v1/ping", headers=auth(key))
        assert ping.status_code == 200
        assert ping.json()["data"]["mode"] == "test"
        assert http.get("/healthz").json() == {"ok": True, "data": {"status": "alive"}}
        ready = http.get("/readyz").json()["data"]
        assert ready["status"] == "ready" and ready["checks"]["store"] == "ok"
        spec = http.get("/v1/openapi.json").json()
        assert set(spec["paths"]) >= {"/v1/ping", "/v1/dmse/analyze", "/v1/relapse/predict"}
        assert "cdn" not in http.get("/v1/openapi.json").text.lower()


def test_revoked_key_is_refused_by_every_worker_on_the_next_request(
    serve_appliance: Callable[..., Served],
) -> None:
    served = serve_appliance(workers=2)
    key = served.new_key()

    def ping() -> httpx.Response:
        with httpx.Client(base_url=served.base_url, timeout=30) as fresh:
            return fresh.get("/v1/ping", headers=auth(key))

    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        assert http.get("/v1/ping", headers=auth(key)).status_code == 200  # a kept-alive connection
        # Both workers accept the key (and hold it in their caches) before it is revoked ...
        assert len(served.workers_answering(ping, 200, workers=2)) == 2
        key_id = served.cli("keys", "list", "--json").stdout
        key_id = next(line.split('"')[3] for line in key_id.splitlines() if '"id": "key_' in line)
        served.cli("keys", "revoke", key_id, "--reason", "leaked")
        # ... and both refuse it from the next request on.
        assert len(served.workers_answering(ping, 401, workers=2)) == 2
        refused = http.get("/v1/ping", headers=auth(key))
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"


def test_logs_are_json_lines_without_keys_or_session_refs(served: Served) -> None:
    key = served.new_key()
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        http.post("/v1/dmse/analyze", headers=auth(key),
                  json={"responseLatencySeconds": 2.6, "sessionRef": "visit_SECRET_8841"})
        http.get("/v1/ping", headers=auth(key))
        http.get("/v1/ping", headers=auth(key[:-1] + "x"))
    served.stop()
    logs = served.logs()
    assert "visit_SECRET_8841" not in logs
    assert key[12:] not in logs and key[12:30] not in logs
    assert "responseLatencySeconds" not in logs
    import json

    access = [json.loads(line) for line in logs.splitlines() if line.startswith("{") and '"attunio.access"' in line]
    assert {a["path"] for a in access} >= {"/v1/ping", "/v1/dmse/analyze", "/readyz"}
    assert all(a["request_id"].startswith("req_") for a in access)
    assert any(a.get("key_prefix") == "att_sk_test_" for a in access)


def test_serve_refuses_to_start_with_a_wrong_key(tmp_path, serve_appliance: Callable[..., Served]) -> None:  # type: ignore[no-untyped-def]
    served = serve_appliance()
    served.stop()
    key_file = served.root / "secrets" / "store.key"
    key_file.write_text("cd" * 32)
    result = served.cli("serve", check=False)
    assert result.returncode != 0
    assert "cannot be decrypted" in result.stderr

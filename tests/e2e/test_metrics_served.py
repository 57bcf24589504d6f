"""`GET /metrics` over a socket: off by default; behind its token; the counts of every worker
added up exactly; the appliance's state as gauges; the page parses as Prometheus text."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from tests.conftest import Served
from tests.e2e.test_tls_served import TLS_ON
from tests.logscan import ISSUED_SECRETS

TOKEN = "m" * 24 + "0123456789abcdef0123"
DMSE = {"responseLatencySeconds": 2.6, "speechRateWpm": 98}

pytestmark = pytest.mark.e2e


def with_metrics(serve_appliance: Callable[..., Served], tmp_path: Path, **extra: str | int) -> Served:
    token_file = tmp_path / "metrics.token"
    token_file.write_text(TOKEN + "\n")
    ISSUED_SECRETS.add(TOKEN)
    return serve_appliance(ATTUNIO_METRICS_ENABLED="true", ATTUNIO_METRICS_TOKEN_FILE=str(token_file), **extra)


def scrape(http: httpx.Client) -> dict[str, list[Sample]]:
    answer = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert answer.headers["cache-control"] == "no-store"
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def test_metrics_are_off_by_default(served: Served) -> None:
    answer = httpx.get(served.base_url + "/metrics", timeout=30)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_metrics_need_the_token(serve_appliance: Callable[..., Served], tmp_path: Path) -> None:
    served = with_metrics(serve_appliance, tmp_path)
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        for headers, code in (({}, "unauthorized"), ({"Authorization": "Bearer " + "x" * 44}, "invalid_token"),
                              ({"Authorization": f"Basic {TOKEN}"}, "unauthorized")):
            refused = http.get("/metrics", headers=headers)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == code
            assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
            assert TOKEN not in refused.text


def test_a_short_token_stops_serve_before_it_binds(tmp_path: Path, serve_appliance: Callable[..., Served]) -> None:
    from tests.conftest import run_cli, settings_env

    short = tmp_path / "short.token"
    short.write_text("too-short\n")
    env = settings_env(tmp_path / "x", ATTUNIO_METRICS_ENABLED="true", ATTUNIO_METRICS_TOKEN_FILE=str(short))
    run_cli(env, "init")
    result = run_cli(env, "serve", check=False)
    assert result.returncode != 0
    assert "metrics.token_file" in result.stderr and "at least 32 characters" in result.stderr
    missing = run_cli({**env, "ATTUNIO_METRICS_TOKEN_FILE": ""}, "serve", check=False)
    assert missing.returncode != 0 and "metrics.token_file: required" in missing.stderr


def test_counts_of_both_workers_add_up_exactly(serve_appliance: Callable[..., Served], tmp_path: Path) -> None:
    served = with_metrics(serve_appliance, tmp_path, workers=2)
    key = served.new_key(app="Metrics")
    auth = {"Authorization": f"Bearer {key}"}
    sent = {"/v1/ping": 0, "/v1/dmse/analyze": 0, "unauthorized": 0, "unrouted": 0, "sdk": 0}
    ids: set[str] = set()

    def pids() -> set[int]:
        return {line["pid"] for line in served.access_lines() if line["request_id"] in ids}

    while len(pids()) < 2 or sent["/v1/ping"] < 10:  # fresh connections, so both workers answer
        with httpx.Client(base_url=served.base_url, timeout=30) as fresh:
            ids.add(fresh.get("/v1/ping", headers=auth).headers["request-id"])
            sent["/v1/ping"] += 1
            assert fresh.post("/v1/dmse/analyze", headers=auth, json=DMSE).status_code == 200
            sent["/v1/dmse/analyze"] += 1
            assert fresh.get("/v1/ping").status_code == 401
            sent["unauthorized"] += 1
            assert fresh.get("/nowhere/at/all").status_code == 404
            sent["unrouted"] += 1
            assert fresh.get("/sdk/capture.js").status_code == 200
            sent["sdk"] += 1
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        metrics = scrape(http)
    requests = metrics["attunio_http_requests"]
    assert value(requests, "attunio_http_requests_total", endpoint="/v1/ping", status="200") == sent["/v1/ping"]
    assert value(requests, "attunio_http_requests_total", endpoint="/v1/ping", status="401") == sent["unauthorized"]
    assert value(requests, "attunio_http_requests_total", endpoint="/v1/dmse/analyze",
                 status="200") == sent["/v1/dmse/analyze"]
    assert value(requests, "attunio_http_requests_total", endpoint="[unrouted]", status="404") == sent["unrouted"]
    assert value(requests, "attunio_http_requests_total", endpoint="/sdk/capture.js", status="200") == sent["sdk"]
    latency = metrics["attunio_http_request_duration_seconds"]
    count = value(latency, "attunio_http_request_duration_seconds_count", endpoint="/v1/dmse/analyze")
    assert count == sent["/v1/dmse/analyze"]
    buckets = [s for s in latency if s.name.endswith("_bucket") and s.labels["endpoint"] == "/v1/dmse/analyze"]
    assert [s.value for s in buckets] == sorted(s.value for s in buckets) and buckets[-1].value == count
    assert 0 < value(latency, "attunio_http_request_duration_seconds_sum", endpoint="/v1/dmse/analyze") < count * 10

    # The appliance's state: no license, sandbox use, the store, and no backup until one is made.
    assert value(metrics["attunio_license_state"], "attunio_license_state", state="refused") == 1
    assert value(metrics["attunio_license_state"], "attunio_license_state", state="valid") == 0
    app_id = next(line["app"] for line in served.access_lines() if line["app"])
    assert value(metrics["attunio_sandbox_requests_today"], "attunio_sandbox_requests_today",
                 app=app_id) == sent["/v1/dmse/analyze"]
    assert value(metrics["attunio_sandbox_daily_quota"], "attunio_sandbox_daily_quota") == 500
    assert value(metrics["attunio_store_size_bytes"], "attunio_store_size_bytes", file="db") > 0
    assert value(metrics["attunio_backup_age_seconds"], "attunio_backup_age_seconds") == math.inf
    assert value(metrics["attunio_live_calls_this_month"], "attunio_live_calls_this_month") == 0
    served.cli("backup", "-o", str(tmp_path / "nightly.attbak"), "--reason", "metrics test")
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        again = scrape(http)
    assert 0 <= value(again["attunio_backup_age_seconds"], "attunio_backup_age_seconds") < 600
    # The first scrape is counted like any answer.
    assert value(again["attunio_http_requests"], "attunio_http_requests_total", endpoint="/metrics", status="200") >= 1


def test_certificate_days_left_under_tls(serve_appliance: Callable[..., Served], tmp_path: Path) -> None:
    served = with_metrics(serve_appliance, tmp_path, **TLS_ON)
    with httpx.Client(base_url=served.base_url, timeout=30, verify=False) as http:
        metrics = scrape(http)
    days = value(metrics["attunio_certificate_days_left"], "attunio_certificate_days_left")
    assert 396 < days <= 397  # the self-signed certificate `attunio init` made a moment ago

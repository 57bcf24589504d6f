"""The real appliance over TLS, as `scripts/run` serves it: init makes the certificate, serve uses it."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.conftest import Served, run_cli

pytestmark = pytest.mark.e2e

TLS_ON = {"scheme": "https", "ATTUNIO_TLS_ENABLED": "true", "ATTUNIO_TLS_HOSTNAMES": '["attunio.test"]'}


def trusting(served: Served) -> ssl.SSLContext:
    """Trust exactly the self-signed certificate, as `curl --cacert data/tls/cert.pem` does."""
    return ssl.create_default_context(cafile=str(served.root / "data" / "tls" / "cert.pem"))


def test_appliance_serves_tls13_with_security_headers(serve_appliance: Callable[..., Served]) -> None:
    served = serve_appliance(**TLS_ON)
    key = served.new_key()
    base = served.base_url.replace("127.0.0.1", "localhost")
    with httpx.Client(base_url=base, verify=trusting(served), timeout=30) as http:
        ping = http.get("/v1/ping", headers={"Authorization": f"Bearer {key}"})
        assert ping.status_code == 200
        assert ping.extensions["network_stream"].get_extra_info("ssl_object").version() == "TLSv1.3"
        assert ping.headers["strict-transport-security"] == "max-age=31536000"
        assert ping.headers["cache-control"] == "no-store"
        assert "server" not in ping.headers
        ready = http.get("/readyz").json()["data"]
        assert ready["status"] == "ready" and ready["warnings"] == []


def test_tls_show_and_curl_line(serve_appliance: Callable[..., Served]) -> None:
    served = serve_appliance(**TLS_ON)
    shown = served.cli("tls", "show").stdout
    for expected in (
        "subject:",
        "CN=attunio.test",
        "(self-signed)",
        "DNS:localhost",
        "IP:127.0.0.1",
        "expires:",
        "modern (TLS 1.3 only)",
    ):
        assert expected in shown
    # The curl line scripts/run prints works against the self-signed certificate.
    curl = subprocess.run(
        [
            "curl",
            "-sS",
            "--cacert",
            str(served.root / "data" / "tls" / "cert.pem"),
            served.base_url.replace("127.0.0.1", "localhost") + "/healthz",
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert curl.returncode == 0, curl.stderr
    assert '"alive"' in curl.stdout


def test_serve_refuses_to_start_with_a_broken_certificate(
    serve_appliance: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve_appliance(**TLS_ON)
    served.stop()
    env = {
        **served.env,
        "ATTUNIO_TLS_CERT_FILE": str(tmp_path / "missing.pem"),
        "ATTUNIO_TLS_KEY_FILE": str(tmp_path / "missing.key"),
    }
    result = run_cli(env, "serve", check=False)
    assert result.returncode != 0
    assert "tls.cert_file" in result.stderr and "does not exist" in result.stderr


def test_init_reports_the_certificate_once(serve_appliance: Callable[..., Served]) -> None:
    served = serve_appliance(**TLS_ON)
    again = served.cli("init").stdout
    assert "(exists, kept)" in again and "certificate" in again


def test_every_worker_serves_tls(serve_appliance: Callable[..., Served]) -> None:
    # uvicorn pickles the config, context factory included, into each spawned worker.
    served = serve_appliance(workers=2, **TLS_ON)
    base = served.base_url.replace("127.0.0.1", "localhost")

    def health() -> httpx.Response:
        with httpx.Client(base_url=base, verify=trusting(served), timeout=30) as http:
            return http.get("/healthz")

    assert len(served.workers_answering(health, 200, workers=2)) == 2

"""`metrics.auth = "mtls"` on the real appliance: the scrape needs no token, because every
connection has already presented a certificate from the hospital's CA."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx
import pytest
from tests.conftest import Served

from .conftest import Pki

pytestmark = pytest.mark.e2e


def client(served: Served, cert: tuple[object, object] | None) -> ssl.SSLContext:
    """Trusts the appliance's own certificate; presents `cert` when given."""
    ctx = ssl.create_default_context(cafile=str(served.root / "data" / "tls" / "cert.pem"))
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def test_metrics_behind_mtls_answer_a_hospital_client_and_no_one_else(serve_appliance: Callable[..., Served],
                                                                      tls_pki: Pki) -> None:
    good = (tls_pki.client_cert, tls_pki.client_key)
    ready = ssl.create_default_context()
    ready.check_hostname, ready.verify_mode = False, ssl.CERT_NONE  # the poll only needs an answer
    ready.load_cert_chain(str(good[0]), str(good[1]))
    served = serve_appliance(scheme="https", ready_verify=ready, ATTUNIO_TLS_ENABLED="true",
                             ATTUNIO_TLS_HOSTNAMES='["attunio.test"]',
                             ATTUNIO_TLS_CLIENT_CA_FILE=str(tls_pki.hospital_ca),
                             ATTUNIO_METRICS_ENABLED="true", ATTUNIO_METRICS_AUTH="mtls")
    base = served.base_url.replace("127.0.0.1", "localhost")
    with httpx.Client(base_url=base, verify=client(served, good), timeout=30) as http:
        answer = http.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "attunio_http_requests_total" in answer.text
    rogue = (tls_pki.rogue_client_cert, tls_pki.rogue_client_key)
    for cert in (None, rogue):  # no certificate, or one from another CA: no scrape
        with pytest.raises(httpx.HTTPError), httpx.Client(base_url=base, verify=client(served, cert),
                                                         timeout=30) as http:
            http.get("/metrics")

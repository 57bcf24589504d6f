"""Finding 3 of issue 14 against served processes: the CRL file holds CRLs only, and a changed CRL
file is used by new handshakes without a restart (tests/tls/_serve.py, the appliance's context)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from tests.conftest import free_port, run_cli, settings_env

from . import pki
from .conftest import Pki, Refused, Served, client_context, get

pytestmark = pytest.mark.e2e

RELOAD_WITHIN_S = 30.0  # generous: the file is looked at every 5 s, on a shared machine


def replace(path: Path, data: bytes) -> None:
    """As an operator's `cp new.crl tmp && mv tmp crl` does: the file changes in one rename."""
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def status(port: int, tls_pki: Pki, host: str) -> int | None:
    ctx = client_context(tls_pki, cert=(tls_pki.client_cert, tls_pki.client_key))
    try:
        return get(port, ctx, host=host).status
    except Refused:
        return None


def wait_for(port: int, tls_pki: Pki, host: str, expected: int | None) -> None:
    deadline = time.monotonic() + RELOAD_WITHIN_S
    while time.monotonic() < deadline:
        if status(port, tls_pki, host) == expected:
            return
        time.sleep(0.5)
    raise AssertionError(f"the client was not {'served' if expected else 'refused'} within {RELOAD_WITHIN_S} s")


def evil_bundle(tls_pki: Pki, directory: Path) -> tuple[Path, Path, Path]:
    """A CRL file with an "Evil CA" certificate (and that CA's own CRL, so the leaf check passes) in
    it, and a client certificate that CA signed."""
    evil = pki.make_ca("Evil CA")
    cert, key = pki.issue(evil, "intruder", client=True).write(directory, "intruder")
    bundle = directory / "bundle.crl"
    bundle.write_bytes(tls_pki.hospital_crl.read_bytes() + evil.cert.public_bytes(serialization.Encoding.PEM)
                       + pki.make_crl(evil, []))
    return bundle, cert, key


def test_a_certificate_in_the_crl_file_is_a_start_up_error_not_a_trusted_ca(
    serve: Callable[..., Served], tls_pki: Pki, tmp_path: Path
) -> None:
    bundle, cert, key = evil_bundle(tls_pki, tmp_path)
    try:
        served = serve(client_ca_file=str(tls_pki.hospital_ca), client_crl_file=str(bundle))
    except RuntimeError as exc:  # the server exited at start-up
        assert f"{bundle} holds a CERTIFICATE block; only CRLs" in str(exc)
        return
    intruder = get(served.port, client_context(tls_pki, cert=(cert, key))).status
    raise AssertionError(f"the server started with a certificate in its CRL file; the intruder got {intruder}")


def test_attunio_serve_refuses_a_crl_file_with_a_certificate(tls_pki: Pki, tmp_path: Path) -> None:
    bundle, _, _ = evil_bundle(tls_pki, tmp_path)
    env = settings_env(tmp_path, ATTUNIO_TLS_ENABLED="true", ATTUNIO_TLS_CLIENT_CA_FILE=str(tls_pki.hospital_ca),
                       ATTUNIO_TLS_CLIENT_CRL_FILE=str(bundle), ATTUNIO_SERVER_PORT=str(free_port()))
    run_cli(env, "init")
    result = run_cli(env, "serve", check=False)
    assert result.returncode != 0
    assert f"tls.client_crl_file: {bundle} holds a CERTIFICATE block" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])  # with SNI and without (no SNI for an IP)
def test_a_changed_crl_file_applies_to_new_handshakes_without_a_restart(
    serve: Callable[..., Served], tls_pki: Pki, tmp_path: Path, host: str
) -> None:
    hospital = pki.make_ca("Hospital Test CA")  # the session's PKI keeps its CA key; this test needs its own
    ca_path, _ = hospital.write(tmp_path, "ca")
    client = pki.issue(hospital, "ehr-engine", client=True)
    cert, key = client.write(tmp_path, "client")
    own = Pki(tls_pki.root, tls_pki.appliance, ca_path, cert, key, cert, key, cert, key, tmp_path / "ca.crl")
    replace(own.hospital_crl, pki.make_crl(hospital, []))
    served = serve(client_ca_file=str(ca_path), client_crl_file=str(own.hospital_crl))
    assert status(served.port, own, host) == 200

    replace(own.hospital_crl, pki.make_crl(hospital, [client.cert]))
    wait_for(served.port, own, host, None)  # revoked: refused, no restart

    replace(own.hospital_crl, b"not a CRL\n")
    time.sleep(7)  # past the next look at the file
    assert status(served.port, own, host) is None  # an unusable file keeps the last good CRLs in force

    replace(own.hospital_crl, pki.make_crl(hospital, []))
    wait_for(served.port, own, host, 200)  # the revocation is gone with the CRL that held it
    assert served.process.poll() is None

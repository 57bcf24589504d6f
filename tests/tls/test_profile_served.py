"""Finding 6 of issue 14 (TLS): the served profiles offer Mozilla's groups only, and no TLS 1.2
session tickets. Real handshakes with OpenSSL's client and Python's against a served process."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Callable

import pytest

from .conftest import Pki, Served, client_context

pytestmark = pytest.mark.e2e

GROUPS = [("X25519", True), ("prime256v1", True), ("secp384r1", True), ("X448", False), ("secp521r1", False)]


@pytest.fixture(scope="module")
def intermediate(serve: Callable[..., Served]) -> Served:
    return serve(profile="intermediate")


@pytest.fixture(scope="module")
def modern(serve: Callable[..., Served]) -> Served:
    return serve()


# P-384 is not among the TLS 1.2 cases: the server prefers P-256, which the client must offer there.
CASES = [(version, profile, group, accepted)
         for version, profile in [("-tls1_2", "intermediate"), ("-tls1_3", "intermediate"), ("-tls1_3", "modern")]
         for group, accepted in GROUPS if (version, group) != ("-tls1_2", "secp384r1")]


@pytest.mark.parametrize(("version", "profile", "group", "accepted"), CASES)
def test_only_mozillas_groups_are_offered(request: pytest.FixtureRequest, tls_pki: Pki, version: str,
                                          profile: str, group: str, accepted: bool) -> None:
    """TLS 1.3: the client offers the one group, so the handshake succeeds only if it is allowed.
    TLS 1.2: the client must also offer P-256 (its group list also says which ECDSA certificates it
    accepts), so the server's choice shows which it allows: X25519 if allowed, P-256 otherwise."""
    served: Served = request.getfixturevalue(profile)
    offered = group if version == "-tls1_3" or group == "prime256v1" else f"{group}:prime256v1"
    result = subprocess.run(
        ["openssl", "s_client", "-brief", "-connect", f"127.0.0.1:{served.port}", "-servername", "localhost",
         "-CAfile", str(tls_pki.appliance.cert_file), "-verify_return_error", version, "-groups", offered],
        input=b"", capture_output=True, timeout=20, check=False,
    )
    output = (result.stdout + result.stderr).decode(errors="replace")
    if version == "-tls1_3":
        assert (result.returncode == 0) == accepted, output
    else:
        assert result.returncode == 0, output
        assert (group in output.split("Server Temp Key:")[1].splitlines()[0]) == accepted, output


def test_tls12_handshakes_get_no_session_ticket(intermediate: Served, tls_pki: Pki) -> None:
    ctx = client_context(tls_pki, version=ssl.TLSVersion.TLSv1_2)
    with socket.create_connection(("127.0.0.1", intermediate.port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert tls.recv(65536).startswith(b"HTTP/1.1 200")
        assert tls.version() == "TLSv1.2"
        session = tls.session
        assert session is not None
        assert not session.has_ticket

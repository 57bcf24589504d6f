"""Real TLS handshakes against a served uvicorn process using the appliance's SSLContext."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterator

import pytest

from .conftest import Pki, Refused, Served, client_context, get

pytestmark = pytest.mark.e2e

LEGACY = [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1]
CBC_SUITES = ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256"]
GCM_SUITES = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"]


@pytest.fixture(scope="module")
def modern(serve: Callable[..., Served]) -> Served:
    return serve()  # the shipped default profile


@pytest.fixture(scope="module")
def intermediate(serve: Callable[..., Served]) -> Served:
    return serve(profile="intermediate")


@pytest.fixture(scope="module")
def mtls(serve: Callable[..., Served], tls_pki: Pki) -> Served:
    return serve(client_ca_file=str(tls_pki.hospital_ca))


def legacy_client(tls_pki: Pki, version: ssl.TLSVersion) -> ssl.SSLContext:
    # Python warns when a context is pinned to TLS 1.0/1.1; that is the point of this client.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client_context(tls_pki, version=version)


def assert_refused(port: int, ctx: ssl.SSLContext, good: ssl.SSLContext, phase: str = "handshake") -> None:
    """The server ends the connection without answering. uvicorn's TLS transport closes the
    socket rather than sending an alert, so the client sees EOF; the control tests below show
    that these same clients do complete handshakes with a server that allows them, and the
    server must still serve a good client afterwards (it refused; it did not fall over)."""
    with pytest.raises(Refused) as refused:
        get(port, ctx)
    assert refused.value.phase == phase
    assert get(port, good).status == 200


# -- modern --------------------------------------------------------------------------------------


def test_modern_accepts_tls13(modern: Served, tls_pki: Pki) -> None:
    answer = get(modern.port, client_context(tls_pki))
    assert (answer.version, answer.status) == ("TLSv1.3", 200)
    assert "server" not in answer.headers


def test_self_signed_certificate_verifies_for_ip_and_localhost(modern: Served, tls_pki: Pki) -> None:
    # The CA-less client trusts exactly the self-signed certificate, as `curl --cacert` does.
    for host in ("localhost", "attunio.test", "127.0.0.1"):
        assert get(modern.port, client_context(tls_pki), host=host).status == 200


def test_modern_refuses_tls12(modern: Served, tls_pki: Pki) -> None:
    assert_refused(modern.port, client_context(tls_pki, version=ssl.TLSVersion.TLSv1_2), client_context(tls_pki))


@pytest.mark.parametrize("version", LEGACY, ids=["tls1.0", "tls1.1"])
def test_modern_refuses_legacy(modern: Served, tls_pki: Pki, version: ssl.TLSVersion) -> None:
    assert_refused(modern.port, legacy_client(tls_pki, version), client_context(tls_pki))


# -- intermediate --------------------------------------------------------------------------------


def test_intermediate_accepts_tls13(intermediate: Served, tls_pki: Pki) -> None:
    assert get(intermediate.port, client_context(tls_pki)).version == "TLSv1.3"


@pytest.mark.parametrize("suite", GCM_SUITES)
def test_intermediate_accepts_tls12_ecdhe_gcm(intermediate: Served, tls_pki: Pki, suite: str) -> None:
    ctx = client_context(tls_pki, version=ssl.TLSVersion.TLSv1_2, ciphers=suite)
    answer = get(intermediate.port, ctx)
    assert (answer.version, answer.cipher, answer.status) == ("TLSv1.2", suite, 200)


@pytest.mark.parametrize("suite", CBC_SUITES)
def test_intermediate_refuses_tls12_cbc(intermediate: Served, tls_pki: Pki, suite: str) -> None:
    ctx = client_context(tls_pki, version=ssl.TLSVersion.TLSv1_2, ciphers=suite)
    assert_refused(intermediate.port, ctx, client_context(tls_pki))


@pytest.mark.parametrize("version", LEGACY, ids=["tls1.0", "tls1.1"])
def test_intermediate_refuses_legacy(intermediate: Served, tls_pki: Pki, version: ssl.TLSVersion) -> None:
    assert_refused(intermediate.port, legacy_client(tls_pki, version), client_context(tls_pki))


# -- control: the legacy and CBC clients above really can connect to a server that allows it ---


@pytest.fixture(scope="module")
def permissive(tls_pki: Pki) -> Iterator[int]:
    """A bare TLS server that allows TLS 1.0+ and every suite at @SECLEVEL=0. If the clients
    above can handshake with it, their refusals by the appliance are the appliance's doing and
    not this machine's OpenSSL policy."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.load_cert_chain(tls_pki.appliance.cert_file, tls_pki.appliance.key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(4096)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    listener.close()


@pytest.mark.parametrize("version", LEGACY, ids=["tls1.0", "tls1.1"])
def test_control_legacy_client_can_connect(permissive: int, tls_pki: Pki, version: ssl.TLSVersion) -> None:
    answer = get(permissive, legacy_client(tls_pki, version))
    assert answer.version == {ssl.TLSVersion.TLSv1: "TLSv1", ssl.TLSVersion.TLSv1_1: "TLSv1.1"}[version]


@pytest.mark.parametrize("suite", CBC_SUITES)
def test_control_cbc_client_can_connect(permissive: int, tls_pki: Pki, suite: str) -> None:
    answer = get(permissive, client_context(tls_pki, version=ssl.TLSVersion.TLSv1_2, ciphers=suite))
    assert answer.cipher == suite


# -- mTLS ----------------------------------------------------------------------------------------


def signed_client(tls_pki: Pki, **kwargs: object) -> ssl.SSLContext:
    return client_context(tls_pki, cert=(tls_pki.client_cert, tls_pki.client_key), **kwargs)  # type: ignore[arg-type]


def test_mtls_serves_client_signed_by_hospital_ca(mtls: Served, tls_pki: Pki) -> None:
    answer = get(mtls.port, signed_client(tls_pki))
    assert (answer.version, answer.status) == ("TLSv1.3", 200)


def test_mtls_refuses_client_without_certificate(mtls: Served, tls_pki: Pki) -> None:
    assert_refused(mtls.port, client_context(tls_pki), signed_client(tls_pki), "request")


def test_mtls_refuses_certificate_from_another_ca(mtls: Served, tls_pki: Pki) -> None:
    ctx = client_context(tls_pki, cert=(tls_pki.rogue_client_cert, tls_pki.rogue_client_key))
    assert_refused(mtls.port, ctx, signed_client(tls_pki), "request")


def test_mtls_refuses_a_revoked_certificate(serve: Callable[..., Served], tls_pki: Pki) -> None:
    served = serve(client_ca_file=str(tls_pki.hospital_ca), client_crl_file=str(tls_pki.hospital_crl))
    revoked = client_context(tls_pki, cert=(tls_pki.revoked_client_cert, tls_pki.revoked_client_key))
    assert_refused(served.port, revoked, signed_client(tls_pki), "request")


def test_mtls_under_intermediate_refuses_tls12_client_without_certificate(
    serve: Callable[..., Served], tls_pki: Pki
) -> None:
    served = serve(profile="intermediate", client_ca_file=str(tls_pki.hospital_ca))
    ctx = client_context(tls_pki, version=ssl.TLSVersion.TLSv1_2, ciphers=GCM_SUITES[0])
    signed = signed_client(tls_pki, version=ssl.TLSVersion.TLSv1_2, ciphers=GCM_SUITES[0])
    # In TLS 1.2 the client certificate is part of the handshake, so the refusal comes there.
    assert_refused(served.port, ctx, signed)
    assert get(served.port, signed).version == "TLSv1.2"


# -- the same with the OpenSSL command-line client ------------------------------------------------

OPENSSL_CASES = [
    ("modern", ["-tls1_3"], True),
    ("modern", ["-tls1_2"], False),
    ("intermediate", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], True),
    ("intermediate", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"], False),
    ("intermediate", ["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"], False),
]


@pytest.mark.parametrize(("profile", "flags", "accepted"), OPENSSL_CASES)
def test_openssl_s_client(
    request: pytest.FixtureRequest, tls_pki: Pki, profile: str, flags: list[str], accepted: bool
) -> None:
    served: Served = request.getfixturevalue(profile)
    result = subprocess.run(
        [
            "openssl",
            "s_client",
            "-brief",
            "-connect",
            f"127.0.0.1:{served.port}",
            "-servername",
            "localhost",
            "-CAfile",
            str(tls_pki.appliance.cert_file),
            "-verify_return_error",
            *flags,
        ],
        input=b"",
        capture_output=True,
        timeout=20,
        check=False,
    )
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert (result.returncode == 0) == accepted, output
    if accepted:
        assert "Verification: OK" in output

"""Container health check: `python -m attunio.healthcheck` asks the local server for /healthz.

Exec-form HEALTHCHECK needs no shell or curl in the image. It reads the same settings as the
server, connects over loopback, and exits 0 when the server answers 200.

The server's certificate is pinned rather than verified against a CA: the check talks to its
own process, the configured certificate may not name the loopback address, and an expired
certificate must not turn a live server "unhealthy" (restarting would not fix it; /readyz
warns about expiry instead). Under mTLS the check has no client certificate, so it counts a
completed handshake with the pinned certificate as alive: the event loop that terminates TLS
is the one that serves requests.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import sys

from attunio.config import ConfigError, Settings, load_settings
from attunio.tls.context import TlsError, resolve_files

TIMEOUT_SECONDS = 4.0
WILDCARD_TO_LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104


_PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
_PEM_END = "-----END CERTIFICATE-----"


class Unhealthy(Exception):
    pass


def _pinned_leaf(settings: Settings) -> bytes:
    path = resolve_files(settings.tls, settings.data_dir).cert_file
    try:
        pem = path.read_text(encoding="ascii", errors="replace")
        end = pem.index(_PEM_END) + len(_PEM_END)
        return ssl.PEM_cert_to_DER_cert(pem[pem.index(_PEM_BEGIN) : end])
    except (OSError, ValueError) as exc:
        raise Unhealthy(f"cannot read the serving certificate {path}: {exc}") from None


def check(settings: Settings) -> str:
    host = WILDCARD_TO_LOOPBACK.get(settings.server.host, settings.server.host)
    port = settings.server.port
    if not settings.tls.enabled:
        return _get_healthz(http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS))

    pinned = _pinned_leaf(settings)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # replaced by the pin below
    try:
        raw = socket.create_connection((host, port), timeout=TIMEOUT_SECONDS)
    except OSError as exc:
        raise Unhealthy(f"nothing listening on {host}:{port}: {exc}") from None
    try:
        tls = ctx.wrap_socket(raw, server_hostname=None)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        raise Unhealthy(f"TLS handshake with {host}:{port} failed: {exc}") from None
    if tls.getpeercert(binary_form=True) != pinned:
        tls.close()
        raise Unhealthy(f"{host}:{port} presents a certificate other than the configured one")
    if settings.tls.client_ca_file:
        tls.close()
        return "alive (TLS handshake; /healthz itself needs a client certificate under mTLS)"
    conn = http.client.HTTPSConnection(host, port, timeout=TIMEOUT_SECONDS, context=ctx)
    conn.sock = tls  # reuse the pinned connection
    return _get_healthz(conn)


def _get_healthz(conn: http.client.HTTPConnection) -> str:
    try:
        conn.request("GET", "/healthz", headers={"Host": "localhost"})
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise Unhealthy(f"/healthz did not answer: {exc}") from None
    finally:
        conn.close()
    if response.status != 200:
        raise Unhealthy(f"/healthz answered {response.status}")
    return "healthy"


def main() -> int:
    try:
        print(check(load_settings()))
    except (Unhealthy, ConfigError, TlsError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

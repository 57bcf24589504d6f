"""Findings 1 and 2 of issue 14 against a served process: endless and huge request heads, too many
headers, slow heads, silent and never-TLS connections, idle keep-alive, and the connection cap.

While an attack runs, `/v1/ping` is timed on fresh connections and its median must stay under
0.5 s: a functional bound (before the limits an endless header took the median to 14.5 s), not a
performance figure. Each attack is bounded in time and count and runs on loopback only.
"""

from __future__ import annotations

import socket
import ssl
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from tests.conftest import Served
from tests.logscan import FIGURES

pytestmark = pytest.mark.e2e

STALL_BOUND_S = 0.5
ENDLESS_MIB = 64  # per connection of the endless-header attack, before it starts again
TLS_ON = {"scheme": "https", "ATTUNIO_TLS_ENABLED": "true"}


def port_of(served: Served) -> int:
    return int(served.base_url.rsplit(":", 1)[1])


def ping_median(served: Served, key: str, count: int = 9) -> float:
    """Median seconds of `count` pings, each on a new connection; a ping that fails counts as 10 s."""
    times = []
    for _ in range(count):
        start = time.monotonic()
        try:
            ok = httpx.get(served.base_url + "/v1/ping", headers={"Authorization": f"Bearer {key}"},
                           verify=False, timeout=10).status_code == 200
        except httpx.HTTPError:
            ok = False
        times.append(time.monotonic() - start if ok else 10.0)
        time.sleep(0.05)
    return statistics.median(times)


def read_until_closed(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it stays open."""
    sock.settimeout(0.5)
    received = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, ssl.SSLError, OSError):
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server kept the connection open for {within} s (received {received[:80]!r})")


def connect(served: Served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(served)), timeout=5)


@contextmanager
def running(attack: Callable[[threading.Event], None], threads: int = 1) -> Iterator[None]:
    stop = threading.Event()
    workers = [threading.Thread(target=attack, args=(stop,), daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


# --- finding 1: the size of a request head ------------------------------------------------------


def test_endless_headers_are_refused_431_and_ping_keeps_answering(serve_appliance: Callable[..., Served]) -> None:
    served = serve_appliance()
    key = served.new_key()
    refusals: list[bytes] = []

    def endless_header(stop: threading.Event) -> None:
        while not stop.is_set():
            with connect(served) as sock:
                answer, sent = b"", 0
                try:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: attunio\r\nX-Pad: ")
                    for _ in range(ENDLESS_MIB * 16):  # "endless", within a bound a test can afford
                        if stop.is_set():
                            break
                        sock.sendall(b"a" * 65536)
                        sent += 1
                except OSError:
                    pass
                if sent == 0:  # stopped before its head passed the limit: nothing to judge
                    continue
                with suppress(AssertionError, OSError):
                    answer = read_until_closed(sock, within=5)
                refusals.append(answer)

    with running(endless_header, threads=2):
        time.sleep(2)  # the header has grown: httptools copies all of it again on every read
        median = ping_median(served, key)
    FIGURES["endless_headers_ping_median_ms"] = round(median * 1000, 1)
    FIGURES["endless_headers_refused_431"] = len(refusals)
    assert median < STALL_BOUND_S, f"/v1/ping median {median:.3f} s while two endless headers were sent"
    assert refusals and all(r.startswith(b"HTTP/1.1 431 ") for r in refusals), refusals[:3]
    assert b'"code":"request_header_fields_too_large"' in refusals[0]
    assert "request head over its limit" in served.logs()


@pytest.mark.parametrize(("head", "why"), [
    (b"X-Pad: " + b"a" * (8 * 1024 * 1024) + b"\r\n", b"32768-byte limit"),
    (b"".join(b"X-H%d: v\r\n" % i for i in range(150)), b"more than 100 header fields"),
    (b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)), b"more than 100 header fields"),
    (b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 400) for i in range(90)), b"32768-byte limit"),
])
def test_a_head_over_a_limit_gets_431_in_the_envelope(served: Served, head: bytes, why: bytes) -> None:
    with connect(served) as sock:
        with suppress(OSError):  # the server stops reading once the head passes its limit
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: attunio\r\n" + head + b"\r\n")
        answer = read_until_closed(sock, within=10)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    assert why in answer
    assert httpx.get(served.base_url + "/healthz", timeout=10).status_code == 200


def test_a_head_within_the_limits_is_served(served: Served) -> None:
    headers = {f"X-H{i}": "v" * 200 for i in range(90)}  # 90 fields, ~20 KiB
    assert httpx.get(served.base_url + "/healthz", headers=headers, timeout=10).status_code == 200


def test_a_96_mib_header_leaves_the_worker_memory_bounded(serve_appliance: Callable[..., Served]) -> None:
    served = serve_appliance()  # one worker: the serve process is the worker
    key = served.new_key()
    ping_median(served, key, count=3)  # warm up every path before taking the baseline
    before = vm_hwm_kib(served.process.pid)
    chunk = b"a" * (1024 * 1024)
    with connect(served) as sock:
        sock.settimeout(30)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: attunio\r\nX-Pad: ")
            for _ in range(96):
                sock.sendall(chunk)
        except OSError:
            pass
    peak_growth_mib = (vm_hwm_kib(served.process.pid) - before) / 1024
    FIGURES["header_96_mib_peak_rss_growth_mib"] = round(peak_growth_mib, 1)
    assert peak_growth_mib < 16, f"the worker's peak memory grew by {peak_growth_mib:.0f} MiB"
    assert ping_median(served, key, count=3) < STALL_BOUND_S


# --- finding 2: slow and idle connections, and their number -------------------------------------


def test_slow_heads_and_silent_connections_are_closed_and_ping_keeps_answering(
    serve_appliance: Callable[..., Served],
) -> None:
    served = serve_appliance(ATTUNIO_SERVER_HEADER_TIMEOUT="2")
    key = served.new_key()
    slow = [connect(served) for _ in range(20)]
    silent = [connect(served) for _ in range(10)]
    head = b"GET /healthz HTTP/1.1\r\nHost: attunio\r\nX-Slow: " + b"a" * 100

    def one_byte_at_a_time(stop: threading.Event) -> None:
        for i in range(len(head)):
            for sock in slow:
                with suppress(OSError):
                    sock.send(head[i:i + 1])
            if stop.wait(0.5):
                return

    with running(one_byte_at_a_time):
        median = ping_median(served, key)
        FIGURES["slow_heads_ping_median_ms"] = round(median * 1000, 1)
        assert median < STALL_BOUND_S, f"/v1/ping median {median:.3f} s under 20 slow heads"
        answers = [read_until_closed(sock, within=15) for sock in slow]
    assert all(a.startswith(b"HTTP/1.1 408 Request Timeout\r\n") for a in answers), answers[:3]
    assert all(read_until_closed(sock, within=15) == b"" for sock in silent)
    for sock in slow + silent:
        sock.close()
    assert "request head not received in time" in served.logs()


def test_tls_connections_that_never_handshake_or_send_slowly_are_closed(
    serve_appliance: Callable[..., Served],
) -> None:
    served = serve_appliance(ATTUNIO_TLS_HANDSHAKE_TIMEOUT="2", ATTUNIO_SERVER_HEADER_TIMEOUT="2", **TLS_ON)
    key = served.new_key()
    never_tls = [connect(served) for _ in range(10)]
    client = ssl.create_default_context()
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    slow = client.wrap_socket(connect(served))
    slow.sendall(b"GET /healthz HTTP/1.1\r\n")
    median = ping_median(served, key)
    FIGURES["no_tls_handshake_ping_median_ms"] = round(median * 1000, 1)
    assert median < STALL_BOUND_S, f"/v1/ping median {median:.3f} s under 10 connections without TLS"
    assert all(read_until_closed(sock, within=15) == b"" for sock in never_tls)
    assert read_until_closed(slow, within=15).startswith(b"HTTP/1.1 408 ")
    for sock in [*never_tls, slow]:
        sock.close()


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(
    serve_appliance: Callable[..., Served],
) -> None:
    served = serve_appliance(ATTUNIO_SERVER_KEEP_ALIVE_TIMEOUT="1")
    with connect(served) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: attunio\r\n\r\n")
        assert read_until_closed(sock, within=15).startswith(b"HTTP/1.1 200 OK\r\n")


def test_past_max_connections_a_new_connection_gets_503_and_a_warning(
    serve_appliance: Callable[..., Served],
) -> None:
    served = serve_appliance(ATTUNIO_SERVER_MAX_CONNECTIONS="8", ATTUNIO_SERVER_HEADER_TIMEOUT="60")
    key = served.new_key()
    time.sleep(0.5)  # the readiness probe's connections are closed
    held = [connect(served) for _ in range(8)]
    time.sleep(0.5)
    with connect(served) as extra:
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: attunio\r\n\r\n")
        answer = read_until_closed(extra, within=10)
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer[:200]
    assert b'"code":"service_unavailable"' in answer
    assert "connection limit reached" in served.logs()
    for sock in held:
        sock.close()
    time.sleep(0.5)
    assert ping_median(served, key, count=3) < STALL_BOUND_S

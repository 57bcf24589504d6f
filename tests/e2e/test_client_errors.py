"""A client that breaks off its own request is a client error in the log, never a server error.

Against a served process over a socket: a body cut off by closing the connection, and a chunked
body that is not valid chunked encoding. Neither may be logged as a 500 or an unhandled error.
"""

from __future__ import annotations

import socket
import time

from tests.conftest import Served

from attunio.api.edge import CLIENT_CLOSED


def _connect(served: Served) -> socket.socket:
    host, port = served.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def _head(key: str, *lines: str) -> bytes:
    head = ["POST /v1/dmse/analyze HTTP/1.1", "Host: appliance", f"Authorization: Bearer {key}",
            "Content-Type: application/json", *lines]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def _lines_after(served: Served, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = served.access_lines()
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    return served.access_lines()


def _no_server_error(served: Served) -> None:
    logs = served.logs()
    assert "unhandled error" not in logs
    assert all(line["status"] != 500 for line in served.access_lines())


def test_a_client_that_disconnects_mid_body_is_logged_as_client_closed(served: Served) -> None:
    key = served.new_key()
    before = len(served.access_lines())
    with _connect(served) as sock:
        sock.sendall(_head(key, "Content-Length: 500") + b'{"responseLatencySeconds": 2')
        time.sleep(0.3)  # the worker is waiting for the rest of the body
    lines = _lines_after(served, before + 1)
    assert lines[before]["status"] == CLIENT_CLOSED and lines[before]["path"] == "/v1/dmse/analyze"
    _no_server_error(served)


def test_a_malformed_chunked_body_is_a_client_error(served: Served) -> None:
    key = served.new_key()
    before = len(served.access_lines())
    with _connect(served) as sock:
        sock.sendall(_head(key, "Transfer-Encoding: chunked") + b"5\r\n{\"res\r\nZZZ-not-a-size\r\n\r\n")
        answer = sock.recv(1 << 16)
    # The server's parser refuses the framing itself with a 400; the app saw its client leave.
    assert answer.startswith(b"HTTP/1.1 400 ")
    lines = _lines_after(served, before + 1)
    assert lines[before]["status"] in (400, CLIENT_CLOSED)
    _no_server_error(served)

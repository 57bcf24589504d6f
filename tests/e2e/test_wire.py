"""What leaves the socket: each answer in one write, and `Expect: 100-continue` still answered."""

from __future__ import annotations

import json
import socket

import httpx
from tests.conftest import Served

BODY = json.dumps({"responseLatencySeconds": 2.6, "speechRateWpm": 98}).encode()


def _connect(served: Served) -> socket.socket:
    host, port = served.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _head(key: str, length: int, *extra: str) -> bytes:
    lines = ["POST /v1/dmse/analyze HTTP/1.1", "Host: appliance", f"Authorization: Bearer {key}",
             "Content-Type: application/json", f"Content-Length: {length}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return len(body) >= length


def test_an_answer_leaves_in_one_write(served: Served) -> None:
    """Head and body were two writes (two TCP segments); on loopback one write arrives whole, so the
    first read after sending holds the complete answer, every time."""
    key = served.new_key()
    with _connect(served) as sock:
        for _ in range(20):  # a kept-alive connection: every answer, not only the first
            sock.sendall(_head(key, len(BODY)) + BODY)
            first = sock.recv(1 << 20)
            assert first.startswith(b"HTTP/1.1 200 OK\r\n")
            assert _complete(first), f"the first read held {len(first)} bytes, not the whole answer"
            answer = json.loads(first.partition(b"\r\n\r\n")[2])
            assert answer["ok"] is True and answer["data"]["object"] == "dmse.analysis"


def test_expect_100_continue_is_answered_before_the_body_is_sent(served: Served) -> None:
    key = served.new_key()
    with _connect(served) as sock:
        sock.sendall(_head(key, len(BODY), "Expect: 100-continue"))
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(1 << 16)
            assert chunk, "the server closed the connection instead of answering 100 Continue"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(BODY)
        data = interim.partition(b"\r\n\r\n")[2]
        while not _complete(data):
            chunk = sock.recv(1 << 16)
            assert chunk
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")


def test_head_is_answered_wherever_get_is_with_the_headers_and_no_body(served: Served) -> None:
    key = served.new_key()
    for path, headers, status in (("/healthz", {}, 200), ("/readyz", {}, 200), ("/v1/openapi.json", {}, 200),
                                  ("/v1/ping", {"Authorization": f"Bearer {key}"}, 200), ("/v1/ping", {}, 401),
                                  ("/sdk/capture.js", {}, 200)):
        with httpx.Client(base_url=served.base_url, timeout=30) as http:
            get, head = http.get(path, headers=headers), http.head(path, headers=headers)
        assert (get.status_code, head.status_code) == (status, status), path
        assert head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"], path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["request-id"] != get.headers["request-id"]
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        assert http.head("/v1/dmse/analyze", headers={"Authorization": f"Bearer {key}"}).status_code == 405
        assert http.head("/nowhere").status_code == 404
    heads = [line for line in served.access_lines() if line["method"] == "HEAD"]
    assert any(line["path"] == "/v1/ping" and line["key_prefix"] == "att_sk_test_" for line in heads)

"""A real FHIR search server on loopback for the served tests: answers the prefetch queries from
canned Bundles, records what it was asked (path, query, Authorization), and misbehaves on request
(slow, oversized) for the fetch-limit tests. It also serves a JWK Set for the `jku` test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FhirServer:
    base: str = ""
    # (resource type, a substring of the query) -> Bundle; the first match answers.
    answers: list[tuple[str, str, Any]] = field(default_factory=list)
    seen: list[tuple[str, dict[str, list[str]], str | None]] = field(default_factory=list)
    jwks: dict[str, Any] | None = None
    slow_seconds: float = 0.0
    oversized: bool = False
    status: int = 200

    def answer(self, kind: str, query_part: str, body: Any) -> None:
        self.answers.append((kind, query_part, body))


def _handler(server: FhirServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/jwks.json" and server.jwks is not None:
                return self._send(200, json.dumps(server.jwks).encode())
            kind = parts.path.rsplit("/", 1)[-1]
            server.seen.append((kind, parse_qs(parts.query), self.headers.get("Authorization")))
            if server.slow_seconds:
                time.sleep(server.slow_seconds)
            if server.oversized:
                head = b'{"resourceType":"Bundle","type":"searchset","entry":['
                return self._send(200, head + b" " * (5 << 20) + b"]}")
            if server.status != 200:
                return self._send(server.status, b'{"resourceType":"OperationOutcome"}')
            for answer_kind, query_part, body in server.answers:
                if answer_kind == kind and query_part in parts.query:
                    return self._send(200, json.dumps(body).encode())
            self._send(200, json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


@contextmanager
def running_fhir_server() -> Iterator[FhirServer]:
    state = FhirServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}/fhir"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()

"""The outermost ASGI layer: request ids, security headers, CORS preflight and the access log.

It wraps the whole Litestar app, so even routing errors (404, 405) and framework-level refusals
carry a Request-Id and the same headers, and every request is logged exactly once.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import msgspec

from attunio.api.auth import ORIGIN_FORBIDDEN
from attunio.api.fastpath import EngineEndpoints
from attunio.errors import ApiError
from attunio.logs import AccessLog

access_log = AccessLog("attunio.access")
# A client that puts its key in the URL (`/v1/ping/att_sk_live_…`) must not get it into the log:
# whatever follows a key or token prefix in a path is replaced, the prefix kept for diagnosis.
KEY_IN_PATH = re.compile(r"(att_(?:sk|pk)_(?:test|live)_|att_admin_)[^/]*")
UNROUTED = "[unrouted]"
Scope = dict[str, Any]
PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"POST"),
    (b"access-control-allow-headers", b"authorization, content-type"),
    (b"access-control-max-age", b"600"),
    (b"vary", b"Origin"),
]


class Edge:
    def __init__(self, app: Any, *, hsts_max_age: int | None, browser_path: str,
                 engines: EngineEndpoints | None = None) -> None:
        self.app = app
        self.engines = engines
        self.request_ids = RequestIds()
        self.browser_path = browser_path
        # Only paths the appliance serves are logged as sent; any other path is client-chosen text
        # (a patient name, a key) and is logged as its first known segment and a marker.
        paths = [route.path for route in getattr(app, "routes", [])]
        self.routed = {p for p in paths if "{" not in p}
        self.routed_prefixes = tuple(p.split("{", 1)[0] for p in paths if "{" in p)
        self.first_segments = {p.split("/")[1] for p in paths}
        # HEAD is answered wherever GET is (RFC 9110 asks it of every server; load balancers probe
        # with it): the GET route runs and uvicorn sends its headers without the body.
        routes = getattr(app, "routes", [])
        gettable = [route.path for route in routes if "GET" in getattr(route, "methods", ())]
        self.gettable = {p for p in gettable if "{" not in p}
        self.gettable_prefixes = tuple(p.split("{", 1)[0] for p in gettable if "{" in p)
        # Fixed paths log as themselves: looked up, not matched, on every request.
        self.logged_as = {p: KEY_IN_PATH.sub(r"\1[redacted]", p) for p in self.routed}
        self.common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if hsts_max_age:
            self.common.append((b"strict-transport-security", f"max-age={hsts_max_age}".encode()))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.request_ids.next()
        scope["attunio.request_id"] = request_id
        started = time.perf_counter()
        status = 500
        extra = [(b"request-id", request_id.encode()), *self.common]
        if scope["path"].startswith("/v1/"):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"server"]
                message["headers"] = headers + extra
            await send(message)

        try:
            spec = self.engines.route(scope) if self.engines is not None else None
            if spec is not None:
                await self.engines(spec, scope, receive, send_with_headers)  # type: ignore[misc]
            elif scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
                await self.preflight(scope, send_with_headers)
            elif scope["method"] == "HEAD" and self.answers_get(scope["path"]):
                await self.head(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            principal = scope.get("attunio.principal")
            access_log.write({
                "request_id": request_id,
                "method": scope["method"],
                "path": self.loggable_path(scope["path"]),  # never the query string
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "app": getattr(principal, "app_id", None),
                "key_prefix": getattr(principal, "prefix", None),
            })

    def loggable_path(self, path: str) -> str:
        fixed = self.logged_as.get(path)
        if fixed is not None:
            return fixed
        if path.startswith(self.routed_prefixes) and path.count("/") == 2:
            return KEY_IN_PATH.sub(r"\1[redacted]", path)
        first = path.split("/")[1] if path.startswith("/") else ""
        return f"/{first}/{UNROUTED}" if first in self.first_segments else f"/{UNROUTED}"

    def answers_get(self, path: str) -> bool:
        return path in self.gettable or (path.startswith(self.gettable_prefixes) and path.count("/") == 2)

    async def head(self, scope: Scope, receive: Any, send: Any) -> None:
        """The GET route's answer; the server leaves the body out because the request was HEAD."""
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, send)
        finally:  # who called, for the access line, which names the request as sent (HEAD)
            scope.update({k: v for k, v in as_get.items() if k.startswith("attunio.")})

    async def preflight(self, scope: Scope, send: Any) -> None:
        """Preflight carries no key, so an origin is let through when any active publishable key
        allows it; the real request is checked again against its own key's list."""
        origin = _header(scope, b"origin")
        services = self.app.state.services
        if scope["path"] == self.browser_path and origin and services.access.origin_allowed_anywhere(origin):
            headers = [(b"access-control-allow-origin", origin.encode()), *PREFLIGHT_HEADERS]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        message = ORIGIN_FORBIDDEN if scope["path"] == self.browser_path else (
            "Only POST /v1/dmse/analyze may be called from a browser."
        )
        body = msgspec.json.encode(ApiError("forbidden", message).body())
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class _Forks:
    count = 0  # forks this process descends from since import; a child must not reuse random bytes


os.register_at_fork(after_in_child=lambda: setattr(_Forks, "count", _Forks.count + 1))


class RequestIds:
    """`req_` and 24 random hex digits per request, as `secrets.token_hex(12)` would give, taken
    from random bytes read 256 ids at a time: one `getrandom` call per id was a system call per
    request. The bytes come from the same source (`os.urandom`); ids only need to be unique and
    unguessable enough not to be confused, they protect nothing."""

    BATCH = 256

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0
        self._forks = -1

    def next(self) -> str:
        at = self._at
        if at >= len(self._pool) or self._forks != _Forks.count:
            # A forked process must not repeat its parent's ids: it reads its own bytes.
            self._pool, at, self._forks = os.urandom(12 * self.BATCH), 0, _Forks.count
        self._at = at + 12
        return "req_" + self._pool[at:at + 12].hex()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None

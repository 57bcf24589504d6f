"""The outermost ASGI layer: what every request gets, whichever route answers it.

A request id, the security headers, the access log line, and the method rules that are the same
for every route: HEAD is answered as GET, OPTIONS from the route table (a CORS preflight by the
browser endpoint's origin rule). It wraps the whole Litestar app, so routing errors (404, 405) and
framework-level refusals carry a Request-Id and the same headers, and each request is logged once.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import msgspec
from litestar import Litestar
from litestar.routes import ASGIRoute, HTTPRoute

from attunio.api.auth import BROWSER_ENDPOINT, BROWSER_PATH, ORIGIN_FORBIDDEN
from attunio.api.context import SCOPE_KEY, RequestContext
from attunio.api.wire import read_headers
from attunio.errors import ApiError
from attunio.logs import AccessLog
from attunio.services.request_path.access import AccessService

access_log = AccessLog("attunio.access")
# A client that puts its key in the URL (`/v1/ping/att_sk_live_…`) must not get it into the log:
# whatever follows a key or token prefix in a path is replaced, the prefix kept for diagnosis.
KEY_IN_PATH = re.compile(r"(att_(?:sk|pk)_(?:test|live)_|att_admin_)[^/]*")
UNROUTED = "[unrouted]"
PARAMETER = re.compile(r"\{[^}]*\}")
TYPE_SUFFIX = re.compile(r":\w+\}")  # `{key_id:str}` as logged: `{key_id}`
API_PREFIXES = ("/v1/", "/admin/api/")  # answers that carry Cache-Control: no-store
# nginx's "client closed request": no answer was sent because the client left mid-body.
CLIENT_CLOSED = 499
Scope = dict[str, Any]
PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"POST"),
    (b"access-control-allow-headers", b"authorization, content-type"),
    (b"access-control-max-age", b"600"),
    (b"vary", b"Origin"),
]


def route_methods(app: Litestar) -> dict[str, tuple[str, ...]]:
    """Each route's path to the methods it answers (OPTIONS and, where GET is, HEAD included)."""
    table: dict[str, tuple[str, ...]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            methods = set(route.methods)
        elif isinstance(route, ASGIRoute):
            methods = set(route.route_handler.opt.get("methods", ()))
        else:
            continue
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        table[route.path] = tuple(sorted(methods))
    return table


class Edge:
    def __init__(self, app: Litestar, *, access: AccessService, hsts_max_age: int | None,
                 log_requests: bool = True) -> None:
        self.app = app
        self.access = access
        self.log_requests = log_requests  # `server.access_log`
        self.request_ids = RequestIds()
        methods = route_methods(app)
        # Paths with parameters (`/sdk/{name}`, `/admin/api/keys/{key_id}/revoke`) are matched by a
        # pattern where each parameter is one path segment.
        self.methods = {p: m for p, m in methods.items() if "{" not in p}
        self.templated = [(re.compile(PARAMETER.sub("[^/]+", re.escape(p).replace(r"\{", "{").replace(r"\}", "}"))
                                      + "$"), m, p) for p, m in methods.items() if "{" in p]
        # Only paths the appliance serves are logged as sent; any other path is client-chosen text
        # (a patient name, a key) and is logged as its first known segment and a marker.
        self.first_segments = {p.split("/")[1] for p in methods}
        self.logged_as = {p: KEY_IN_PATH.sub(r"\1[redacted]", p) for p in self.methods}
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if hsts_max_age:
            common.append((b"strict-transport-security", f"max-age={hsts_max_age}".encode()))
        self.common = common
        self.api_common = [*common, (b"cache-control", b"no-store")]  # API answers are never cached

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[arg-type]
            return
        context = RequestContext(self.request_ids.next())
        scope[SCOPE_KEY] = context
        started = time.perf_counter()
        status = 0
        extra = [(b"request-id", context.request_id.encode()),
                 *(self.api_common if scope["path"].startswith(API_PREFIXES) else self.common)]

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # No route sends a Server header, and uvicorn's own is off (`cli/serve.py`).
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            method = scope["method"]
            if method in {"POST", "GET"}:  # most requests: straight to the router
                await self.app(scope, receive, send_with_headers)  # type: ignore[arg-type]
            else:
                await self.other_method(scope, receive, send_with_headers)
        finally:
            if status == 0:
                status = CLIENT_CLOSED if context.disconnected else 500
            principal = context.principal
            if self.log_requests:
                access_log.write({
                    "request_id": context.request_id,
                    "method": scope["method"],
                    "path": self.loggable_path(scope["path"]),  # never the query string
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "app": None if principal is None else principal.app_id,
                    "key_prefix": None if principal is None else principal.prefix,
                })

    def methods_for(self, path: str) -> tuple[str, ...] | None:
        """The methods a path answers, trailing slash or not; None where no route is."""
        path = path.rstrip("/") or "/"
        found = self.methods.get(path)
        if found is None:
            for pattern, methods, _ in self.templated:
                if pattern.match(path):
                    return methods
        return found

    async def other_method(self, scope: Scope, receive: Any, send: Any) -> None:
        methods = self.methods_for(scope["path"])
        if methods is not None and scope["method"] == "OPTIONS":
            headers = read_headers(scope["headers"])
            if "access-control-request-method" in headers:
                await self.preflight(scope["path"], headers.get("origin"), send)
            else:
                await _send(send, 204, [(b"allow", ", ".join(methods).encode())], b"")
        elif methods is not None and scope["method"] == "HEAD" and "GET" in methods:
            # RFC 9110 asks HEAD of every server (load balancers probe with it): the GET route runs
            # and the server leaves the body out because the request was HEAD.
            await self.app({**scope, "method": "GET"}, receive, send)  # type: ignore[arg-type]
        else:  # the router answers 404 or 405 in the envelope
            await self.app(scope, receive, send)  # type: ignore[arg-type]

    def loggable_path(self, path: str) -> str:
        fixed = self.logged_as.get(path)
        if fixed is not None:
            return fixed
        if path.startswith("/admin/"):
            # An admin path is logged as its route (`/admin/api/keys/{key_id}/revoke`): the ids are
            # in the audit trail, and a segment a client typed never reaches the log.
            for pattern, _, template in self.templated:
                if pattern.match(path.rstrip("/")):
                    return TYPE_SUFFIX.sub("}", template)
        if self.methods_for(path) is not None:
            return KEY_IN_PATH.sub(r"\1[redacted]", path)
        first = path.split("/")[1] if path.startswith("/") else ""
        return f"/{first}/{UNROUTED}" if first in self.first_segments else f"/{UNROUTED}"

    async def preflight(self, path: str, origin: str | None, send: Any) -> None:
        """Preflight carries no key, so an origin is let through when any active publishable key
        allows it; the real request is checked again against its own key's list."""
        browser = (path.rstrip("/") or "/") == BROWSER_PATH
        if browser and origin and self.access.origin_allowed_anywhere(origin):
            await _send(send, 204, [(b"access-control-allow-origin", origin.encode()), *PREFLIGHT_HEADERS], b"")
            return
        message = ORIGIN_FORBIDDEN if browser else f"Only {BROWSER_ENDPOINT} may be called from a browser."
        body = msgspec.json.encode(ApiError("forbidden", message).body())
        await _send(send, 403, [(b"content-type", b"application/json")], body)


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Forks:
    count = 0  # forks this process descends from since import; a child must not reuse random bytes


os.register_at_fork(after_in_child=lambda: setattr(_Forks, "count", _Forks.count + 1))


class RequestIds:
    """`req_` and 24 random hex digits per request, as `secrets.token_hex(12)` would give, taken
    from random bytes read 256 ids at a time (one `getrandom` call per id was a system call per
    request). The bytes come from the same source (`os.urandom`); ids only need to be unique and
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


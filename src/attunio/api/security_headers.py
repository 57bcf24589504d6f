"""Response headers every answer carries, as plain ASGI middleware around the whole app.

Plain ASGI (not a Litestar hook) so it also covers answers Litestar produces before routing
(404, 405, 413) and anything mounted beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeadersMiddleware:
    """Adds HSTS (on TLS connections), `Cache-Control: no-store`, `nosniff`; removes `Server`.

    - HSTS only over https: browsers ignore it on plain http (RFC 6797 §8.1) and sending it
      there would only mislead. No `includeSubDomains`: the appliance does not own the
      hospital's other hosts.
    - `no-store` unless the app chose a cache policy itself: API answers hold clinical
      results that must not linger in proxy or browser caches.
    - No `Server` header: uvicorn's is also switched off (`server_header=False`); removing it
      here keeps the promise whichever server runs the app.
    """

    def __init__(self, app: ASGIApp, *, hsts_max_age: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}".encode() if hsts_max_age > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                if secure and self.hsts is not None and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", self.hsts))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if b"x-content-type-options" not in present:
                    headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

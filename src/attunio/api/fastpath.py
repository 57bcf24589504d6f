"""The engine endpoints' POST as plain ASGI: the appliance's hot path, below the framework.

Routing, signature parsing, the exception middleware and the response object cost a Litestar
request more than authentication, the engine and the access log together, and an engine call
needs none of them. `Edge` sends an exact `POST <engine path>` here; every other request (other
methods, which get `405` from the Litestar route, and anything unusual) goes to Litestar. Both run
the same steps from `routes.py`, the same envelope and the same checks in the same order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.exceptions import InternalServerException

from attunio.api import envelope
from attunio.api.auth import authorize
from attunio.api.routes import BROWSER_PATH, answer, require_json
from attunio.api.services import Services
from attunio.engines import ENGINES, EngineSpec
from attunio.errors import ApiError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_JSON_TYPE = (b"content-type", b"application/json")


class EngineEndpoints:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.max_body = services.settings.server.max_body_bytes
        self.by_path: dict[str, EngineSpec] = {spec.path: spec for spec in ENGINES.values()}

    def route(self, scope: Scope) -> EngineSpec | None:
        return self.by_path.get(scope["path"]) if scope["method"] == "POST" else None

    async def __call__(self, spec: EngineSpec, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _first_values(scope["headers"])
        status = 200
        try:
            principal = authorize(scope, headers, self.services, browser_ok=spec.path == BROWSER_PATH)
            require_json(headers.get("content-type"))
            body = await self._body(headers, receive)
            data, extra = await answer(self.services, spec, principal, body, headers.get("origin"))
        except ApiError as exc:
            status = exc.status
            data, extra = envelope.error_parts(exc, scope)
        except Exception as exc:
            envelope.log_unexpected(exc, scope.get("attunio.request_id"))
            status = 500
            data, extra = envelope.error_parts(ApiError("server_error", envelope.SERVER_ERROR_MESSAGE), scope)
        response_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
        response_headers += [_JSON_TYPE, (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": data})

    async def _body(self, headers: dict[str, str], receive: Receive) -> bytes:
        """The body under the size cap: refused early on an announced length, else while reading."""
        announced = headers.get("content-length")
        if announced is not None:
            try:
                too_big = int(announced) > self.max_body
            except ValueError:
                raise ApiError("invalid_request", "The request is not valid.") from None
            if too_big:
                raise envelope.too_large(self.max_body)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise InternalServerException("client disconnected prematurely")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body:
                    raise envelope.too_large(self.max_body)
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _first_values(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names (lower case, as ASGI servers give them) to their first value, as Litestar reads them."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        if key not in headers:
            headers[key] = value.decode("latin-1")
    return headers

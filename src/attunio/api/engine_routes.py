"""The five engine endpoints: Litestar routes the request, a plain ASGI handler answers it.

Litestar finds the route (and with it 404, trailing slashes, the exception handlers); the handler
then skips what a Litestar HTTP handler adds per request (signature parsing, the `Request` and
`Response` objects, the response middleware), which together cost more than authentication, the
engine and the access log (docs/design.md, "One HTTP stack"). Refusals a caller can cause are
rendered here by the one renderer; anything unexpected propagates to Litestar's handler for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.exceptions import MethodNotAllowedException
from litestar.handlers import ASGIRouteHandler
from litestar.types import ExceptionHandlersMap

from attunio.api import envelope
from attunio.api.auth import BROWSER_PATH, authorize
from attunio.api.context import SCOPE_KEY, RequestContext
from attunio.api.routes import answer, require_json
from attunio.api.runtime import Runtime
from attunio.api.wire import ClientDisconnected, read_body, read_headers
from attunio.engines import ENGINES, EngineSpec
from attunio.errors import ApiError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
METHODS = ("POST",)


class EngineRouteHandler(ASGIRouteHandler):
    """Litestar's ASGI route handler, its exception handlers resolved once: they are fixed when
    the app is built, and Litestar 2 walks the handler's layers for them on every request."""

    __slots__ = ("_exception_handlers",)

    def resolve_exception_handlers(self) -> ExceptionHandlersMap:
        try:
            return self._exception_handlers
        except AttributeError:
            self._exception_handlers: ExceptionHandlersMap = super().resolve_exception_handlers()
            return self._exception_handlers


def engine_route(spec: EngineSpec, runtime: Runtime) -> ASGIRouteHandler:
    browser_ok = spec.path == BROWSER_PATH
    limit = runtime.settings.server.max_body_bytes

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            # An ASGI route takes every method; the refusal is Litestar's own 405, rendered as any other.
            raise MethodNotAllowedException(headers={"Allow": ", ".join(METHODS)})
        context: RequestContext = scope[SCOPE_KEY]
        headers = read_headers(scope["headers"])
        now = runtime.clock.now()  # one instant for the whole call: key use, admission, engine, meter
        try:
            principal = authorize(context, headers, runtime, now, browser_ok=browser_ok)
            require_json(headers.get("content-type"))
            body = await read_body(headers, receive, limit)
            data, extra = await answer(runtime, spec, principal, body, context, now)
            status = 200
        except ApiError as exc:
            status = exc.status
            data, refusal = envelope.error_parts(exc, context)
            extra = envelope.raw_headers(refusal)
        except ClientDisconnected:
            context.disconnected = True  # nobody to answer; the access log records a client error
            return
        await envelope.send_json(send, status, data, extra)

    handle.__name__ = f"analyze_{spec.key}"
    # `methods` tells the edge what to answer OPTIONS and HEAD with; copy_scope=False: the handler
    # reads the scope and never changes it, so Litestar need not copy or compare it per request.
    return EngineRouteHandler(spec.path, name=spec.key, copy_scope=False, opt={"methods": METHODS})(handle)


def engine_routes(runtime: Runtime) -> list[ASGIRouteHandler]:
    return [engine_route(spec, runtime) for spec in ENGINES.values()]

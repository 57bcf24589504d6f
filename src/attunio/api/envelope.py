"""Rendering every failure, from a bad header to an unexpected exception, as the envelope.

`error_parts` is the one renderer: the engine routes call it directly for the refusals they
expect; everything else reaches it through Litestar's exception handlers below.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from attunio.api.auth import cors_headers
from attunio.api.context import RequestContext, context_of
from attunio.api.wire import too_large
from attunio.errors import CODE_FOR_STATUS, ERROR_CODES, ApiError
from attunio.logs import where

log = logging.getLogger("attunio.errors")
JSON = "application/json"
_JSON_TYPE = (b"content-type", b"application/json")
SERVER_ERROR_MESSAGE = ERROR_CODES["server_error"][1]
Send = Callable[[dict[str, Any]], Awaitable[None]]
RawHeaders = list[tuple[bytes, bytes]]  # name (lower case) and value, as ASGI sends them


def error_parts(exc: ApiError, context: RequestContext) -> tuple[bytes, dict[str, str]]:
    """The envelope's body and extra headers; a browser caller already let through also gets CORS,
    so its script can read why it was refused."""
    headers = dict(exc.headers)
    if context.cors_origin is not None:
        headers.update(cors_headers(context.cors_origin))
    return msgspec.json.encode(exc.body()), headers


def raw_name(name: str) -> bytes:
    """A header name as ASGI sends it, lower-cased and encoded once per name."""
    raw = _RAW_NAMES.get(name)
    if raw is None:
        raw = _RAW_NAMES[name] = name.lower().encode("latin-1")
    return raw


_RAW_NAMES: dict[str, bytes] = {}


def raw_headers(headers: dict[str, str]) -> RawHeaders:
    """Headers as the ASGI pairs `send_json` sends."""
    return [(raw_name(k), v.encode("latin-1")) for k, v in headers.items()]


async def send_json(send: Send, status: int, body: bytes, headers: RawHeaders | None) -> None:
    """A complete JSON answer as the two ASGI messages, for routes that answer in plain ASGI."""
    length = (b"content-length", b"%d" % len(body))
    raw = [*headers, _JSON_TYPE, length] if headers else [_JSON_TYPE, length]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def render(exc: ApiError, request: Request[Any, Any, Any]) -> Response[bytes]:
    body, headers = error_parts(exc, context_of(request.scope))
    return Response(body, status_code=exc.status, media_type=JSON, headers=headers)


def log_unexpected(exc: BaseException, request_id: object) -> None:
    # Log the type and where it happened, never the message: it may quote a payload value.
    log.error("unhandled error", extra={"error_type": type(exc).__name__, "where": where(exc),
                                        "request_id": request_id})


def api_error_handler(request: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return render(exc, request)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """The framework's own refusals (no route, wrong method, its body cap) in the envelope."""
    code = CODE_FOR_STATUS.get(exc.status_code)
    if code is None or exc.status_code >= 500:
        return internal_error_handler(request, exc)
    message = ERROR_CODES[code][1]
    allowed = exc.headers.get("allow") or exc.headers.get("Allow") if exc.headers else None
    if exc.status_code == 405:
        message = f"{request.method} is not allowed here" + (f"; use {allowed}." if allowed else ".")
    if exc.status_code == 413:
        message = too_large(request.app.state.runtime.settings.server.max_body_bytes).message
    return render(ApiError(code, message, headers={"Allow": allowed} if allowed else None), request)


DATABASE_UNAVAILABLE = "The database is not reachable right now; try again shortly."


def store_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """PostgreSQL restarting or failing over: 503, and the client may retry (the next request
    takes a fresh connection)."""
    log.warning("database unavailable", extra={"request_id": context_of(request.scope).request_id})
    return render(ApiError("service_unavailable", DATABASE_UNAVAILABLE, headers={"Retry-After": "1"}), request)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log_unexpected(exc, context_of(request.scope).request_id)
    return render(ApiError("server_error", SERVER_ERROR_MESSAGE), request)

"""Rendering every failure, from a bad header to an unexpected exception, as the envelope."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from attunio.errors import ApiError

log = logging.getLogger("attunio.errors")
JSON = "application/json"

_CODE_FOR_STATUS = {
    400: ("invalid_request", "The request is not valid."),
    401: ("unauthorized", "Missing or malformed Authorization header."),
    403: ("forbidden", "The key is valid but not permitted to call this resource."),
    404: ("not_found", "No such endpoint. See /v1/openapi.json for the API."),
    405: ("method_not_allowed", "Wrong HTTP method for this endpoint."),
    413: ("payload_too_large", "Request body is larger than this appliance accepts."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("rate_limited", "Too many requests."),
}


def render(exc: ApiError, request: Request[Any, Any, Any] | None = None) -> Response[bytes]:
    headers = dict(exc.headers)
    if request is not None:
        origin = request.scope.get("attunio.cors_origin")
        if isinstance(origin, str):
            headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    return Response(msgspec.json.encode(exc.body()), status_code=exc.status, media_type=JSON, headers=headers)


def api_error_handler(request: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return render(exc, request)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    code, message = _CODE_FOR_STATUS.get(exc.status_code, ("server_error", "Unexpected error processing the request."))
    if exc.status_code == 405:
        allowed = exc.headers.get("allow") if exc.headers else None
        message = f"{request.method} is not allowed here" + (f"; use {allowed}." if allowed else ".")
    if exc.status_code == 413:
        limit = request.app.state.services.settings.server.max_body_bytes
        message = f"Request body exceeds the {limit}-byte limit of this appliance."
    error = ApiError(code, message) if code in ("invalid_request",) or exc.status_code < 500 else None
    if error is None:
        return internal_error_handler(request, exc)
    error.headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return render(error, request)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # Log the type and where it happened, never the message: it may quote a payload value.
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-4:]))
    log.error("unhandled error", extra={"error_type": type(exc).__name__, "where": where,
                                        "request_id": request.scope.get("attunio.request_id")})
    return render(ApiError("server_error", "Unexpected error processing the request."), request)

"""HTTP handlers. Each one maps: authorize, decode, admit, run the engine, record, encode.

The engine endpoints' steps live in `answer` and friends so that the plain-ASGI hot path
(`api/fastpath.py`) and the Litestar routes run exactly the same code.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from attunio.api.auth import authorize
from attunio.api.services import Services
from attunio.clock import iso_ms
from attunio.engines import ENGINES, EngineSpec
from attunio.errors import ApiError
from attunio.services.access import Principal
from attunio.validation import RequestInvalid, decode_request

JSON = "application/json"
BROWSER_PATH = ENGINES["dmse_signals"].path
_encode = msgspec.json.Encoder().encode


def services_of(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def json_response(data: Any, headers: dict[str, str] | None = None, status: int = 200) -> Response[bytes]:
    return Response(_encode({"ok": True, "data": data}), status_code=status, media_type=JSON, headers=headers)


def require_json(content_type: str | None) -> None:
    """A missing Content-Type is read as JSON (as curl users expect); any other type is refused."""
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media != JSON and not (media.startswith("application/") and media.endswith("+json")):
        raise ApiError("unsupported_media_type", f"Send the body as {JSON}, not {media or 'an empty type'}.")


async def answer(services: Services, spec: EngineSpec, principal: Principal, body: bytes,
                 origin: str | None) -> tuple[bytes, dict[str, str] | None]:
    """Everything after the body is read: decode, admit, engine, record. Returns the `200` body and
    its extra headers; the call is committed before the answer exists outside this function. The
    quota and meter writes join the requests that reach theirs in the same event-loop turn in one
    transaction (`GroupCommit`) instead of committing one by one."""
    now = services.clock.now()
    try:
        request = decode_request(body, spec, now)
    except RequestInvalid as exc:
        issues = [{"path": i.path, "message": i.message} for i in exc.issues]
        raise ApiError("invalid_request", exc.message, issues=issues) from None
    headers = await services.billing.admit_grouped(services.commits, principal, spec.key)
    model, params = services.models.active(spec.key)
    data = _encode({"ok": True, "data": spec.analyze(request, params, now, model)})
    counted = services.billing.record_grouped(services.commits, principal, spec.key)
    if counted is not None:
        await counted
    if principal.key_type == "publishable":
        headers = {**(headers or {}), "Access-Control-Allow-Origin": cast(str, origin), "Vary": "Origin"}
    return data, headers


def engine_handler(spec: EngineSpec) -> HTTPRouteHandler:
    """The Litestar route: other methods get 405 from it, and it serves what the hot path passes on."""
    browser_ok = spec.path == BROWSER_PATH

    async def handle(request: Request[Any, Any, Any]) -> Response[bytes]:
        services = services_of(request)
        scope = cast("dict[str, Any]", request.scope)
        principal = authorize(scope, request.headers, services, browser_ok=browser_ok)
        require_json(request.headers.get("content-type"))
        body = await request.body()
        data, headers = await answer(services, spec, principal, body, request.headers.get("origin"))
        return Response(data, status_code=200, media_type=JSON, headers=headers)

    handle.__name__ = f"analyze_{spec.key}"
    return post(spec.path, name=spec.key)(handle)


@get("/v1/ping")
async def ping(request: Request[Any, Any, Any]) -> Response[bytes]:
    services = services_of(request)
    principal = authorize(cast("dict[str, Any]", request.scope), request.headers, services, browser_ok=False)
    return json_response({
        "object": "ping",
        "mode": principal.mode,
        "keyType": principal.key_type,
        "app": principal.app_id,
        "time": iso_ms(services.clock.now()),
    })


ROUTES = [ping, *(engine_handler(spec) for spec in ENGINES.values())]

"""HTTP handlers. Each one maps: authorize, decode, admit, run the engine, record, encode."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from attunio.api.auth import authorize
from attunio.api.services import Services
from attunio.clock import iso_ms
from attunio.engines import ENGINES, EngineSpec
from attunio.errors import ApiError
from attunio.validation import RequestInvalid, decode_request

JSON = "application/json"
BROWSER_PATH = ENGINES["dmse_signals"].path
_encode = msgspec.json.Encoder().encode


def services_of(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def json_response(data: Any, headers: dict[str, str] | None = None, status: int = 200) -> Response[bytes]:
    return Response(_encode({"ok": True, "data": data}), status_code=status, media_type=JSON, headers=headers)


def require_json(request: Request[Any, Any, Any]) -> None:
    """A missing Content-Type is read as JSON (as curl users expect); any other type is refused."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media != JSON and not (media.startswith("application/") and media.endswith("+json")):
        raise ApiError("unsupported_media_type", f"Send the body as {JSON}, not {media or 'an empty type'}.")


def engine_handler(spec: EngineSpec) -> HTTPRouteHandler:
    browser_ok = spec.path == BROWSER_PATH

    async def handle(request: Request[Any, Any, Any]) -> Response[bytes]:
        services = services_of(request)
        principal = authorize(request, services, browser_ok=browser_ok)
        require_json(request)
        try:
            body = decode_request(await request.body(), spec)
        except RequestInvalid as exc:
            issues = [{"path": i.path, "message": i.message} for i in exc.issues]
            raise ApiError("invalid_request", exc.message, issues=issues) from None
        headers = services.billing.admit(principal, spec.key)
        model, params = services.models.active(spec.key)
        payload = json_response(spec.analyze(body, params, services.clock.now(), model), headers)
        services.billing.record(principal, spec.key)
        if principal.key_type == "publishable":
            payload.headers.update({"Access-Control-Allow-Origin": request.headers["origin"], "Vary": "Origin"})
        return payload

    handle.__name__ = f"analyze_{spec.key}"
    return post(spec.path, name=spec.key)(handle)


@get("/v1/ping")
async def ping(request: Request[Any, Any, Any]) -> Response[bytes]:
    services = services_of(request)
    principal = authorize(request, services, browser_ok=False)
    return json_response({
        "object": "ping",
        "mode": principal.mode,
        "keyType": principal.key_type,
        "app": principal.app_id,
        "time": iso_ms(services.clock.now()),
    })


ROUTES = [ping, *(engine_handler(spec) for spec in ENGINES.values())]

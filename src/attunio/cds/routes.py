"""The CDS Hooks endpoints as Litestar handlers: JWT first, then the body, then `CdsService`.

Paths are fixed (one per service), so the access log names each one exactly. Answers are the
specification's JSON; refusals are the appliance's error envelope with the status the
specification asks for (`412` for unobtainable prefetch, `401` for a refused JWT).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from attunio.cds import discovery
from attunio.cds.service import CdsService
from attunio.errors import ApiError

JSON = "application/json"
NO_STORE = {"Cache-Control": "no-store"}
DISCOVERY_PATH = "/cds-services"
_discovery_body = msgspec.json.encode({"services": discovery.SERVICES})


def cds_of(request: Request[Any, Any, Any]) -> CdsService:
    """The worker's `CdsService`, made on first use from the app's runtime."""
    state = request.app.state
    service: CdsService | None = getattr(state, "cds", None)
    if service is None:
        runtime = state.runtime
        service = CdsService(runtime.settings, runtime.store, runtime.clock, runtime.models)
        state.cds = service
    return service


async def close(app: Litestar) -> None:
    """At shutdown, the worker's FHIR/JWKS connection pool is closed rather than dropped."""
    service: CdsService | None = getattr(app.state, "cds", None)
    if service is not None:
        await service.fetcher.aclose()


async def admit(request: Request[Any, Any, Any]) -> CdsService:
    service = cds_of(request)
    caller = await service.authenticate(request.url.path, request.headers.get("authorization"))
    request.scope["attunio.principal"] = caller  # type: ignore[typeddict-unknown-key]
    return service


def require_json(content_type: str | None) -> None:
    media = (content_type or JSON).split(";", 1)[0].strip().lower()
    if media not in (JSON, "application/fhir+json"):
        raise ApiError("unsupported_media_type", f"Send the body as {JSON}, not {media or 'an empty type'}.")


def answer(body: bytes) -> Response[bytes]:
    return Response(body, status_code=200, media_type=JSON, headers=NO_STORE)


@get(DISCOVERY_PATH, name="cds_discovery")
async def cds_discovery(request: Request[Any, Any, Any]) -> Response[bytes]:
    await admit(request)
    return answer(_discovery_body)


def hook_handler(service_id: str) -> HTTPRouteHandler:
    async def handle(request: Request[Any, Any, Any]) -> Response[bytes]:
        service = await admit(request)
        require_json(request.headers.get("content-type"))
        return answer(await service.call(service_id, await request.body()))

    handle.__name__ = f"cds_{service_id.replace('-', '_')}"
    return post(f"{DISCOVERY_PATH}/{service_id}", name=handle.__name__)(handle)


def feedback_handler(service_id: str) -> HTTPRouteHandler:
    async def handle(request: Request[Any, Any, Any]) -> Response[bytes]:
        service = await admit(request)
        require_json(request.headers.get("content-type"))
        return answer(service.feedback(service_id, await request.body()))

    handle.__name__ = f"cds_{service_id.replace('-', '_')}_feedback"
    return post(f"{DISCOVERY_PATH}/{service_id}/feedback", name=handle.__name__)(handle)


ROUTES = [cds_discovery, *(hook_handler(s["id"]) for s in discovery.SERVICES),
          *(feedback_handler(s["id"]) for s in discovery.SERVICES)]

"""The application factory: one place that assembles the HTTP app from settings and a store."""

from __future__ import annotations

import gc
from typing import Any

import msgspec
from litestar import Litestar, Response, get
from litestar.exceptions import HTTPException

from attunio.api import envelope, health, routes, static
from attunio.api.edge import Edge
from attunio.api.fastpath import EngineEndpoints
from attunio.api.openapi import build_openapi
from attunio.api.services import Services
from attunio.cds import routes as cds_routes
from attunio.clock import Clock, SystemClock
from attunio.config import Settings, load_settings
from attunio.errors import ApiError
from attunio.logs import configure
from attunio.store import Store


def create_app(settings: Settings, store: Store, clock: Clock | None = None) -> Edge:
    services = Services.build(settings, store, clock or SystemClock())
    openapi_bytes = msgspec.json.encode(build_openapi())

    @get("/v1/openapi.json", sync_to_thread=False)
    def openapi() -> Response[bytes]:
        return Response(openapi_bytes, media_type="application/json")

    def flush_on_shutdown() -> None:
        services.flush_last_used()

    app = Litestar(
        route_handlers=[*routes.ROUTES, health.healthz, health.readyz, openapi, *static.build_routes(),
                        *cds_routes.ROUTES],
        exception_handlers={
            ApiError: envelope.api_error_handler,
            HTTPException: envelope.http_exception_handler,
            Exception: envelope.internal_error_handler,
        },
        openapi_config=None,
        request_max_body_size=settings.server.max_body_bytes,
        on_shutdown=[flush_on_shutdown],
        logging_config=None,
        debug=False,
    )
    app.state.services = services
    hsts = settings.tls.hsts_max_age if settings.tls.enabled else None
    return Edge(app, hsts_max_age=hsts, browser_path=routes.BROWSER_PATH, engines=EngineEndpoints(services))


def app_from_environment() -> Any:
    """uvicorn's factory in each worker process: settings and store are opened after the fork."""
    settings = load_settings()
    configure(settings.server.log_level)
    app = create_app(settings, Store.open(settings))
    freeze_start_up_objects()
    return app


def freeze_start_up_objects() -> None:
    """Exclude what start-up built (the framework, the engines' tables, numpy, the OpenAPI
    document: hundreds of thousands of objects that live as long as the worker) from the garbage
    collector. Every full collection walked all of them, a pause of tens of milliseconds that showed
    as the p99 latency of a loaded worker; now it walks only what requests have left behind."""
    gc.collect()
    gc.freeze()

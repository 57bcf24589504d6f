"""The application factory: one place that assembles the HTTP app from settings and a store.

Adding a route: write a Litestar handler (a module under `api/`) and list it in `routes()`. The
stack gives it routing, 404/405, HEAD, OPTIONS, trailing slashes, the error envelope, the request
id, the security headers and the access line; a handler that reads a body uses `wire.read_body`.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

import msgspec
from litestar import Litestar, Response, get
from litestar.exceptions import HTTPException
from litestar.types import ControllerRouterHandler

from attunio import admin
from attunio.admin_console import pages as admin_pages
from attunio.api import envelope, health, reference, static
from attunio.api.edge import Edge
from attunio.api.engine_routes import engine_routes
from attunio.api.metrics import MetricsEndpoint
from attunio.api.openapi import build_openapi
from attunio.api.routes import ping
from attunio.api.runtime import Runtime
from attunio.cds import routes as cds_routes
from attunio.clock import Clock, SystemClock
from attunio.config import Settings, load_settings
from attunio.errors import ApiError
from attunio.logs import configure
from attunio.store import Store, StoreUnavailable


def routes(runtime: Runtime, metrics: MetricsEndpoint) -> list[ControllerRouterHandler]:
    openapi_bytes = msgspec.json.encode(build_openapi())

    @get("/v1/openapi.json", sync_to_thread=False)
    def openapi() -> Response[bytes]:
        return Response(openapi_bytes, media_type="application/json")

    return [
        *engine_routes(runtime),  # POST /v1/<engine>/…: the hot path, plain ASGI handlers
        ping,
        health.healthz,
        health.readyz,
        openapi,
        *static.build_routes(),
        *reference.build_routes(),  # GET /docs: the API reference page
        *admin_pages.build_routes(),  # GET /admin: the admin console's pages (its API is /admin/api)
        *metrics.routes(),  # GET /metrics, when server settings enable it
        *cds_routes.ROUTES,  # CDS Hooks: GET /cds-services, POST /cds-services/{id}[/feedback]
        admin.router(),  # /admin/api/…: the admin console's API, every route behind the session guard
    ]


def create_app(settings: Settings, store: Store, clock: Clock | None = None) -> Edge:
    store.serving()
    runtime = Runtime.build(settings, store, clock or SystemClock())
    metrics = MetricsEndpoint(settings)

    def flush_on_shutdown() -> None:
        runtime.flush_last_used()
        if store.dialect == "postgres":  # what scripts/bench reports per answer (docs/performance.md)
            logging.getLogger("attunio.store").info("database round trips: %d", getattr(store, "round_trips", 0))

    app = Litestar(
        route_handlers=routes(runtime, metrics),
        exception_handlers={
            ApiError: envelope.api_error_handler,
            HTTPException: envelope.http_exception_handler,
            StoreUnavailable: envelope.store_unavailable_handler,
            Exception: envelope.internal_error_handler,
        },
        openapi_config=None,
        # Litestar's own body reader (a route taking `data` or `request.body()`) caps at the same number.
        request_max_body_size=settings.server.max_body_bytes,
        on_shutdown=[flush_on_shutdown, cds_routes.close],
        logging_config=None,
        debug=False,
    )
    app.state.runtime = runtime
    metrics.start(app)
    hsts = settings.tls.hsts_max_age if settings.tls.enabled else None
    return Edge(app, access=runtime.access, hsts_max_age=hsts, log_requests=settings.server.access_log)


# Net new container objects between two young collections. Requests free nearly all they allocate by
# reference counting, so this bounds only how many cyclic leftovers wait for a collection (a few MB).
YOUNG_GENERATION_THRESHOLD = 50_000


def app_from_environment() -> Any:
    """uvicorn's factory in each worker process: settings and store are opened after the fork."""
    settings = load_settings()
    configure(settings.server.log_level)
    app = create_app(settings, Store.open(settings))
    freeze_start_up_objects()
    return app


def freeze_start_up_objects() -> None:
    """Exclude what start-up built (the framework, the engines' tables, numpy, the OpenAPI
    document: objects that live as long as the worker) from the garbage collector, so a full
    collection, which pauses every request in flight, walks only what requests have left behind.

    Then raise the youngest generation's threshold above what requests in flight hold at once: with
    the default (700), the objects of one turn's concurrent requests alone crossed it, so nearly
    every loop turn collected them, promoted them and soon walked the older generations too, all for
    objects that reference counting frees a moment later (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])

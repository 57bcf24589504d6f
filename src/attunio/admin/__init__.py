"""The admin console's HTTP API under /admin/api (docs/admin-console.md).

One router holds every admin route and the session guard, so no admin route can be reached
without a session, a CSRF token on changes and the role the route names (`admin.http`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get
from litestar.handlers import HTTPRouteHandler

from attunio.admin import audit, keys, models, overview, session, usage
from attunio.admin.http import BASE, guard


@get("/openapi.json")
async def openapi(request: Request[Any, Any, Any]) -> Response[bytes]:
    from attunio.admin.openapi import build_admin_openapi

    return Response(msgspec.json.encode(build_admin_openapi()), media_type="application/json")


HANDLERS: list[HTTPRouteHandler] = [*session.ROUTES, *overview.ROUTES, *keys.ROUTES, *usage.ROUTES, *models.ROUTES,
                                    *audit.ROUTES, openapi]


def router() -> Router:
    return Router(path=BASE, route_handlers=HANDLERS, guards=[guard])


def route_table() -> list[tuple[str, str, bool, tuple[str, ...]]]:
    """(method, path, public, roles) of every admin route: what the security tests walk."""
    from attunio.admin.http import ANY_ROLE

    table: list[tuple[str, str, bool, tuple[str, ...]]] = []
    for handler in HANDLERS:
        for path in handler.paths:
            for method in sorted(handler.http_methods):
                table.append((str(method), BASE + path, bool(handler.opt.get("public")),
                              tuple(handler.opt.get("roles", ANY_ROLE))))
    return table

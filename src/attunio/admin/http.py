"""What every admin API route shares: the session guard, CSRF and Origin checks, roles, bodies,
answers, and the translation of a service's refusal into the error envelope.

The guard is attached to the admin router itself, so a route added there is signed-in, CSRF-checked
and role-checked without its handler doing anything; only a route marked `public` (sign-in) is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from attunio.api.routes import require_json
from attunio.api.runtime import Runtime
from attunio.errors import ApiError
from attunio.refusals import Conflict, Forbidden, NotFound, NotSetUp, Refused
from attunio.services.operations.admin_sessions import Session
from attunio.services.request_path.access import normalise_origin

BASE = "/admin/api"
COOKIE = "attunio_admin"
COOKIE_ATTRIBUTES = "HttpOnly; Secure; SameSite=Strict; Path=/admin"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANY_ROLE = ("admin", "reviewer")
ADMIN = ("admin",)
REVIEWER = ("reviewer",)
SCOPE_KEY = "attunio.admin_session"  # set by the guard, read by the handler it let through
JSON = "application/json"
T = TypeVar("T")
_encode = msgspec.json.Encoder().encode


class Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of every admin request body: camelCase, unknown fields refused."""


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def session_of(request: Request[Any, Any, Any]) -> Session:
    session: Session = request.scope[SCOPE_KEY]  # type: ignore[literal-required]
    return session


def cookie_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.cookies.get(COOKIE) or ""


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return str(client[0]) if client else "unknown"


def _own_origins(connection: ASGIConnection[Any, Any, Any, Any]) -> set[str]:
    runtime = runtime_of(connection)
    own = set()
    host = connection.headers.get("host")
    if host:
        with suppress(ValueError):
            own.add(normalise_origin(f"{connection.scope['scheme']}://{host}"))
    for origin in runtime.settings.admin.origins:
        try:
            own.add(normalise_origin(origin))
        except ValueError:
            continue
    return own


def method_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return str(connection.scope.get("method", "GET"))


def origin_ok(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A browser sends Origin with every change; when it does, it must be the console's own."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    try:
        return normalise_origin(origin) in _own_origins(connection)
    except ValueError:
        return False


def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Runs before every admin route: a live session, then for a change its CSRF token and Origin,
    then the role the route allows. API keys are never looked at, so none opens this API."""
    if handler.opt.get("public"):
        if method_of(connection) not in SAFE_METHODS and not origin_ok(connection):
            raise ApiError("csrf_failed", "This sign-in came from another site's page (its Origin is not this "
                                          "appliance's); open the console at this appliance's own address.")
        return
    runtime = runtime_of(connection)
    cookie = cookie_of(connection)
    session = runtime.sessions.resume(cookie) if cookie else None
    if session is None:
        raise ApiError("session_required", "Sign in to the admin console first (POST /admin/api/session with "
                                           "an admin token); there is no session, or it has expired.")
    if method_of(connection) not in SAFE_METHODS:
        if not runtime.sessions.csrf_ok(cookie, connection.headers.get(CSRF_HEADER)):
            raise ApiError("csrf_failed", "Send the session's csrfToken in the X-CSRF-Token header with every "
                                          "change (GET /admin/api/session returns it).")
        if not origin_ok(connection):
            raise ApiError("csrf_failed", "This change came from another site's page: its Origin is not this "
                                          "appliance's.")
    roles: tuple[str, ...] = handler.opt.get("roles", ANY_ROLE)
    if session.admin.role not in roles:
        raise ApiError("forbidden", f"This needs a {' or '.join(roles)} identity; {session.admin.id} is signed "
                                    f"in as {session.admin.role}.")
    connection.scope[SCOPE_KEY] = session  # type: ignore[literal-required]


async def read(request: Request[Any, Any, Any], kind: type[T]) -> T:
    """The JSON body as `kind`, or a 400 naming what is wrong with it."""
    require_json(request.headers.get("content-type"))
    raw = await request.body()
    if not raw.strip():
        raise ApiError("invalid_request", "Send a JSON object as the body.")
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError("invalid_request", f"The body is not valid: {exc}.") from None
    except msgspec.DecodeError:
        raise ApiError("invalid_request", "The body is not valid JSON.") from None


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(_encode(data), status_code=status, media_type=JSON, headers=headers)


@contextmanager
def refusals() -> Iterator[None]:
    """A service's refusal as the envelope: unknown → 404, wrong role → 403, state → 409, else 400.
    Anything that is not a refusal (a bug) goes on to the 500 handler."""
    try:
        yield
    except Refused as exc:
        message = exc.message
        if message[:1].isalpha():
            message = message[0].upper() + message[1:]
        if isinstance(exc, NotFound):
            raise ApiError("not_found", message) from None
        if isinstance(exc, NotSetUp):
            raise ApiError("not_configured", message) from None
        if isinstance(exc, Forbidden):
            raise ApiError("forbidden", message) from None
        if isinstance(exc, Conflict):
            raise ApiError("conflict", message) from None
        raise ApiError("invalid_request", message) from None

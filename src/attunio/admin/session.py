"""Sign-in, the current session, sign-out: `/admin/api/session`."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post

from attunio.admin.http import (
    COOKIE,
    COOKIE_ATTRIBUTES,
    Body,
    answer,
    client_of,
    cookie_of,
    read,
    runtime_of,
    session_of,
)
from attunio.clock import iso_ms
from attunio.errors import ApiError
from attunio.refusals import Forbidden
from attunio.services.operations.admin_sessions import Session, Throttled


class SignIn(Body):
    token: str


def view(session: Session) -> dict[str, Any]:
    admin = session.admin
    return {"admin": {"id": admin.id, "name": admin.name, "role": admin.role},
            "csrfToken": session.csrf_token, "idleExpiresAt": iso_ms(session.idle_expires_at),
            "absoluteExpiresAt": iso_ms(session.absolute_expires_at)}


@post("/session", opt={"public": True})
async def sign_in(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Exchange an admin token for a session cookie; wrong tokens are counted per client address."""
    body = await read(request, SignIn)
    runtime = runtime_of(request)
    try:
        session, cookie = runtime.sessions.sign_in(body.token.strip(), client_of(request))
    except Throttled as exc:
        raise ApiError("too_many_attempts", f"Too many failed sign-ins from this address; try again in "
                                            f"{exc.retry_after} s.",
                       headers={"Retry-After": str(exc.retry_after)}) from None
    except Forbidden:
        raise ApiError("invalid_admin_token", "That admin token is unknown, revoked or not an admin token "
                                              "(they start att_admin_; `attunio admins create` makes one).") from None
    return answer(view(session), headers={"Set-Cookie": f"{COOKIE}={cookie}; {COOKIE_ATTRIBUTES}"})


@get("/session")
async def current(request: Request[Any, Any, Any]) -> Response[bytes]:
    return answer(view(session_of(request)))


@delete("/session", status_code=200)  # the Response itself says 204
async def sign_out(request: Request[Any, Any, Any]) -> Response[bytes]:
    runtime_of(request).sessions.sign_out(cookie_of(request), session_of(request).admin)
    return Response(b"", status_code=204,
                    headers={"Set-Cookie": f"{COOKIE}=; {COOKIE_ATTRIBUTES}; Max-Age=0"})


ROUTES = [sign_in, current, sign_out]

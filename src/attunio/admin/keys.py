"""Apps and API keys: list, create, revoke, rotate with an overlap, edit allowed origins.

Each handler calls the AccessService method the `attunio apps` / `attunio keys` commands call,
with the signed-in identity as the audit actor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post, put

from attunio.admin.http import ADMIN, Body, answer, read, refusals, runtime_of, session_of
from attunio.services.request_path.access import App, KeyRecord


class NewApp(Body):
    name: str


class NewKey(Body):
    type: Literal["secret", "publishable"] = "secret"
    mode: Literal["test", "live"] = "test"
    label: str = ""
    allowed_origins: list[str] = msgspec.field(default_factory=list)


class Rotate(Body):
    overlap_hours: Annotated[int, msgspec.Meta(ge=0, le=720)] = 0
    reason: str = ""


class Origins(Body):
    allowed_origins: list[str]
    reason: str = ""


class Revoke(Body):
    reason: str = ""


def key_view(key: KeyRecord) -> dict[str, Any]:
    return {"id": key.id, "appId": key.app_id, "prefix": key.prefix, "last4": key.last4, "type": key.key_type,
            "mode": key.mode, "label": key.label, "allowedOrigins": key.allowed_origins, "createdAt": key.created_at,
            "lastUsedAt": key.last_used_at, "revokedAt": key.revoked_at, "expiresAt": key.expires_at}


def app_view(app: App, keys: list[KeyRecord]) -> dict[str, Any]:
    return {"id": app.id, "name": app.name, "createdAt": app.created_at,
            "keys": [key_view(k) for k in keys if k.app_id == app.id]}


@get("/apps")
async def list_apps(request: Request[Any, Any, Any]) -> Response[bytes]:
    runtime = runtime_of(request)
    runtime.flush_last_used()  # this worker's pending last-used times, so the listing is current
    keys = runtime.access.list_keys()
    return answer({"apps": [app_view(app, keys) for app in runtime.access.list_apps()]})


@post("/apps", opt={"roles": ADMIN})
async def create_app(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await read(request, NewApp)
    with refusals():
        app = runtime_of(request).access.create_app(body.name, actor=session_of(request).admin.actor)
    return answer(app_view(app, []), status=201)


@post("/apps/{app_id:str}/keys", opt={"roles": ADMIN})
async def create_key(request: Request[Any, Any, Any]) -> Response[bytes]:
    app_id = str(request.path_params["app_id"])
    body = await read(request, NewKey)
    with refusals():
        record, key = runtime_of(request).access.create_key(
            app_id, body.type, body.mode, actor=session_of(request).admin.actor, origins=body.allowed_origins,
            label=body.label)
    return answer({"key": key_view(record), "secret": key}, status=201)


@post("/keys/{key_id:str}/revoke", opt={"roles": ADMIN})
async def revoke_key(request: Request[Any, Any, Any]) -> Response[bytes]:
    key_id = str(request.path_params["key_id"])
    body = await read(request, Revoke) if (await request.body()).strip() else Revoke()
    with refusals():
        record = runtime_of(request).access.revoke_key(key_id, actor=session_of(request).admin.actor,
                                                       reason=body.reason)
    return answer(key_view(record))


@post("/keys/{key_id:str}/rotate", opt={"roles": ADMIN})
async def rotate_key(request: Request[Any, Any, Any]) -> Response[bytes]:
    key_id = str(request.path_params["key_id"])
    body = await read(request, Rotate)
    with refusals():
        record, key, old = runtime_of(request).access.rotate_key(
            key_id, actor=session_of(request).admin.actor, reason=body.reason,
            overlap=timedelta(hours=body.overlap_hours))
    return answer({"key": key_view(record), "secret": key, "oldKeyExpiresAt": old.expires_at or old.revoked_at},
                  status=201)


@put("/keys/{key_id:str}/origins", opt={"roles": ADMIN})
async def set_origins(request: Request[Any, Any, Any]) -> Response[bytes]:
    key_id = str(request.path_params["key_id"])
    body = await read(request, Origins)
    with refusals():
        record = runtime_of(request).access.set_origins(key_id, body.allowed_origins,
                                                        actor=session_of(request).admin.actor, reason=body.reason)
    return answer(key_view(record))


ROUTES = [list_apps, create_app, create_key, revoke_key, rotate_key, set_origins]

"""The steps of an engine call after its body is read, and the key-checked GET routes.

Each handler maps: authorize, decode, admit, run the engine, record, encode.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, get

from attunio.api.admission import admission_headers
from attunio.api.auth import authorize, cors_headers
from attunio.api.context import RequestContext, context_of
from attunio.api.envelope import RawHeaders, raw_headers
from attunio.api.runtime import Runtime
from attunio.api.wire import read_headers
from attunio.clock import iso_ms
from attunio.engines import EngineSpec
from attunio.errors import ApiError
from attunio.services.request_path.access import Principal
from attunio.services.request_path.billing import license_report
from attunio.validation import RequestInvalid, decode_request

JSON = "application/json"
_encode = msgspec.json.Encoder().encode


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def json_response(data: Any, headers: dict[str, str] | None = None, status: int = 200) -> Response[bytes]:
    return Response(_encode({"ok": True, "data": data}), status_code=status, media_type=JSON, headers=headers)


def require_json(content_type: str | None) -> None:
    """A missing Content-Type is read as JSON (as curl users expect); any other type is refused."""
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media != JSON and not (media.startswith("application/") and media.endswith("+json")):
        raise ApiError("unsupported_media_type", f"Send the body as {JSON}, not {media or 'an empty type'}.")


async def answer(runtime: Runtime, spec: EngineSpec, principal: Principal, body: bytes,
                 context: RequestContext, now: datetime) -> tuple[bytes, RawHeaders | None]:
    """Everything after the body is read: decode, admit, engine, record. Returns the `200` body and
    its extra headers (as ASGI pairs); the call is committed before the answer exists outside this function. The
    quota and meter writes are shared with the other requests of the same event-loop turn (see
    `services/request_path/billing.py`)."""
    try:
        request = decode_request(body, spec, now)
    except RequestInvalid as exc:
        issues = [{"path": i.path, "message": i.message} for i in exc.issues]
        raise ApiError("invalid_request", exc.message, issues=issues) from None
    verdict = runtime.billing.admit(principal, now)
    if isinstance(verdict, asyncio.Future):
        # A sandbox call is decided once its quota write is committed, at the end of this turn. The
        # engine is pure, so it runs meanwhile and a refused call's answer is dropped unseen; the
        # turn's answers then leave together after the commit, as live ones do (docs/performance.md).
        try:
            data = _analyze(runtime, spec, request, now)
        except Exception:
            admission_headers(await verdict)  # a quota refusal is reported before the call's own error
            raise
        headers = admission_headers(await verdict)
    else:
        headers = admission_headers(verdict)
        data = _analyze(runtime, spec, request, now)
    counted = runtime.billing.record(principal, spec.key, now)
    if counted is not None:
        await counted
    if context.cors_origin is not None:
        headers = [*(headers or ()), *raw_headers(cors_headers(context.cors_origin))]
    return data, headers


def _analyze(runtime: Runtime, spec: EngineSpec, request: Any, now: datetime) -> bytes:
    model, params = runtime.models.active(spec.key)
    return _encode({"ok": True, "data": spec.analyze(request, params, now, model)})


@get("/v1/ping", sync_to_thread=False)
def ping(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The key's mode and type; for a live key also the license verdict its calls would meet, so an
    integrator can tell "key fine, license not" apart before sending a patient's numbers."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    principal = authorize(context_of(request.scope), read_headers(request.scope["headers"]), runtime, now,
                          browser_ok=False)
    data: dict[str, Any] = {
        "object": "ping",
        "mode": principal.mode,
        "keyType": principal.key_type,
        "app": principal.app_id,
        "time": iso_ms(now),
    }
    if principal.mode == "live":
        data["license"], _ = license_report(runtime.billing.license_state())
    return json_response(data)

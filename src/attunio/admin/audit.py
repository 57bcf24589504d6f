"""The audit trail: filtered pages, chain verification, JSON Lines export (`attunio audit`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from attunio.admin.http import answer, runtime_of
from attunio.clock import iso_ms
from attunio.errors import ApiError
from attunio.services.operations import audit
from attunio.timetext import parse_instant

MAX_PAGE = 500


def _instant(request: Request[Any, Any, Any], name: str) -> str | None:
    """A query time in any form `attunio audit export --since` takes, as the stored UTC text."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return iso_ms(parse_instant(raw, runtime_of(request).clock.now()))
    except ValueError as exc:
        raise ApiError("invalid_request", f"{name}: {exc}.") from None


def _whole(request: Request[Any, Any, Any], name: str, default: int | None, top: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return default
    if not raw.isdigit() or (top is not None and not 1 <= int(raw) <= top):
        limit = f" from 1 to {top}" if top is not None else ""
        raise ApiError("invalid_request", f"{name} must be a whole number{limit}; {raw!r} is not.")
    return int(raw)


def _range(request: Request[Any, Any, Any]) -> tuple[str | None, str | None]:
    since, until = _instant(request, "from"), _instant(request, "to")
    if since is not None and until is not None and until <= since:
        raise ApiError("invalid_request", f"to ({until}) must be after from ({since}).")
    return since, until


@get("/audit")
async def entries(request: Request[Any, Any, Any]) -> Response[bytes]:
    since, until = _range(request)
    limit = _whole(request, "limit", 100, MAX_PAGE) or 100
    found = audit.search(runtime_of(request).store, since=since, until=until,
                         actor=request.query_params.get("actor") or None,
                         action=request.query_params.get("action") or None,
                         before=_whole(request, "before", None), limit=limit + 1)
    page = found[:limit]
    return answer({"entries": [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                                "objectType": e.object_type, "objectId": e.object_id, "reason": e.reason,
                                "detail": e.detail} for e in page],
                   "next": page[-1].seq if len(found) > limit else None})


@get("/audit/verify")
async def verify(request: Request[Any, Any, Any]) -> Response[bytes]:
    result = audit.check(runtime_of(request).store)
    return answer({"ok": result.problem is None, "entries": result.events, "firstBad": result.first_bad,
                   "problem": result.problem})


@get("/audit/export")
async def export(request: Request[Any, Any, Any]) -> Response[bytes]:
    since, until = _range(request)
    data = b"".join(audit.export_lines(runtime_of(request).store, since, until))
    return Response(data, media_type="application/jsonl",
                    headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})


ROUTES = [entries, verify, export]

"""Liveness and readiness, without a key, revealing nothing sensitive."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get

from attunio.api.routes import json_response, services_of
from attunio.api.services import Services

INTEGRITY_TTL_SECONDS = 30.0
_integrity_cache: dict[int, tuple[float, bool]] = {}


def _integrity(services: Services) -> bool:
    """quick_check reads every page, so its verdict is reused for a short while per worker."""
    cached = _integrity_cache.get(id(services))
    if cached and time.monotonic() - cached[0] < INTEGRITY_TTL_SECONDS:
        return cached[1]
    try:
        ok = services.store.integrity_ok()
    except Exception:
        ok = False
    _integrity_cache[id(services)] = (time.monotonic(), ok)
    return ok


def readiness(services: Services) -> tuple[bool, dict[str, str], list[str]]:
    checks = {"store": "ok" if _integrity(services) else "failed integrity check"}
    warnings: list[str] = []
    ready = all(value == "ok" for value in checks.values())
    return ready, checks, warnings


@get("/healthz")
async def healthz() -> Response[bytes]:
    return json_response({"status": "alive"})


@get("/readyz")
async def readyz(request: Request[Any, Any, Any]) -> Response[bytes]:
    ready, checks, warnings = readiness(services_of(request))
    data = {"status": "ready" if ready else "not_ready", "checks": checks, "warnings": warnings}
    return json_response(data, status=200 if ready else 503)

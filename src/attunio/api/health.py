"""Liveness and readiness, without a key, revealing nothing sensitive."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get

from attunio.api.routes import json_response, runtime_of
from attunio.api.runtime import Runtime
from attunio.services.request_path.billing import license_report
from attunio.tls.inspect import readiness as tls_readiness

INTEGRITY_TTL_SECONDS = 30.0
_integrity_cache: dict[int, tuple[float, bool]] = {}


def _integrity(runtime: Runtime) -> bool:
    """quick_check reads every page, so its verdict is reused for a short while per worker."""
    cached = _integrity_cache.get(id(runtime))
    if cached and time.monotonic() - cached[0] < INTEGRITY_TTL_SECONDS:
        return cached[1]
    try:
        ok = runtime.store.integrity_ok()
    except Exception:
        ok = False
    _integrity_cache[id(runtime)] = (time.monotonic(), ok)
    return ok


def _store_check(runtime: Runtime) -> dict[str, str]:
    if runtime.store.dialect == "postgres":  # asked every time: a load balancer must see it go
        return {"database": "ok" if runtime.store.ping() else "unreachable"}
    return {"store": "ok" if _integrity(runtime) else "failed integrity check"}


def readiness(runtime: Runtime) -> tuple[bool, dict[str, str], list[str], dict[str, Any]]:
    checks = _store_check(runtime)
    warnings: list[str] = []
    # A certificate near or past expiry is a warning, not "not ready": taking the appliance out
    # of a load balancer would not renew it, and callers already see the certificate anyway.
    settings = runtime.settings
    tls = tls_readiness(settings.tls, settings.data_dir, runtime.clock.now())
    if "message" in tls:
        warnings.append(tls["message"])
    ready = all(value == "ok" for value in checks.values())
    # The license decides only live keys; sandbox keys are served either way, so it never makes
    # the appliance unready. It is reported for monitoring instead.
    license_info: dict[str, Any] = {"status": "unknown"}
    if ready:
        license_info, license_warnings = license_report(runtime.billing.license_state())
        warnings.extend(license_warnings)
    return ready, checks, warnings, license_info


@get("/healthz")
async def healthz() -> Response[bytes]:
    return json_response({"status": "alive"})


@get("/readyz")
async def readyz(request: Request[Any, Any, Any]) -> Response[bytes]:
    ready, checks, warnings, license_info = readiness(runtime_of(request))
    data = {"status": "ready" if ready else "not_ready", "checks": checks, "license": license_info,
            "warnings": warnings}
    return json_response(data, status=200 if ready else 503)

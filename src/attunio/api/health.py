"""Liveness and readiness, without a key, revealing nothing sensitive."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get

from attunio.api.routes import json_response, services_of
from attunio.api.services import Services
from attunio.services.request_path.billing import license_report
from attunio.tls.inspect import readiness as tls_readiness

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


def readiness(services: Services) -> tuple[bool, dict[str, str], list[str], dict[str, Any]]:
    checks = {"store": "ok" if _integrity(services) else "failed integrity check"}
    warnings: list[str] = []
    # A certificate near or past expiry is a warning, not "not ready": taking the appliance out
    # of a load balancer would not renew it, and callers already see the certificate anyway.
    settings = services.settings
    tls = tls_readiness(settings.tls, settings.data_dir, services.clock.now())
    if "message" in tls:
        warnings.append(tls["message"])
    ready = all(value == "ok" for value in checks.values())
    # The license decides only live keys; sandbox keys are served either way, so it never makes
    # the appliance unready. It is reported for monitoring instead.
    license_info: dict[str, Any] = {"status": "unknown"}
    if ready:
        license_info, license_warnings = license_report(services.billing.license_state())
        warnings.extend(license_warnings)
    return ready, checks, warnings, license_info


@get("/healthz")
async def healthz() -> Response[bytes]:
    return json_response({"status": "alive"})


@get("/readyz")
async def readyz(request: Request[Any, Any, Any]) -> Response[bytes]:
    ready, checks, warnings, license_info = readiness(services_of(request))
    data = {"status": "ready" if ready else "not_ready", "checks": checks, "license": license_info,
            "warnings": warnings}
    return json_response(data, status=200 if ready else 503)

"""Live usage against the allowance, sandbox use, and the signed monthly report (`attunio usage`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from attunio.admin.http import ADMIN, answer, refusals, runtime_of, session_of
from attunio.engines import ENGINES
from attunio.errors import ApiError
from attunio.services.licensing.usage_reports import create_report, current_month, month_bounds, summarize
from attunio.services.request_path.metering import month_usage, sandbox_month

PATHS = {key: spec.path for key, spec in ENGINES.items()}


def _month(request: Request[Any, Any, Any]) -> str:
    month = request.query_params.get("month") or current_month(runtime_of(request).clock.now())
    try:
        month_bounds(month)
    except ValueError:
        raise ApiError("invalid_request", f"month must be YYYY-MM, like 2026-11; {month!r} is not.") from None
    return month


def _by_path(counts: dict[str, int]) -> dict[str, int]:
    """Endpoints as the API spells them (`/v1/relapse/predict`), not the meter's engine keys."""
    return {PATHS.get(key, key): count for key, count in counts.items()}


@get("/usage")
async def usage(request: Request[Any, Any, Any]) -> Response[bytes]:
    month = _month(request)
    runtime = runtime_of(request)
    licenses = runtime.billing.licenses
    summary = summarize(licenses, month, runtime.clock.now())
    per_day = month_usage(runtime.store, month).by_day_and_endpoint()
    sandbox = sandbox_month(runtime.store, month)
    return answer({
        "month": month, "licenseId": summary.license_id, "allowance": summary.allowance, "used": summary.used,
        "remaining": summary.remaining, "overage": summary.overage,
        "sandbox": {"used": sum(sandbox.values()), "limit": runtime.settings.billing.sandbox_daily_quota,
                    "days": [{"date": day, "calls": calls} for day, calls in sandbox.items()]},
        "days": [{"date": day, "calls": summary.by_day.get(day, 0), "byEndpoint": _by_path(counts)}
                 for day, counts in per_day.items()],
        "byEndpoint": _by_path(summary.by_endpoint),
        "byApp": summary.by_app,
    })


@get("/usage/report", opt={"roles": ADMIN})
async def report(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Sign and record the month's report (as `attunio usage report` does) and hand it over."""
    month = _month(request)
    runtime = runtime_of(request)
    with refusals():
        data, made = create_report(runtime.billing.licenses, runtime.clock, month,
                                   actor=session_of(request).admin.actor)
    name = f"usage-{made.month}-report-{made.sequence}.json"
    return Response(data, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTES = [usage, report]

"""Billing's verdicts as HTTP: the status a refusal gets and the headers an admitted call carries."""

from __future__ import annotations

from attunio.errors import ApiError
from attunio.services.licensing.evaluate import LicenseState
from attunio.services.request_path.billing import LiveAdmitted, LiveRefused, QuotaUsedUp, SandboxAdmitted, Verdict

LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"
GRACE_HEADER = "Attunio-License-Warning"


def admission_headers(verdict: Verdict) -> dict[str, str] | None:
    """The headers of an admitted call, or the refusal raised as the envelope's error."""
    if isinstance(verdict, SandboxAdmitted):
        return {LIMIT_HEADER: str(verdict.limit), REMAINING_HEADER: str(verdict.remaining),
                RESET_HEADER: str(verdict.reset_seconds)}
    if isinstance(verdict, LiveAdmitted):
        return None if verdict.grace is None else {GRACE_HEADER: grace_warning(verdict.grace)}
    if isinstance(verdict, QuotaUsedUp):
        reset = str(verdict.reset_seconds)
        raise ApiError(
            "rate_limited",
            f"Daily sandbox quota of {verdict.limit} requests for this app is used up; it resets at 00:00 UTC. "
            "Live keys with a license are not limited.",
            headers={LIMIT_HEADER: str(verdict.limit), REMAINING_HEADER: "0", RESET_HEADER: reset,
                     "Retry-After": reset},
        )
    assert isinstance(verdict, LiveRefused)
    raise ApiError("payment_required", verdict.state.message)


def grace_warning(state: LicenseState) -> str:
    expired = state.expires_at.strftime("%Y-%m-%d") if state.expires_at else "unknown"
    return f'grace; days-left={state.grace_days_left}; expired={expired}; license="{state.license_id}"'

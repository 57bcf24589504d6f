"""Billing's verdicts as HTTP: the status a refusal gets and the headers an admitted call carries."""

from __future__ import annotations

from attunio.api.envelope import RawHeaders, raw_name
from attunio.errors import ApiError
from attunio.services.licensing.evaluate import LicenseState
from attunio.services.request_path.billing import LiveAdmitted, LiveRefused, QuotaUsedUp, SandboxAdmitted, Verdict

LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"
GRACE_HEADER = "Attunio-License-Warning"
_REMAINING_RAW = raw_name(REMAINING_HEADER)


class _Pair:
    """One header's ASGI pair for the value it last had: the limit is a setting and the reset moves
    once a second, so each sandbox call would otherwise format and encode the same value again."""

    __slots__ = ("last", "name")

    def __init__(self, name: str) -> None:
        self.name = raw_name(name)
        self.last: tuple[int, tuple[bytes, bytes]] = (-1, (self.name, b"-1"))

    def of(self, value: int) -> tuple[bytes, bytes]:
        last = self.last  # one read: the value and its pair always agree
        if last[0] != value:
            last = self.last = (value, (self.name, b"%d" % value))
        return last[1]


_LIMIT, _RESET = _Pair(LIMIT_HEADER), _Pair(RESET_HEADER)


def admission_headers(verdict: Verdict) -> RawHeaders | None:
    """The headers of an admitted call as ASGI pairs, or the refusal raised as the envelope's error."""
    if isinstance(verdict, SandboxAdmitted):
        return [_LIMIT.of(verdict.limit), (_REMAINING_RAW, b"%d" % verdict.remaining), _RESET.of(verdict.reset_seconds)]
    if isinstance(verdict, LiveAdmitted):
        if verdict.grace is None:
            return None
        return [(raw_name(GRACE_HEADER), grace_warning(verdict.grace).encode("latin-1"))]
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

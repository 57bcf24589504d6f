"""Pure license evaluation: claims + (now, clock high-water mark, instance id) -> state.

No I/O and no clock of its own, so every branch is testable with fixed times. Time is judged at the
later of `now` and the persisted high-water mark: winding the system clock back never makes an
expired license current again, nor revives a grace period.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from msgspec import Struct

from attunio.crypto.license_file import LicenseClaims

CLOCK_SKEW_TOLERANCE = timedelta(hours=1)
DAY = timedelta(days=1)

Status = Literal["valid", "grace", "refused"]
Reason = Literal["no_license", "other_instance", "no_production_access", "not_yet_valid", "expired"]


class LicenseState(Struct, frozen=True, kw_only=True):
    status: Status
    reason: Reason | None
    message: str
    effective_now: datetime
    """The later of the wall clock and the high-water mark; what expiry was judged against."""
    clock_behind: bool
    """The wall clock is more than an hour behind the high-water mark (someone set it back)."""
    grace_days_left: int | None = None
    license_id: str | None = None
    expires_at: datetime | None = None
    allowance: int | None = None
    """Monthly call allowance of the license this state is about."""

    @property
    def serves_live(self) -> bool:
        return self.status != "refused"


def effective_time(now: datetime, high_water: datetime | None) -> datetime:
    return now if high_water is None or now >= high_water else high_water


def evaluate(
    claims: LicenseClaims | None, now: datetime, high_water: datetime | None, instance_id: str
) -> LicenseState:
    at = effective_time(now, high_water)
    behind = high_water is not None and high_water - now > CLOCK_SKEW_TOLERANCE

    def refused(reason: Reason, message: str) -> LicenseState:
        return LicenseState(
            status="refused",
            reason=reason,
            message=message,
            effective_now=at,
            clock_behind=behind,
            license_id=None if claims is None else claims.license_id,
            expires_at=None if claims is None else claims.expires_at,
            allowance=None if claims is None else claims.monthly_allowance,
        )

    if claims is None:
        return refused(
            "no_license", "No license is installed; install one with `attunio license install FILE`."
        )
    if claims.instance_id is not None and claims.instance_id != instance_id:
        return refused(
            "other_instance",
            f"License {claims.license_id} is bound to another instance, not this one ({instance_id}).",
        )
    if not claims.production_access:
        return refused(
            "no_production_access",
            f"License {claims.license_id} does not include approved production access.",
        )
    if at < claims.valid_from:
        return refused(
            "not_yet_valid",
            f"License {claims.license_id} is not valid until {_day(claims.valid_from)}.",
        )
    grace_end = claims.expires_at + claims.grace_days * DAY
    if at >= grace_end:
        return refused(
            "expired",
            f"License {claims.license_id} expired on {_day(claims.expires_at)} and its "
            f"{claims.grace_days}-day grace period has ended; install a renewed license.",
        )
    if at >= claims.expires_at:
        left = math.ceil((grace_end - at) / DAY)
        return LicenseState(
            status="grace",
            reason=None,
            message=(
                f"License {claims.license_id} expired on {_day(claims.expires_at)}; live calls are "
                f"served for {left} more day(s) of grace. Install a renewed license."
            ),
            effective_now=at,
            clock_behind=behind,
            grace_days_left=left,
            license_id=claims.license_id,
            expires_at=claims.expires_at,
            allowance=claims.monthly_allowance,
        )
    return LicenseState(
        status="valid",
        reason=None,
        message=f"License {claims.license_id} is valid until {_day(claims.expires_at)}.",
        effective_now=at,
        clock_behind=behind,
        license_id=claims.license_id,
        expires_at=claims.expires_at,
        allowance=claims.monthly_allowance,
    )


_RANK = {"valid": 0, "grace": 1, "refused": 2}


def evaluate_installed(
    installed: Sequence[LicenseClaims], now: datetime, high_water: datetime | None, instance_id: str
) -> LicenseState:
    """The state of the best installed license, so a renewal installed ahead of time takes over at
    its start without the current one being removed first. Ties go to the latest expiry."""
    if not installed:
        return evaluate(None, now, high_water, instance_id)
    states = [evaluate(claims, now, high_water, instance_id) for claims in installed]
    return min(
        states,
        key=lambda s: (_RANK[s.status], -(s.expires_at.timestamp() if s.expires_at else 0.0)),
    )


def next_change(installed: Sequence[LicenseClaims], at: datetime) -> datetime | None:
    """The first instant after `at` at which `evaluate_installed` may answer differently, judged at
    the effective time (status, grace days left, message; `effective_now` and `clock_behind` aside),
    or None if no later instant changes it. Lets a worker evaluate once per change, not per call."""
    changes = [moment for claims in installed if (moment := _next_change(claims, at)) is not None]
    return min(changes, default=None)


def _next_change(claims: LicenseClaims, at: datetime) -> datetime | None:
    if not claims.production_access:
        return None  # refused for as long as it is installed
    # A license bound to another instance is refused at every instant too; its boundaries below
    # only cost an extra evaluation, never a stale answer.
    if at < claims.valid_from:
        return claims.valid_from
    if at < claims.expires_at:
        return claims.expires_at
    grace_end = claims.expires_at + claims.grace_days * DAY
    if at >= grace_end:
        return None
    left = math.ceil((grace_end - at) / DAY)
    return grace_end - (left - 1) * DAY  # where the days left drop by one (or grace ends)


def install_refusal(
    claims: LicenseClaims, now: datetime, high_water: datetime | None, instance_id: str
) -> str | None:
    """Why a verified license must not be installed, or None. Refuses only what can never serve
    here (another instance, past its grace) so that renewals may be installed ahead of time."""
    state = evaluate(claims, now, high_water, instance_id)
    if state.reason in ("other_instance", "expired"):
        return state.message
    return None


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

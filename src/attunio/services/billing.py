"""Admission and metering on the request path: sandbox quota for test keys, license for live keys.

`admit` runs before the engine (it may refuse with 402 or 429 and returns headers to add);
`record` runs after a successful answer and before it is sent, so a counted call is never lost.

Which requests count. Sandbox: every request with a test key that is authenticated, well formed
and admitted (it is counted in `admit`, one short write); requests refused earlier (401, 400,
415, 413) or refused by the quota itself do not count. Live: every call that got a successful
answer (counted in `record`, committed before the answer leaves); a live call refused with 402 or
failing in the engine is not counted. Overage is never refused, only counted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import structs

from attunio.clock import Clock, iso_ms
from attunio.config import Settings
from attunio.crypto.license_file import LicenseClaims
from attunio.crypto.trust import load_vendor_trust, startup_warnings
from attunio.errors import ApiError
from attunio.services import audit
from attunio.services.access import Principal
from attunio.services.clock_mark import advance_mark, read_mark
from attunio.services.license_registry import LicenseRegistry
from attunio.services.licensing import (
    CLOCK_SKEW_TOLERANCE,
    GRACE_HEADER,
    LicenseState,
    effective_time,
    evaluate_installed,
    next_change,
)
from attunio.services.metering import UtcDay, count_live, take_sandbox, take_sandbox_many
from attunio.store import ChangeWatch, GroupCommit, Store

log = logging.getLogger("attunio.licensing")
MARK_EVERY = timedelta(seconds=60)
LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"


class Billing:
    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        trust = load_vendor_trust(settings.trust.extra_vendor_keys)
        for warning in startup_warnings(trust):
            log.warning(warning)
        self.licenses = LicenseRegistry(store, trust, clock)
        self._generation: str | None = None
        self._claims: list[LicenseClaims] = []
        self._watch = ChangeWatch(store)
        # The last evaluation and the span of effective time over which it holds (see `license_state`).
        self._state: LicenseState | None = None
        self._state_span = (datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC))
        # Start from the persisted mark so a worker started on a wound-back clock judges sandbox days
        # and expiry from the latest time any worker has seen, not from its own clock.
        self._mark: datetime | None = read_mark(store)
        self._mark_written: datetime | None = None
        self._behind_reported = False
        self._days = UtcDay()

    # -- request path ---------------------------------------------------------------------------
    def admit(self, principal: Principal, endpoint: str) -> dict[str, str]:
        now = self.clock.now()
        if principal.mode == "live":
            state = self.license_state(now)
            if state.status == "refused":
                raise ApiError("payment_required", state.message)
            if state.status == "grace":
                return {GRACE_HEADER: grace_header(state)}
            return {}
        return self._admit_sandbox(principal, now)

    def record(self, principal: Principal, endpoint: str) -> None:
        if principal.mode != "live":
            return  # sandbox requests were counted when admitted
        with self.store.write(counters_only=True):
            self._count_live(principal, endpoint, self.clock.now())

    # The request path's forms of `admit` and `record`: the same writes, in a transaction shared
    # with the other requests that reach theirs in the same event-loop turn (`GroupCommit`), and
    # each caller resumes only once that transaction is committed. The calls of one turn that count
    # on the same row (one app's sandbox day; one key's endpoint and day) are merged into one
    # statement that counts them all, each still getting its own number.
    async def admit_grouped(self, group: GroupCommit, principal: Principal, endpoint: str) -> dict[str, str]:
        now = self.clock.now()
        if principal.mode == "live":
            return self.admit(principal, endpoint)  # reads only: nothing to commit
        at = effective_time(now, self._mark)
        app_id, day, quota = principal.app_id, self._days.day(at), self.settings.billing.sandbox_daily_quota

        def take(_conn: Any, n: int) -> list[int | None]:
            served = take_sandbox_many(self.store, app_id, day, quota, n)
            self._advance(now)
            return served

        served: int | None = await group.submit_merged(("sandbox", app_id, day), take)
        return self._sandbox_headers(served, at)

    def record_grouped(self, group: GroupCommit, principal: Principal, endpoint: str) -> asyncio.Future[None] | None:
        """The live call's count, to await before answering; None for a sandbox call (counted at
        admission). A future rather than a coroutine: one object less per call on the hot path."""
        if principal.mode != "live":
            return None
        now = self.clock.now()
        app_id, key_id, day = principal.app_id, principal.key_id, self._days.day(effective_time(now, self._mark))

        def count(_conn: Any, n: int) -> list[None]:
            count_live(self.store, app_id, key_id, endpoint, day, n)
            self._advance(now)
            return [None] * n

        return group.submit_merged(("live", app_id, key_id, endpoint, day), count)

    def _count_live(self, principal: Principal, endpoint: str, now: datetime) -> None:
        """Caller holds the write transaction."""
        day = self._days.day(effective_time(now, self._mark))
        count_live(self.store, principal.app_id, principal.key_id, endpoint, day)
        self._advance(now)

    def _take_sandbox(self, principal: Principal, at: datetime, now: datetime) -> int | None:
        """Caller holds the write transaction."""
        quota = self.settings.billing.sandbox_daily_quota
        served = take_sandbox(self.store, principal.app_id, self._days.day(at), quota)
        self._advance(now)
        return served

    def _admit_sandbox(self, principal: Principal, now: datetime) -> dict[str, str]:
        at = effective_time(now, self._mark)
        with self.store.write(counters_only=True):
            served = self._take_sandbox(principal, at, now)
        return self._sandbox_headers(served, at)

    def _sandbox_headers(self, served: int | None, at: datetime) -> dict[str, str]:
        quota = self.settings.billing.sandbox_daily_quota
        reset = self._days.seconds_left(at)
        headers = {
            LIMIT_HEADER: str(quota),
            REMAINING_HEADER: str(quota - served if served is not None else 0),
            RESET_HEADER: str(reset),
        }
        if served is None:
            raise ApiError(
                "rate_limited",
                f"Daily sandbox quota of {quota} requests for this app is used up; it resets at 00:00 UTC. "
                "Live keys with a license are not limited.",
                headers={**headers, "Retry-After": str(reset)},
            )
        return headers

    def _advance(self, now: datetime) -> None:
        """Raise the persisted mark at most once a minute per worker; caller holds the write."""
        if self._mark_written is None or now - self._mark_written >= MARK_EVERY:
            advance_mark(self.store, now)
            self._mark_written = now
            if self._mark is None or now > self._mark:
                self._mark = now

    # -- license state --------------------------------------------------------------------------
    def license_state(self, now: datetime | None = None) -> LicenseState:
        """The live-call verdict, as current as reading and evaluating the licenses on every call.

        The licenses and the persisted clock mark are re-read only when the store changed
        (`ChangeWatch`: an install, or another worker raising the mark), and the evaluation is
        reused while the effective time stays within the span over which it cannot change (up to
        the next validity start, expiry or grace-day boundary of any installed license).
        """
        now = self.clock.now() if now is None else now
        if not self._watch.unchanged():
            generation, mark = self.licenses.generation_and_mark()
            if generation != self._generation:
                self._claims = [v.claims for v in self.licenses.installed()]
                self._generation = generation
                self._state = None
            if mark is not None and (self._mark is None or mark > self._mark):
                self._mark = mark
        at = effective_time(now, self._mark)
        behind = self._mark is not None and self._mark - now > CLOCK_SKEW_TOLERANCE
        cached, (start, end) = self._state, self._state_span
        if cached is not None and start <= at < end and cached.clock_behind == behind:
            state = structs.replace(cached, effective_now=at)
        else:
            state = evaluate_installed(self._claims, now, self._mark, self.licenses.instance_id)
            until = next_change(self._claims, at)
            self._state, self._state_span = state, (at, datetime.max.replace(tzinfo=UTC) if until is None else until)
        if state.clock_behind and not self._behind_reported:
            self._report_clock_behind(now)
        self._behind_reported = state.clock_behind
        return state

    def _report_clock_behind(self, now: datetime) -> None:
        mark = iso_ms(self._mark) if self._mark else ""
        log.warning("system clock %s is more than an hour behind the high-water mark %s", iso_ms(now), mark)
        with self.store.write():
            audit.record(
                self.store,
                self.clock,
                actor="system",
                action="clock.behind",
                object_type="instance",
                object_id=self.licenses.instance_id,
                detail={"now": iso_ms(now), "high_water": mark},
            )


def grace_header(state: LicenseState) -> str:
    expired = state.expires_at.strftime("%Y-%m-%d") if state.expires_at else "unknown"
    return f'grace; days-left={state.grace_days_left}; expired={expired}; license="{state.license_id}"'


def license_report(state: LicenseState) -> tuple[dict[str, Any], list[str]]:
    """What `/readyz` shows: the state and its reason, never the licensee or any signature."""
    info: dict[str, Any] = {"status": state.status}
    if state.reason:
        info["reason"] = state.reason
    if state.expires_at:
        info["expiresAt"] = iso_ms(state.expires_at)
    if state.grace_days_left is not None:
        info["graceDaysLeft"] = state.grace_days_left
    info["clockBehind"] = state.clock_behind
    warnings = []
    if state.status == "grace":
        warnings.append(f"license in grace period: {state.grace_days_left} day(s) left; install a renewal")
    if state.clock_behind:
        warnings.append("system clock is more than an hour behind the recorded high-water mark")
    return info, warnings

"""Admission and metering on the request path: sandbox quota for test keys, license for live keys.

`Billing.admit` gives a verdict before a call is answered (`SandboxAdmitted`, `QuotaUsedUp`,
`LiveAdmitted`, `LiveRefused`; a sandbox call's once its write is committed, while the engine runs);
the HTTP layer decides what status and headers each becomes.
`record` runs after a successful answer and before it is sent, so a counted call is never lost.

Which requests count. Sandbox: every request with a test key that is authenticated, well formed
and admitted (it is counted at admission, one short write); requests refused earlier (401, 400,
415, 413) or refused by the quota itself do not count. Live: every call that got a successful
answer (counted in `record`, committed before the answer leaves); a live call refused by the
license or failing in the engine is not counted. Overage is never refused, only counted.

Both writes join the other requests that reach theirs in the same event-loop turn in one
transaction (`GroupCommit`); calls of one turn that count on the same row (one app's sandbox day;
one key's endpoint and day) are merged into one statement, each still getting its own number.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from msgspec import Struct

from attunio.clock import Clock, iso_ms
from attunio.config import Settings
from attunio.services.licensing.evaluate import LicenseState
from attunio.services.request_path.access import Principal
from attunio.services.request_path.license_gate import HighWaterMark, LicenseGate
from attunio.services.request_path.metering import UtcDay, count_live, take_sandbox_many
from attunio.store import GroupCommit, Store
from attunio.store.group_commit import MergedWrite


class SandboxAdmitted(Struct, frozen=True):
    limit: int
    remaining: int
    reset_seconds: int
    """Whole seconds, rounded up, until the quota's UTC day ends."""


class QuotaUsedUp(Struct, frozen=True):
    limit: int
    reset_seconds: int


class LiveAdmitted(Struct, frozen=True):
    grace: LicenseState | None
    """The license's state when it is in its grace period (the caller should be warned), else None."""


class LiveRefused(Struct, frozen=True):
    state: LicenseState
    """A refused state: its `reason` and `message` say why."""


Verdict = SandboxAdmitted | QuotaUsedUp | LiveAdmitted | LiveRefused
_LIVE_ADMITTED = LiveAdmitted(grace=None)  # the common verdict, made once


class Billing:
    def __init__(self, store: Store, settings: Settings, clock: Clock, group: GroupCommit | None = None) -> None:
        self.store = store
        self.clock = clock
        self.quota = settings.billing.sandbox_daily_quota
        self.group = GroupCommit(store, counters_only=True) if group is None else group
        self.mark = HighWaterMark(store)
        self.gate = LicenseGate(store, settings, clock, self.mark)
        self.licenses = self.gate.licenses
        self._days = UtcDay()

    def license_state(self, now: datetime | None = None) -> LicenseState:
        return self.gate.state(now)

    def admit(self, principal: Principal, now: datetime) -> Verdict | asyncio.Future[Verdict]:
        """A live key's verdict from the license, at once (reads only); a test key's from the sandbox
        quota, as a future set once its write is committed. A future rather than a coroutine: a
        sandbox call then stays suspended one level less deep across the commit."""
        if principal.mode == "live":
            state = self.gate.verdict(now)
            if state.status == "refused":
                return LiveRefused(state)
            return _LIVE_ADMITTED if state.status != "grace" else LiveAdmitted(grace=state)
        at = self.mark.effective(now)
        day, reset = self._days.day_and_seconds_left(at)
        # The reset is part of what is merged, so every call's verdict carries its own instant's
        # reset: calls of a turn that straddle a second are counted as two merged writes, in order.
        key = ("sandbox", principal.app_id, day, reset)
        joined = self.group.join(key)
        if joined is not None:
            return joined
        return self.group.submit_merged(key, self._take(principal.app_id, day, reset, now))

    def _take(self, app_id: str, day: str, reset: int, now: datetime) -> MergedWrite:
        quota = self.quota

        def take(_conn: Any, n: int) -> list[Verdict]:
            served = take_sandbox_many(self.store, app_id, day, quota, n)
            self.mark.advance(now)
            # Positional: a Struct built from positional arguments skips matching keyword names.
            return [QuotaUsedUp(quota, reset) if s is None else SandboxAdmitted(quota, quota - s, reset)
                    for s in served]

        return take

    def record(self, principal: Principal, endpoint: str, now: datetime) -> asyncio.Future[None] | None:
        """The live call's count, to await before answering; None for a sandbox call (counted at
        admission). A future rather than a coroutine: one object less per call on the hot path."""
        if principal.mode != "live":
            return None
        app_id, key_id, day = principal.app_id, principal.key_id, self._days.day(self.mark.effective(now))
        key = ("live", app_id, key_id, endpoint, day)
        joined = self.group.join(key)
        if joined is not None:
            return joined
        return self.group.submit_merged(key, self._count(app_id, key_id, endpoint, day, now))

    def _count(self, app_id: str, key_id: str, endpoint: str, day: str, now: datetime) -> MergedWrite:
        def count(_conn: Any, n: int) -> list[None]:
            count_live(self.store, app_id, key_id, endpoint, day, n)
            self.mark.advance(now)
            return [None] * n

        return count


def license_report(state: LicenseState) -> tuple[dict[str, Any], list[str]]:
    """What `/readyz` and a live key's `/v1/ping` show: the state and its reason, never the licensee
    or any signature."""
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

"""Whether live keys are served: the installed licenses judged at the appliance's effective time.

`LicenseGate.state` is as current as reading and evaluating the licenses on every call, without
doing so: the licenses and the persisted clock mark are re-read only when the store changed
(`ChangeWatch`: an install, or another worker raising the mark), and an evaluation is reused while
the effective time stays within the span over which it cannot change.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from msgspec import structs

from attunio.clock import Clock, iso_ms
from attunio.config import Settings
from attunio.crypto.license_file import LicenseClaims
from attunio.crypto.trust import load_vendor_trust, startup_warnings
from attunio.services.licensing.clock_mark import advance_mark, read_mark
from attunio.services.licensing.evaluate import (
    CLOCK_SKEW_TOLERANCE,
    LicenseState,
    effective_time,
    evaluate_installed,
    next_change,
)
from attunio.services.licensing.registry import LicenseRegistry
from attunio.services.operations import audit
from attunio.store import ChangeWatch, Store

log = logging.getLogger("attunio.licensing")
MARK_EVERY = timedelta(seconds=60)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class HighWaterMark:
    """This worker's view of the persisted clock mark: the latest time any worker has seen, so a
    clock wound back never makes an expired license current again or reopens a sandbox day."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Start from the persisted mark so a worker started on a wound-back clock judges from it.
        self.value: datetime | None = read_mark(store)
        self._written: datetime | None = None

    def effective(self, now: datetime) -> datetime:
        return effective_time(now, self.value)

    def raise_to(self, mark: datetime | None) -> None:
        if mark is not None and (self.value is None or mark > self.value):
            self.value = mark

    def advance(self, now: datetime) -> None:
        """Persist `now` as the mark at most once a minute per worker; caller holds the write."""
        if self._written is None or now - self._written >= MARK_EVERY:
            advance_mark(self.store, now)
            self._written = now
            self.raise_to(now)


class LicenseGate:
    def __init__(self, store: Store, settings: Settings, clock: Clock, mark: HighWaterMark) -> None:
        self.store = store
        self.clock = clock
        self.mark = mark
        trust = load_vendor_trust(settings.trust.extra_vendor_keys)
        for warning in startup_warnings(trust):
            log.warning(warning)
        self.licenses = LicenseRegistry(store, trust, clock)
        self._generation: str | None = None
        self._claims: list[LicenseClaims] = []
        self._watch = ChangeWatch(store)
        # The last evaluation and the span of effective time over which it holds.
        self._state: LicenseState | None = None
        self._state_span = (_EARLIEST, _EARLIEST)
        self._behind_reported = False

    def state(self, now: datetime | None = None) -> LicenseState:
        """The state at `now` (the clock's if not given), `effective_now` exact."""
        now = self.clock.now() if now is None else now
        state = self.verdict(now)
        at = self.mark.effective(now)
        return state if state.effective_now == at else structs.replace(state, effective_now=at)

    def verdict(self, now: datetime) -> LicenseState:
        """The state at `now` for admitting a call: its `effective_now` may be the start of the span
        the verdict holds over, which saves copying the state on every live call."""
        if not self._watch.unchanged():
            generation, mark = self.licenses.generation_and_mark()
            if generation != self._generation:
                self._claims = [v.claims for v in self.licenses.installed()]
                self._generation = generation
                self._state = None
            self.mark.raise_to(mark)
        high_water = self.mark.value
        at = effective_time(now, high_water)
        behind = high_water is not None and high_water - now > CLOCK_SKEW_TOLERANCE
        cached, (start, end) = self._state, self._state_span
        if cached is not None and start <= at < end and cached.clock_behind == behind:
            state = cached
        else:
            state = evaluate_installed(self._claims, now, high_water, self.licenses.instance_id)
            until = next_change(self._claims, at)
            self._state, self._state_span = state, (at, _LATEST if until is None else until)
        if state.clock_behind and not self._behind_reported:
            self._report_clock_behind(now)
        self._behind_reported = state.clock_behind
        return state

    def _report_clock_behind(self, now: datetime) -> None:
        mark = iso_ms(self.mark.value) if self.mark.value else ""
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

"""Time comes from a Clock passed in, so tests can move it and engines never read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from attunio.utc import iso_ms as iso_ms  # noqa: PLC0414  # the one timestamp form, re-exported


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)



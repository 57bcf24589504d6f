"""Time comes from a Clock passed in, so tests can move it and engines never read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def iso_ms(moment: datetime) -> str:
    """UTC, milliseconds, `Z`: the one timestamp form the API and the store use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

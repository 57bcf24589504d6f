"""The one rule for instants: the contract speaks only UTC, and a naive datetime is read as UTC.

Pure (standard library only) so that the engines, which may import nothing outside themselves but
this, and the rest of the appliance format every timestamp the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is read as UTC, never as the host's local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_ms(moment: datetime) -> str:
    """UTC, millisecond precision, `Z` suffix: `2026-05-15T00:00:00.000Z`."""
    utc = as_utc(moment)
    if type(utc) is datetime and utc.year >= 1000:
        # `isoformat` truncates to milliseconds as `microsecond // 1000` does, and `as_utc` leaves
        # the offset written as `+00:00`; strftime is several times slower and, for years before
        # 1000, pads `%Y` differently from platform to platform, so those keep the strftime text.
        return utc.isoformat(timespec="milliseconds")[:-6] + "Z"
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"

"""The persisted high-water mark of the clock: the latest time the appliance has ever seen.

License expiry is judged against the later of the wall clock and this mark, so winding the system
clock back never extends a license. Stored as an `iso_ms` string, whose text order is time order.
"""

from __future__ import annotations

from datetime import datetime

from attunio.clock import iso_ms
from attunio.services.instance import get_setting
from attunio.store import Store

HIGH_WATER = "clock_high_water"


def parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def read_mark(store: Store) -> datetime | None:
    return parse(get_setting(store, HIGH_WATER))


def advance_mark(store: Store, now: datetime) -> None:
    """Raise the mark to `now` if it is later; never lowers it. Caller holds the write transaction."""
    store.conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE excluded.value > settings.value",
        (HIGH_WATER, iso_ms(now)),
    )

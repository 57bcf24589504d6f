"""Usage counters in the store: the sandbox quota and the live-call meter, one UTC day per row.

Each counter is one UPSERT inside the caller's write transaction (BEGIN IMMEDIATE), so concurrent
workers serialise on the database lock and no increment is lost or double-counted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from msgspec import Struct

from attunio.store import Store


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()  # `2026-05-15`; isoformat is the cheap spelling


def _utc_midnight(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, utc.day, tzinfo=UTC)


def _whole_seconds_until(end: datetime, moment: datetime) -> int:
    return max(1, int((end - moment).total_seconds() + 0.999))  # rounded up, never 0


def seconds_to_next_utc_day(moment: datetime) -> int:
    return _whole_seconds_until(_utc_midnight(moment) + timedelta(days=1), moment)


class UtcDay:
    """`utc_day` and `seconds_to_next_utc_day` for a stream of instants that mostly share a day, as
    the request path's are: the day's text and its end are worked out once a day, and each instant
    is then only compared with that day's bounds."""

    def __init__(self) -> None:
        self._start = self._end = datetime.min.replace(tzinfo=UTC)
        self._text = ""

    def _bounds(self, moment: datetime) -> None:
        if not self._start <= moment < self._end:
            self._start = _utc_midnight(moment)
            self._end = self._start + timedelta(days=1)
            self._text = utc_day(moment)

    def day(self, moment: datetime) -> str:
        self._bounds(moment)
        return self._text

    def seconds_left(self, moment: datetime) -> int:
        self._bounds(moment)
        return _whole_seconds_until(self._end, moment)

    def day_and_seconds_left(self, moment: datetime) -> tuple[str, int]:
        """Both at once, as a sandbox admission needs them: the bounds are checked once, inline."""
        if not self._start <= moment < self._end:
            self._bounds(moment)
        return self._text, _whole_seconds_until(self._end, moment)


_SANDBOX_ROW = "SELECT count FROM sandbox_daily WHERE app_id = ? AND day = ?"
_SANDBOX_ADD_IF_FITS = (
    "INSERT INTO sandbox_daily (app_id, day, count) VALUES (?, ?, ?)"
    " ON CONFLICT(app_id, day) DO UPDATE SET count = sandbox_daily.count + excluded.count"
    " WHERE sandbox_daily.count + excluded.count <= ? RETURNING count"
)


def take_sandbox(store: Store, app_id: str, day: str, quota: int) -> int | None:
    """Count one sandbox request; its number that day, or None when the quota is already used.

    The conditional UPSERT leaves the counter at the quota once reached, so refused requests do not
    count and the counter equals the number of requests served."""
    row = store.conn.execute(
        "INSERT INTO sandbox_daily (app_id, day, count) VALUES (?, ?, 1)"
        " ON CONFLICT(app_id, day) DO UPDATE SET count = sandbox_daily.count + 1 WHERE sandbox_daily.count < ?"
        " RETURNING count",
        (app_id, day, quota),
    ).fetchone()
    return None if row is None else int(row[0])


def take_sandbox_many(store: Store, app_id: str, day: str, quota: int, n: int) -> list[int | None]:
    """`take_sandbox` for `n` requests in a row: each one's number that day, in order, and None for
    each past the quota. Caller holds the write transaction (BEGIN IMMEDIATE; on PostgreSQL the row
    is locked), so no other worker can count between the read and the increment."""
    if n == 1:
        return [take_sandbox(store, app_id, day, quota)]
    if n <= quota:
        # The usual batch fits under the quota whole: one UPSERT counts it and its new count gives
        # every number; it changes nothing (no row returned) when the batch would cross the quota.
        fits = store.conn.execute(_SANDBOX_ADD_IF_FITS, (app_id, day, n, quota)).fetchone()
        if fits is not None:
            first = int(fits[0]) - n + 1
            numbers: list[int | None] = list(range(first, first + n))
            return numbers
    row = store.conn.execute(store.for_update(_SANDBOX_ROW), (app_id, day)).fetchone()
    if row is None and store.dialect == "postgres":
        # Replicas do not share a write lock: the row must exist before it can be locked.
        store.conn.execute("INSERT INTO sandbox_daily (app_id, day, count) VALUES (?, ?, 0)"
                           " ON CONFLICT(app_id, day) DO NOTHING", (app_id, day))
        row = store.conn.execute(store.for_update(_SANDBOX_ROW), (app_id, day)).fetchone()
    before = 0 if row is None else int(row[0])
    admitted = max(0, min(n, quota - before))
    if admitted:
        store.conn.execute(
            "INSERT INTO sandbox_daily (app_id, day, count) VALUES (?, ?, ?)"
            " ON CONFLICT(app_id, day) DO UPDATE SET count = sandbox_daily.count + excluded.count",
            (app_id, day, admitted),
        )
    return [before + i if i <= admitted else None for i in range(1, n + 1)]


def sandbox_used(store: Store, app_id: str, day: str) -> int:
    row = store.one("SELECT count FROM sandbox_daily WHERE app_id = ? AND day = ?", (app_id, day))
    return 0 if row is None else int(row[0])


def count_live(store: Store, app_id: str, key_id: str, endpoint: str, day: str, n: int = 1) -> None:
    """Add `n` answered live calls to the day's meter; caller holds the write transaction."""
    store.conn.execute(
        "INSERT INTO usage_daily (app_id, key_id, endpoint, day, count) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(app_id, key_id, endpoint, day) DO UPDATE SET count = usage_daily.count + excluded.count",
        (app_id, key_id, endpoint, day, n),
    )


class UsageRow(Struct, frozen=True, kw_only=True):
    app_id: str
    key_id: str
    endpoint: str
    day: str
    count: int


class MonthUsage(Struct, frozen=True, kw_only=True):
    month: str
    rows: list[UsageRow]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)

    def by_day(self) -> dict[str, int]:
        return _sum_by(self.rows, "day")

    def by_endpoint(self) -> dict[str, int]:
        return _sum_by(self.rows, "endpoint")

    def by_app(self) -> dict[str, int]:
        return _sum_by(self.rows, "app_id")

    def by_day_and_endpoint(self) -> dict[str, dict[str, int]]:
        days: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in self.rows:
            days[row.day][row.endpoint] += row.count
        return {day: dict(sorted(counts.items())) for day, counts in sorted(days.items())}


def _sum_by(rows: list[UsageRow], field: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[getattr(row, field)] += row.count
    return dict(sorted(totals.items()))


def month_usage(store: Store, month: str) -> MonthUsage:
    rows = store.query(
        "SELECT app_id, key_id, endpoint, day, count FROM usage_daily WHERE day >= ? AND day < ?"
        " ORDER BY day, app_id, key_id, endpoint",
        (f"{month}-01", f"{month}-32"),
    )
    return MonthUsage(
        month=month,
        rows=[UsageRow(app_id=r[0], key_id=r[1], endpoint=r[2], day=r[3], count=int(r[4])) for r in rows],
    )


def sandbox_month(store: Store, month: str) -> dict[str, int]:
    """Sandbox (test key) requests served per UTC day of `month` (YYYY-MM), every app together."""
    rows = store.query("SELECT day, sum(count) FROM sandbox_daily WHERE day >= ? AND day < ? GROUP BY day"
                       " ORDER BY day", (f"{month}-01", f"{month}-32"))
    return {str(day): int(count) for day, count in rows}

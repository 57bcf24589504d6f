"""The persisted high-water mark of the clock: the latest time the appliance has ever seen.

License expiry is judged against the later of the wall clock and this mark, so winding the system
clock back never extends a license. Stored as an `iso_ms` string, whose text order is time order.

A mark only ever rises, so one wrong reading would count for good: a command run once under a
clock set years ahead would leave every license judged expired. So a reading more than
MAX_JUMP ahead of the mark (or, before there is one, of the latest audit event) does not raise
it: the reading is held (`clock_jump_held`, audited once as `clock.jump_held`) until an operator
confirms the clock (`attunio clock confirm`). Holding costs nothing while the clock is right,
since expiry uses the later of the wall clock and the mark. A mark already raised by a wrong
clock can be lowered to the present by an operator, with a reason, audited (`attunio clock
lower`). Design choice: MAX_JUMP of 7 days is longer than an appliance is usually switched off
(a long weekend, a holiday shutdown) and far shorter than any license term.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from attunio.clock import iso_ms
from attunio.refusals import InvalidInput
from attunio.services.operations import audit
from attunio.services.operations.instance import get_setting
from attunio.store import Store

HIGH_WATER = "clock_high_water"
HELD = "clock_jump_held"
MAX_JUMP = timedelta(days=7)
SYSTEM_ACTOR = "system"


class ClockMarkError(InvalidInput):
    """An operator's change to the mark that is not allowed; the message says why."""


class _At:
    """The clock of an audit event recorded by the mark itself: the reading being judged."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def read_mark(store: Store) -> datetime | None:
    return parse(get_setting(store, HIGH_WATER))


def read_held(store: Store) -> datetime | None:
    return parse(get_setting(store, HELD))


def _reference(store: Store, mark: datetime | None) -> datetime | None:
    if mark is not None:
        return mark
    row = store.one("SELECT max(at) FROM audit")
    return parse(row[0]) if row is not None and row[0] else None


def _put(store: Store, key: str, value: datetime) -> None:
    store.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, iso_ms(value)))


def advance_mark(store: Store, now: datetime) -> bool:
    """Raise the mark to `now` if it is later; never lowers it. A reading too far ahead is held
    instead, and False returned. Caller holds the write transaction."""
    store.serialise()  # two replicas raising it at once must not lower it
    mark = read_mark(store)
    reference = _reference(store, mark)
    if reference is not None and now - reference > MAX_JUMP:
        first = read_held(store) is None
        _put(store, HELD, now)
        if first:
            audit.record(store, _At(now), actor=SYSTEM_ACTOR, action="clock.jump_held", object_type="clock",
                         object_id=HIGH_WATER, detail={"mark": iso_ms(reference), "reading": iso_ms(now)})
        return False
    if mark is None or now > mark:
        _put(store, HIGH_WATER, now)
    return True


def confirm(store: Store, now: datetime, *, actor: str, reason: str) -> datetime:
    """The operator vouches that the wall clock is right: the mark jumps to it. Caller holds the write."""
    store.serialise()
    mark = read_mark(store)
    if mark is not None and now <= mark:
        raise ClockMarkError(f"the clock ({iso_ms(now)}) is not ahead of the mark ({iso_ms(mark)}); nothing to confirm")
    _put(store, HIGH_WATER, now)
    store.conn.execute("DELETE FROM settings WHERE key = ?", (HELD,))
    audit.record(store, _At(now), actor=actor, action="clock.confirm", object_type="clock", object_id=HIGH_WATER,
                 reason=reason, detail={"from": iso_ms(mark) if mark else None, "to": iso_ms(now)})
    return now


def lower(store: Store, now: datetime, *, actor: str, reason: str) -> datetime:
    """Lower a mark that a wrong clock set in the future back to the present wall clock: never
    below it, so setting the clock back still cannot extend a license. Caller holds the write."""
    if not reason.strip():
        raise ClockMarkError("lowering the clock mark needs a reason (--reason): it is recorded in the audit trail")
    store.serialise()
    mark = read_mark(store)
    if mark is None or mark <= now:
        raise ClockMarkError("the mark is not ahead of the clock; there is nothing to lower")
    _put(store, HIGH_WATER, now)
    store.conn.execute("DELETE FROM settings WHERE key = ?", (HELD,))
    audit.record(store, _At(now), actor=actor, action="clock.lower", object_type="clock", object_id=HIGH_WATER,
                 reason=reason, detail={"from": iso_ms(mark), "to": iso_ms(now)})
    return now


def keep_later(store: Store, other: datetime | None) -> bool:
    """After a restore: the mark is the later of the restored one and `other` (the replaced
    store's). True if `other` was kept. Caller holds the write transaction."""
    store.serialise()
    mark = read_mark(store)
    if other is None or (mark is not None and mark >= other):
        return False
    _put(store, HIGH_WATER, other)
    return True

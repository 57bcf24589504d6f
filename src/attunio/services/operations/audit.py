"""The audit trail: every admin action, hash-chained, written in the same transaction as the change.

Each event's hash covers the previous hash and the event's own canonical JSON, so an edited,
deleted or reordered event breaks the chain at the first bad one. No secret is ever recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import msgspec

from attunio.clock import Clock, iso_ms
from attunio.services.operations.instance import get_setting, put_setting
from attunio.store import Store

GENESIS = "0" * 64
# The last event's `seq:hash`, updated with every event: a chain alone cannot show that its newest
# events were cut off, the head kept beside it can.
HEAD_SETTING = "audit_head"
FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "reason", "detail")


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def _digest(prev_hash: str, event: dict[str, Any]) -> str:
    canonical = json.dumps({k: event[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(
    store: Store,
    clock: Clock,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one event. The caller holds the write transaction, so the event and the change
    commit together, and if this fails the action fails. Appends are serialised across processes
    (and replicas), so the chain stays one line."""
    store.serialise()
    last = store.one("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
    seq, prev_hash = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
    event = {
        "seq": seq,
        "at": iso_ms(clock.now()),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "reason": reason,
        "detail": detail or {},
    }
    digest = _digest(prev_hash, event)
    store.conn.execute(
        "INSERT INTO audit (seq, at, actor, action, object_type, object_id, reason, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*(event[k] for k in FIELDS[:-1]), json.dumps(event["detail"], sort_keys=True), prev_hash, digest),
    )
    put_setting(store, HEAD_SETTING, f"{seq}:{digest}")
    return seq


def events(store: Store, since: str | None = None) -> Iterator[AuditEvent]:
    sql = "SELECT seq, at, actor, action, object_type, object_id, reason, detail, prev_hash, hash FROM audit"
    params: tuple[Any, ...] = ()
    if since:
        sql += " WHERE at >= ?"
        params = (since,)
    for row in store.conn.execute(sql + " ORDER BY seq", params):
        yield AuditEvent(
            seq=row[0], at=row[1], actor=row[2], action=row[3], object_type=row[4], object_id=row[5],
            reason=row[6], detail=json.loads(row[7]), prev_hash=row[8], hash=row[9],
        )


def verify(store: Store) -> tuple[int, str | None]:
    """(events checked, description of the first bad event or None when the chain holds)."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for event in events(store):
        count += 1
        if event.seq != expected_seq:
            return count, f"event {event.seq}: expected sequence {expected_seq} (an event was deleted or moved)"
        if event.prev_hash != prev_hash:
            return count, f"event {event.seq}: does not follow the event before it (deleted or reordered)"
        if _digest(prev_hash, msgspec.structs.asdict(event)) != event.hash:
            return count, f"event {event.seq}: contents do not match its hash (edited)"
        prev_hash, expected_seq = event.hash, expected_seq + 1
    head = get_setting(store, HEAD_SETTING)
    if head is not None and head != f"{expected_seq - 1}:{prev_hash}":
        recorded = head.split(":", 1)[0]
        return count, (f"the trail ends at event {expected_seq - 1} but event {recorded} was recorded "
                       "(newest events deleted or replaced)")
    return count, None

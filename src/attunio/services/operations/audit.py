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


class ChainCheck(msgspec.Struct, frozen=True, kw_only=True):
    events: int
    """Events checked (up to and including the first bad one)."""
    first_bad: int | None
    """Sequence number of the first bad event (for cut-off newest events, the last one recorded)."""
    problem: str | None


def check(store: Store) -> ChainCheck:
    """Walk the chain from the start; the first edited, deleted, reordered or cut-off event."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for event in events(store):
        count += 1
        problem = None
        if event.seq != expected_seq:
            problem = f"event {event.seq}: expected sequence {expected_seq} (an event was deleted or moved)"
        elif event.prev_hash != prev_hash:
            problem = f"event {event.seq}: does not follow the event before it (deleted or reordered)"
        elif _digest(prev_hash, msgspec.structs.asdict(event)) != event.hash:
            problem = f"event {event.seq}: contents do not match its hash (edited)"
        if problem is not None:
            return ChainCheck(events=count, first_bad=event.seq, problem=problem)
        prev_hash, expected_seq = event.hash, expected_seq + 1
    head = get_setting(store, HEAD_SETTING)
    if head is not None and head != f"{expected_seq - 1}:{prev_hash}":
        recorded = head.split(":", 1)[0]
        return ChainCheck(events=count, first_bad=int(recorded) if recorded.isdigit() else None,
                          problem=f"the trail ends at event {expected_seq - 1} but event {recorded} was recorded "
                                  "(newest events deleted or replaced)")
    return ChainCheck(events=count, first_bad=None, problem=None)


def verify(store: Store) -> tuple[int, str | None]:
    """(events checked, description of the first bad event or None when the chain holds)."""
    result = check(store)
    return result.events, result.problem


def search(store: Store, *, since: str | None = None, until: str | None = None, actor: str | None = None,
           action: str | None = None, before: int | None = None, limit: int = 100) -> list[AuditEvent]:
    """Newest first: events at or after `since` and before `until` (stored UTC text, which sorts
    in time order), whose actor contains `actor`, whose action is `action` or under it (`key`
    matches `key.revoke`), with a sequence number below `before`."""
    clauses, params = ["1 = 1"], list[Any]()
    for clause, value in (("at >= ?", since), ("at < ?", until), ("instr(actor, ?) > 0", actor),
                          ("seq < ?", before)):
        if value is not None and value != "":
            clauses.append(clause)
            params.append(value)
    if action:
        clauses.append("(action = ? OR substr(action, 1, ?) = ?)")
        params += [action, len(action) + 1, action + "."]
    sql = ("SELECT seq, at, actor, action, object_type, object_id, reason, detail, prev_hash, hash FROM audit"
           f" WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?")
    return [AuditEvent(seq=r[0], at=r[1], actor=r[2], action=r[3], object_type=r[4], object_id=r[5], reason=r[6],
                       detail=json.loads(r[7]), prev_hash=r[8], hash=r[9])
            for r in store.query(sql, (*params, limit))]


_line = msgspec.json.Encoder().encode


def export_lines(store: Store, since: str | None = None, until: str | None = None) -> Iterator[bytes]:
    """Events at or after `since` and before `until`, oldest first, one JSON line each (for a SIEM)."""
    for event in events(store, since):
        if until is not None and event.at >= until:
            continue
        yield _line(event) + b"\n"

from __future__ import annotations

from attunio.clock import SystemClock
from attunio.services.operations import audit
from attunio.services.request_path.access import AccessService
from attunio.store import Store


def _three_events(store: Store) -> None:
    access = AccessService(store, SystemClock())
    access.create_app("A", actor="t")
    access.create_app("B", actor="t")
    access.create_app("C", actor="t")


def test_intact_chain_verifies(store: Store) -> None:
    _three_events(store)
    assert audit.verify(store) == (3, None)


def test_edited_field_is_named(store: Store) -> None:
    _three_events(store)
    with store.write():
        store.conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    assert "event 2" in (audit.verify(store)[1] or "")


def test_deleted_event_is_caught(store: Store) -> None:
    _three_events(store)
    with store.write():
        store.conn.execute("DELETE FROM audit WHERE seq = 2")
    assert "event 3" in (audit.verify(store)[1] or "")


def test_swapped_events_are_caught(store: Store) -> None:
    _three_events(store)
    with store.write():
        store.conn.execute("UPDATE audit SET seq = -1 WHERE seq = 1")
        store.conn.execute("UPDATE audit SET seq = 1 WHERE seq = 2")
        store.conn.execute("UPDATE audit SET seq = 2 WHERE seq = -1")
    problem = audit.verify(store)[1]
    assert problem is not None and "event 1" in problem


def test_deleted_newest_events_are_caught(store: Store) -> None:
    _three_events(store)
    with store.write():
        store.conn.execute("DELETE FROM audit WHERE seq = 3")
    problem = audit.verify(store)[1]
    assert problem is not None and "ends at event 2 but event 3 was recorded" in problem


def test_a_replaced_newest_event_is_caught(store: Store) -> None:
    _three_events(store)
    with store.write():
        store.conn.execute("DELETE FROM audit WHERE seq = 3")
    AccessService(store, SystemClock()).create_app("D", actor="t")  # seq 3 again, a different event
    with store.write():
        store.conn.execute("UPDATE settings SET value = '3:' || (SELECT hash FROM audit WHERE seq = 2)"
                           " WHERE key = 'audit_head'")
    assert "event 3" in (audit.verify(store)[1] or "")

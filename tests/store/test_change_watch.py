"""Per-worker caches (keys, licenses, models) must be exactly as current as a read on every request.

A second `Store` on the same file is a second connection, as another worker or an `attunio` command
has. The caches may only skip their read while `Store.change_token()` is unchanged. On PostgreSQL
the second `Store` is another replica: its changes reach this one by NOTIFY, within one second
(`eventually`), and this process's own changes are seen at once, as on the file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.billing_helpers import FakeClock, license_bytes, trust_env, write_public_key
from tests.conftest import init_store, make_settings

from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.services.request_path.access import AccessService
from attunio.services.request_path.billing import Billing
from attunio.store import Store

VENDOR = Ed25519PrivateKey.generate()
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STALE_AT_MOST = 1.0  # seconds another replica's change may take to reach this one's caches (PostgreSQL)


def eventually(backend: str, check: Callable[[], bool]) -> bool:
    """On the file `check()` must hold at once; on PostgreSQL within STALE_AT_MOST."""
    if backend == "sqlite":
        return check()
    deadline = time.monotonic() + STALE_AT_MOST
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def settle(store: Store, backend: str) -> None:
    """On PostgreSQL, until the other replica's notifications already sent have all arrived."""
    if backend == "postgres":
        before = None
        while (token := store.change_token()) != before:
            before = token
            time.sleep(0.2)


def upsert_probe(target: Store, value: str) -> None:
    target.conn.execute("INSERT INTO settings (key, value) VALUES ('probe', ?)"
                        " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (value,))


@pytest.fixture
def other(settings: Settings, store: Store) -> Iterator[Store]:
    second = Store.open(settings)
    second.serving()
    yield second
    second.close()


def statements(store: Store) -> list[str]:
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    return seen


def test_the_token_moves_on_any_commit_but_this_connections_counter_writes(
    store: Store, other: Store, backend: str
) -> None:
    def put(target: Store, value: str, *, counters_only: bool = False) -> None:
        with target.write(counters_only=counters_only):
            upsert_probe(target, value)

    settle(store, backend)  # the notifications of opening `other` may still be on their way
    token = store.change_token()
    put(store, "1", counters_only=True)
    assert store.change_token() == token  # our own metering: the caches keep serving
    put(store, "2")
    moved = store.change_token()
    assert moved != token
    if backend == "sqlite":
        put(other, "3", counters_only=True)  # another worker's metering: it may also hold other changes
        assert store.change_token() != moved
    else:
        put(other, "3", counters_only=True)  # another replica's metering notifies no one
        put(other, "4")  # its admin change does
        assert eventually(backend, lambda: store.change_token() != moved)


def test_a_key_revoked_by_another_process_is_refused_on_the_next_request(
    store: Store, other: Store, backend: str
) -> None:
    worker = AccessService(store, SystemClock())
    admin = AccessService(other, SystemClock())
    admin.create_app("Ward", actor="test")
    record, key = admin.create_key("Ward", "secret", "live", actor="test")  # created elsewhere: found
    assert worker.authenticate(key) is not None
    settle(store, backend)
    assert worker.authenticate(key) is not None
    seen = statements(store)
    assert worker.authenticate(key) is not None
    assert not any("api_keys" in sql for sql in seen)  # served from memory while nothing changed
    admin.revoke_key(record.id, actor="test")
    assert eventually(backend, lambda: worker.authenticate(key) is None)
    assert any("api_keys" in sql for sql in seen)


def test_a_key_revoked_in_the_same_process_is_refused_on_the_next_request(store: Store) -> None:
    access = AccessService(store, SystemClock())
    access.create_app("Ward", actor="test")
    record, key = access.create_key("Ward", "secret", "test", actor="test")
    assert access.authenticate(key) is not None
    access.touch({record.id: "2026-06-01T00:00:00.000Z"})  # a counter write keeps the cache
    assert access.authenticate(key) is not None
    access.revoke_key(record.id, actor="test")
    assert access.authenticate(key) is None


def test_a_license_installed_by_another_process_serves_the_next_live_call(
    tmp_path: Path, backend: str, backend_env: dict[str, str]
) -> None:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    settings = make_settings(tmp_path, **trust_env(pub), **backend_env)
    store = init_store(settings)
    store.serving()
    other = Store.open(settings)
    try:
        clock = FakeClock(NOW)
        worker, admin = Billing(store, settings, clock), Billing(other, settings, clock)
        assert worker.license_state().reason == "no_license"
        assert worker.license_state().reason == "no_license"  # evaluated once, reused
        admin.licenses.install(license_bytes(VENDOR, valid_from=NOW - timedelta(days=1),
                                             expires_at=NOW + timedelta(days=1), grace_days=2), actor="test")
        assert eventually(backend, lambda: worker.license_state().status == "valid")
        clock.moment = NOW + timedelta(days=1)  # the cached verdict ends exactly at expiry
        state = worker.license_state()
        assert (state.status, state.grace_days_left, state.effective_now) == ("grace", 2, clock.moment)
        clock.moment = NOW + timedelta(days=2)
        assert worker.license_state().grace_days_left == 1
    finally:
        other.close()
        store.close()


@pytest.mark.sqlite_only
def test_requests_share_one_check_per_event_loop_turn_and_the_next_turn_sees_more(
    store: Store, other: Store
) -> None:
    def put(target: Store, value: str) -> None:
        with target.write():
            upsert_probe(target, value)

    async def turns() -> list[tuple[int, int]]:
        first = store.change_token()
        put(other, "elsewhere")
        same_turn = store.change_token()  # one PRAGMA serves every check of this turn
        put(store, "own")  # this connection's own change is always seen
        after_own = store.change_token()
        await asyncio.sleep(0)
        return [first, same_turn, after_own, store.change_token()]

    first, same_turn, after_own, next_turn = asyncio.run(turns())
    assert same_turn == first and after_own[1] != same_turn[1]
    assert next_turn[0] != first[0]  # the next turn sees the other connection's commit
    put(other, "again")
    assert store.change_token()[0] != next_turn[0]  # outside a loop every call reads


def test_the_key_cache_holds_no_key_and_no_stored_hash(store: Store) -> None:
    access = AccessService(store, SystemClock())
    access.create_app("Ward", actor="test")
    _, key = access.create_key("Ward", "secret", "live", actor="test")
    assert access.authenticate(key) is not None
    stored = store.one("SELECT hash FROM api_keys")[0]
    cached = list(access._principals)
    assert len(cached) == 1 and cached[0] not in (key.encode(), stored)
    assert key.encode() not in cached[0] and bytes(stored) != cached[0]
    # A second service (another worker) keys its cache under its own secret.
    other = AccessService(store, SystemClock())
    assert other.authenticate(key) is not None and list(other._principals) != cached


def test_near_misses_are_refused_without_error_and_never_cached(store: Store) -> None:
    access = AccessService(store, SystemClock())
    access.create_app("Ward", actor="test")
    _, key = access.create_key("Ward", "secret", "live", actor="test")
    typo = key[:20] + ("A" if key[20] != "A" else "B") + key[21:]
    for token in (typo, key[:-1], key + "x", key[:-1] + "é", "é" * len(key), ""):
        assert access.authenticate(token) is None, token
    assert access._principals == {}
    assert access.authenticate(key) is not None


@pytest.mark.postgres_only
def test_no_check_is_skipped_while_the_change_listener_is_down(store: Store, backend: str) -> None:
    """Without its LISTEN connection a replica cannot hear the others' changes: every check misses
    (the caches read on every request) until it listens again."""
    from attunio.store.pg import PgStore

    assert isinstance(store, PgStore)
    listener = store._listener
    assert listener.connected and store.change_token() == store.change_token()
    listener.connected = False  # as after a lost connection, before the thread reconnects
    try:
        assert store.change_token() != store.change_token()
    finally:
        listener.connected = True


@pytest.mark.postgres_only
def test_a_process_that_does_not_serve_never_skips_a_check(settings: Settings, store: Store) -> None:
    """A command (not `serve`) does not listen: its caches read every time."""
    command = Store.open(settings)
    try:
        assert command.change_token() != command.change_token()
    finally:
        command.close()

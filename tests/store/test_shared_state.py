"""What is per installation, not per worker or replica: the clock high-water mark and the usage meter
live in the store, so every process (on PostgreSQL every replica) sees and extends the same ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from attunio.config import Settings
from attunio.services.licensing.clock_mark import advance_mark, read_mark
from attunio.services.request_path.metering import count_live, take_sandbox_many
from attunio.store import GroupCommit, Store

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def other(settings: Settings, store: Store) -> Iterator[Store]:
    second = Store.open(settings)
    yield second
    second.close()


def test_the_clock_mark_is_one_for_the_installation_and_never_lowered(store: Store, other: Store) -> None:
    with other.write(counters_only=True):
        assert advance_mark(other, NOW + timedelta(minutes=5))
    with store.write(counters_only=True):
        advance_mark(store, NOW)  # a replica whose clock is behind: the mark stays
    assert read_mark(store) == read_mark(other) == NOW + timedelta(minutes=5)


def test_two_processes_counting_the_same_rows_lose_nothing_and_overrun_no_quota(store: Store, other: Store) -> None:
    async def count(target: Store, n: int) -> list[int | None]:
        group = GroupCommit(target, counters_only=True)

        def take(_conn: object, k: int) -> list[int | None]:
            return take_sandbox_many(target, "app", "2026-06-01", 25, k)

        def live(_conn: object, k: int) -> list[None]:
            count_live(target, "app", "key", "dmse", "2026-06-01", k)
            return [None] * k

        taken = await asyncio.gather(*(group.submit_merged("s", take) for _ in range(n)))
        await asyncio.gather(*(group.submit_merged("l", live) for _ in range(n)))
        return taken

    first = asyncio.run(count(store, 15))
    second = asyncio.run(count(other, 15))
    served = sorted(n for n in first + second if n is not None)
    assert served == list(range(1, 26))  # 30 asked, the quota of 25 served once each
    assert store.one("SELECT count FROM usage_daily WHERE app_id = 'app'")[0] == 30

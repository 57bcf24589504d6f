"""Group commit: concurrent writes share transactions, each caller resumes only after its COMMIT,
and one failing write neither loses nor poisons the others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from attunio.store import GroupCommit, Store


@pytest.fixture
def counter(store: Store) -> Store:
    with store.write() as conn:
        conn.execute("CREATE TEMP TABLE counter (name TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    return store


def bump(name: str) -> Any:
    def write(conn: Any) -> int:
        row = conn.execute("INSERT INTO counter VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET n = n + 1"
                           " RETURNING n", (name,)).fetchone()
        return int(row[0])
    return write


def test_concurrent_writes_share_one_transaction_and_all_count(counter: Store) -> None:
    group = GroupCommit(counter)

    async def main() -> list[int]:
        return await asyncio.gather(*(group.submit(bump("a")) for _ in range(50)))

    results = asyncio.run(main())
    assert sorted(results) == list(range(1, 51))
    assert counter.one("SELECT n FROM counter WHERE name = 'a'")[0] == 50
    assert group.batches == 1 and group.writes == 50


def test_caller_resumes_only_after_commit(counter: Store) -> None:
    group = GroupCommit(counter)
    seen: list[bool] = []

    async def main() -> None:
        await group.submit(bump("b"))
        seen.append(counter.conn.in_transaction)

    asyncio.run(main())
    assert seen == [False]
    assert counter.one("SELECT n FROM counter WHERE name = 'b'")[0] == 1


def test_a_failing_write_is_rolled_back_alone(counter: Store) -> None:
    group = GroupCommit(counter)

    def broken(conn: Any) -> None:
        conn.execute("UPDATE counter SET n = n + 100 WHERE name = 'c'")
        raise RuntimeError("refused")

    async def main() -> list[Any]:
        return await asyncio.gather(group.submit(bump("c")), group.submit(broken), group.submit(bump("c")),
                                    return_exceptions=True)

    first, failed, second = asyncio.run(main())
    assert (first, second) == (1, 2)
    assert isinstance(failed, RuntimeError)
    assert counter.one("SELECT n FROM counter WHERE name = 'c'")[0] == 2


def test_sequential_writes_each_commit_on_their_own(counter: Store) -> None:
    group = GroupCommit(counter)

    async def main() -> None:
        for _ in range(3):
            await group.submit(bump("d"))

    asyncio.run(main())
    assert group.batches == 3

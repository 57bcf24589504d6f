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
        row = conn.execute("INSERT INTO counter VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET n = counter.n + 1"
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


# -- merged writes: one call for the submissions of one key, each caller its own result -----------


def counted(name: str, calls: list[int]) -> Any:
    """`bump(name)` for n submissions at once: one UPSERT adding n, the numbers n single bumps give."""
    def write(conn: Any, n: int) -> list[int]:
        calls.append(n)
        after = int(conn.execute("INSERT INTO counter VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = counter.n + ?"
                                 " RETURNING n", (name, n, n)).fetchone()[0])
        return list(range(after - n + 1, after + 1))
    return write


def test_submissions_of_one_key_run_as_one_call_and_keep_their_order(counter: Store) -> None:
    group = GroupCommit(counter)
    calls: list[int] = []

    async def main() -> list[int]:
        return await asyncio.gather(*(group.submit_merged("e", counted("e", calls)) for _ in range(30)),
                                    *(group.submit_merged("f", counted("f", calls)) for _ in range(5)),
                                    group.submit(bump("g")))

    results = asyncio.run(main())
    assert results == [*range(1, 31), *range(1, 6), 1]  # the i-th submission gets the i-th number
    assert calls == [30, 5]
    assert group.batches == 1 and group.writes == 36
    assert dict(counter.query("SELECT name, n FROM counter")) == {"e": 30, "f": 5, "g": 1}


def test_joining_a_pending_merged_write_is_submitting_to_it_and_nothing_pending_is_none(counter: Store) -> None:
    group = GroupCommit(counter)
    calls: list[int] = []

    async def main() -> tuple[Any, list[int]]:
        alone = group.join("j")  # nothing pending yet for this key
        first = group.submit_merged("j", counted("j", calls))
        joined = [group.join("j") for _ in range(4)]
        return alone, await asyncio.gather(first, *joined)

    alone, results = asyncio.run(main())
    assert alone is None
    assert results == [1, 2, 3, 4, 5]
    assert calls == [5]  # the first submission's write ran once for all five
    assert group.batches == 1 and group.writes == 5


def test_a_merged_write_that_fails_together_is_run_alone_for_each_caller(counter: Store) -> None:
    group = GroupCommit(counter)
    calls: list[int] = []
    merged = counted("h", calls)

    def only_alone(conn: Any, n: int) -> list[int]:
        if n > 1:
            conn.execute("UPDATE counter SET n = n + 1000")  # rolled back with the batch
            raise RuntimeError("cannot merge")
        return merged(conn, n)  # type: ignore[no-any-return]

    async def main() -> list[int]:
        return await asyncio.gather(*(group.submit_merged("h", only_alone) for _ in range(4)))

    assert asyncio.run(main()) == [1, 2, 3, 4]
    assert calls == [1, 1, 1, 1]
    assert counter.one("SELECT n FROM counter WHERE name = 'h'")[0] == 4


def test_a_merged_write_with_the_wrong_number_of_results_fails_its_callers_and_writes_nothing(
    counter: Store,
) -> None:
    group = GroupCommit(counter)

    def short(conn: Any, n: int) -> list[int]:
        conn.execute("INSERT INTO counter VALUES ('i', 1) ON CONFLICT(name) DO UPDATE SET n = counter.n + 1")
        return []

    async def main() -> list[Any]:
        return await asyncio.gather(group.submit_merged("i", short), group.submit_merged("i", short),
                                    group.submit(bump("j")), return_exceptions=True)

    first, second, other = asyncio.run(main())
    assert isinstance(first, RuntimeError) and isinstance(second, RuntimeError)
    assert "0 results for 1 submissions" in str(first)
    assert other == 1  # the rest of the batch is unharmed
    assert counter.one("SELECT n FROM counter WHERE name = 'i'") is None

"""Group commit: writes that must be durable before their request is answered, sharing one transaction.

A request awaits `submit(write)` or `submit_merged(key, write)`. The first submission in an
event-loop iteration schedules one flush for the end of it, so every request that reaches its write
in the same iteration joins the same `BEGIN IMMEDIATE … COMMIT`. Callers are resumed only after the
COMMIT returned, so an answer never leaves before its write is committed. Should a write (or the
commit) fail, the batch is rolled back and each caller's write runs again in its own transaction:
only a write that fails on its own fails, and its caller gets the exception, never a result.

Merged writes. The submissions of one batch that share a key are run as one call,
`write(conn, n)`, which does the work of `n` single writes in order and returns their `n` results:
under load the meter adds 20 calls to its counter in one UPSERT instead of twenty. Run alone, on a
retry or on an idle appliance, the same write is called with `n = 1`.

Under load, one commit (WAL append, page encryption) is shared by every request of the iteration
instead of paid by each; an idle appliance commits each write on its own, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from attunio.store.db import Store
from attunio.store.errors import StoreUnavailable

T = TypeVar("T")
MergedWrite = Callable[[Any, int], Sequence[Any]]


class GroupCommit:
    def __init__(self, store: Store, *, counters_only: bool = False) -> None:
        self.store = store
        self.counters_only = counters_only
        # key -> (write, the futures of the callers merged into it), in the order first submitted
        self._pending: dict[Hashable, tuple[MergedWrite, list[asyncio.Future[Any]]]] = {}
        self.batches = 0
        self.writes = 0

    def submit(self, write: Callable[[Any], T]) -> asyncio.Future[T]:
        """Run `write(conn)` in the next group transaction; the future is its result, set once
        committed. (Futures, not coroutines: a caller awaits one object, the hot path's cheapest.)"""
        return self.submit_merged(object(), lambda conn, _n: [write(conn)])

    def submit_merged(self, key: Hashable, write: Callable[[Any, int], Sequence[T]]) -> asyncio.Future[T]:
        """Join the next group transaction, merged with the other submissions of `key` in it: the
        first one's `write(conn, n)` runs once for all `n` of them and must return `n` results,
        the i-th for the i-th submission, exactly as `n` single writes in that order would. Every
        submission of one key must therefore do the same work; the key says what it is."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        entry = self._pending.get(key)
        if entry is None:
            self._pending[key] = (write, [future])
        else:
            entry[1].append(future)
        return future

    def join(self, key: Hashable) -> asyncio.Future[Any] | None:
        """Join the merged write of `key` already pending in the next group transaction, as
        `submit_merged` would; None when there is none yet. Callers after a turn's first then need
        not build a write that would never run."""
        entry = self._pending.get(key)
        if entry is None:
            return None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry[1].append(future)
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, {}
        if self.store.dialect == "postgres":
            # Replicas lock counter rows in one order (by what is counted, a tuple key), so two
            # batches never wait on each other's rows in a cycle; other writes keep their order.
            # The file has one write lock and keeps submission order throughout.
            order = {key: (0, repr(key), 0) if isinstance(key, tuple) else (1, "", i) for i, key in enumerate(batch)}
            batch = dict(sorted(batch.items(), key=lambda item: order[item[0]]))
        entries = list(batch.values())
        try:
            with self.store.write(counters_only=self.counters_only) as conn:
                results = [_run(write, conn, len(futures)) for write, futures in entries]
        except Exception as exc:
            if isinstance(exc, StoreUnavailable):  # no write of the batch can succeed alone either
                for _, futures in entries:
                    for future in futures:
                        _settle(future, None, exc)
                return
            if len(entries) == 1 and len(entries[0][1]) == 1:
                _settle(entries[0][1][0], None, exc)
                return
            # A write (or the commit) failed and the whole batch was rolled back: run each caller's
            # write in its own transaction, so only the failing one fails.
            for write, futures in entries:
                for future in futures:
                    self._alone(write, future)
            return
        self.batches += 1
        for (_, futures), values in zip(entries, results, strict=True):
            self.writes += len(futures)
            for future, value in zip(futures, values, strict=True):
                _settle(future, value, None)

    def _alone(self, write: MergedWrite, future: asyncio.Future[Any]) -> None:
        try:
            with self.store.write(counters_only=self.counters_only) as conn:
                (value,) = _run(write, conn, 1)
        except Exception as alone:
            _settle(future, None, alone)
        else:
            _settle(future, value, None)


def _run(write: MergedWrite, conn: Any, n: int) -> Sequence[Any]:
    values = write(conn, n)
    if len(values) != n:
        raise RuntimeError(f"a merged write returned {len(values)} results for {n} submissions")
    return values


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # the caller went away; its write is committed (or failed) all the same
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)

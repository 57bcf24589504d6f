"""Group commit: writes that must be durable before their request is answered, sharing one transaction.

A request awaits `submit(write)`. The first submission in an event-loop iteration schedules one
flush for the end of it, so every request that reaches its write in the same iteration joins the
same `BEGIN IMMEDIATE … COMMIT`. Callers are resumed only after the COMMIT returned, so an answer
never leaves before its write is committed. Should a write (or the commit) fail, the batch is rolled
back and each write runs again in its own transaction: only a write that fails on its own fails,
and its caller gets the exception, never a result.

Under load, one commit (WAL append, page encryption) is shared by every request of the iteration
instead of paid by each; an idle appliance commits each write on its own, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from attunio.store.db import Store

T = TypeVar("T")
Write = Callable[[Any], Any]


class GroupCommit:
    def __init__(self, store: Store, *, counters_only: bool = False) -> None:
        self.store = store
        self.counters_only = counters_only
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self.batches = 0
        self.writes = 0

    async def submit(self, write: Callable[[Any], T]) -> T:
        """Run `write(conn)` in the next group transaction; returns its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((write, future))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            with self.store.write(counters_only=self.counters_only) as conn:
                values = [write(conn) for write, _ in batch]
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], None, exc)
                return
            # A write (or the commit) failed and the whole batch was rolled back: run each write in
            # its own transaction, so only the failing one fails. The common path pays no savepoints.
            for write, future in batch:
                try:
                    with self.store.write(counters_only=self.counters_only) as conn:
                        value = write(conn)
                except Exception as alone:
                    _settle(future, None, alone)
                else:
                    _settle(future, value, None)
            return
        self.batches += 1
        self.writes += len(batch)
        for (_, future), value in zip(batch, values, strict=True):
            _settle(future, value, None)


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # the caller went away; its write is committed (or failed) all the same
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)

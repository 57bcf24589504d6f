"""Group commit: writes that must be durable before their request is answered, sharing one transaction.

A request awaits `submit(write)`. The first submission in an event-loop iteration schedules one
flush for the end of it, so every request that reaches its write in the same iteration joins the
same `BEGIN IMMEDIATE … COMMIT`. Each write runs inside its own savepoint: one that raises is rolled
back alone and its caller gets the exception. Callers are resumed only after the COMMIT returned,
so an answer never leaves before its write is committed; if the COMMIT fails, every caller in the
batch gets the error and none is answered as counted.

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
    def __init__(self, store: Store) -> None:
        self.store = store
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
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            with self.store.write() as conn:
                for write, future in batch:
                    conn.execute("SAVEPOINT grouped_write")
                    try:
                        outcomes.append((future, write(conn), None))
                    except Exception as exc:
                        conn.execute("ROLLBACK TO grouped_write")
                        outcomes.append((future, None, exc))
                    conn.execute("RELEASE grouped_write")
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.writes += len(batch)
        for future, value, error in outcomes:
            if future.done():  # the caller went away; its write is committed all the same
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

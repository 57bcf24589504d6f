"""Request ids: `req_` and 24 hex digits, never repeated, also not by a forked process."""

from __future__ import annotations

import multiprocessing
import re

from attunio.api.edge import RequestIds


def test_ids_are_well_formed_and_unique_across_many_refills() -> None:
    ids = RequestIds()
    drawn = [ids.next() for _ in range(RequestIds.BATCH * 40 + 7)]
    assert all(re.fullmatch(r"req_[0-9a-f]{24}", request_id) for request_id in drawn)
    assert len(set(drawn)) == len(drawn)


def _next_in_child(ids: RequestIds, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put([ids.next() for _ in range(5)])


def test_a_forked_process_draws_its_own_ids() -> None:
    ids = RequestIds()
    ids.next()  # the pool is filled before the fork, as in a worker that forks after serving
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_next_in_child, args=(ids, out))
    child.start()
    from_child = out.get(timeout=30)
    child.join(timeout=30)
    from_parent = [ids.next() for _ in range(5)]
    assert not set(from_child) & set(from_parent)

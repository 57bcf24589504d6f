"""Request counts and latency per endpoint, counted by each worker into its own memory-mapped file.

A scrape reaches one worker of several, so each worker counts into a file of fixed layout under
`data_dir/metrics/` and the worker that answers a scrape adds up every file. Counting is an index
computation and two integer increments in shared memory (no lock: each file has one writer, the
worker's event loop), which is all the request path can afford; the files hold counts only.
A file outlives its worker, so the counts of a worker that died stay in the totals until the next
`attunio serve` clears the folder.
"""

from __future__ import annotations

import mmap
import os
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Upper bounds of the latency histogram in seconds (Prometheus' default buckets below one
# second, and a few above for the largest documents); compared in milliseconds, as the access
# line measures them.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BOUNDS_MS = tuple(bound * 1000 for bound in BUCKETS)
STATUSES = range(100, 600)
UNROUTED = "[unrouted]"
_SLOTS = len(BUCKETS) + 1  # the last one is +Inf
FILE_SUFFIX = ".counts"


def metrics_dir(data_dir: Path) -> Path:
    return data_dir / "metrics"


def reset(data_dir: Path) -> None:
    """Remove the files of a previous run (called by `attunio serve` before workers start)."""
    folder = metrics_dir(data_dir)
    if folder.is_dir():
        for path in folder.glob(f"*{FILE_SUFFIX}"):
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Layout:
    """Which endpoint label is which row; every worker of one app builds the same layout."""

    endpoints: tuple[str, ...]
    prefixes: tuple[tuple[str, str], ...]  # (path prefix, endpoint label) for routes with a parameter

    @classmethod
    def of(cls, paths: Iterable[str]) -> Layout:
        every = set(paths)
        fixed = sorted(p for p in every if "{" not in p)
        templated = sorted(p for p in every if "{" in p)
        return cls((*fixed, *templated, UNROUTED), tuple((p.split("{", 1)[0], p) for p in templated))

    @property
    def size(self) -> int:
        rows = len(self.endpoints)
        return rows * len(STATUSES) * 8 + rows * _SLOTS * 8 + rows * 8  # counts, buckets, sums

    def row_of(self, path: str) -> int:
        for prefix, label in self.prefixes:
            if path.startswith(prefix) and path.count("/") == prefix.count("/"):
                return self.endpoints.index(label)
        return len(self.endpoints) - 1


class RequestCounters:
    """This worker's counts, in `<pid>.counts`; `observe` is called for every answer."""

    def __init__(self, folder: Path, layout: Layout, name: str | None = None) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.layout = layout
        self.path = folder / f"{name or os.getpid()}{FILE_SUFFIX}"
        with self.path.open("w+b") as file:  # a reused pid starts from zero
            file.truncate(layout.size)
            self._map = mmap.mmap(file.fileno(), layout.size)
        counts, buckets, sums = _views(memoryview(self._map), layout)
        self._counts, self._buckets, self._sums = counts, buckets, sums
        self._rows = {label: row for row, label in enumerate(layout.endpoints)}
        self._statuses = len(STATUSES)

    def observe(self, fields: dict[str, Any]) -> None:
        """Count one answer from its access-line fields (its logged path, status and duration)."""
        path = fields["path"]
        row = self._rows.get(path)
        if row is None:
            row = self.layout.row_of(path)
        status = fields["status"]
        if 100 <= status < 600:
            self._counts[row * self._statuses + status - 100] += 1
        duration = fields["duration_ms"]
        self._buckets[row * _SLOTS + bisect_left(_BOUNDS_MS, duration)] += 1
        self._sums[row] += duration


def _views(buffer: memoryview, layout: Layout) -> tuple[memoryview[int], memoryview[int], memoryview[float]]:
    rows = len(layout.endpoints)
    counts_end = rows * len(STATUSES) * 8
    buckets_end = counts_end + rows * _SLOTS * 8
    return (buffer[:counts_end].cast("Q"), buffer[counts_end:buckets_end].cast("Q"),
            buffer[buckets_end:layout.size].cast("d"))


@dataclass
class EndpointTotals:
    statuses: dict[int, int]
    buckets: list[int]  # per bucket, not cumulative; the last is above the largest bound
    sum_ms: float


def totals(folder: Path, layout: Layout) -> dict[str, EndpointTotals]:
    """The counts of every worker's file added up, per endpoint that answered at least once."""
    rows = len(layout.endpoints)
    statuses = [[0] * len(STATUSES) for _ in range(rows)]
    buckets = [[0] * _SLOTS for _ in range(rows)]
    sums = [0.0] * rows
    for path in sorted(folder.glob(f"*{FILE_SUFFIX}")):
        data = path.read_bytes()
        if len(data) != layout.size:
            continue  # a file of another release's layout
        counts, bucket_view, sum_view = _views(memoryview(data), layout)
        _add(statuses, counts, len(STATUSES))
        _add(buckets, bucket_view, _SLOTS)
        for row in range(rows):
            sums[row] += sum_view[row]
    result: dict[str, EndpointTotals] = {}
    for row, label in enumerate(layout.endpoints):
        if any(buckets[row]):
            by_status = {STATUSES[i]: n for i, n in enumerate(statuses[row]) if n}
            result[label] = EndpointTotals(by_status, buckets[row], sums[row])
    return result


def _add(into: list[list[int]], view: Sequence[int], width: int) -> None:
    values = view.tolist() if isinstance(view, memoryview) else list(view)
    for row, target in enumerate(into):
        chunk = values[row * width:(row + 1) * width]
        for i, n in enumerate(chunk):
            target[i] += n

"""What durable metering costs per counted call, on the appliance's own store settings (SQLCipher,
WAL, synchronous=NORMAL, BEGIN IMMEDIATE): one transaction per call, as the request path commits
today, against group commit, where the calls that arrive together share one transaction and each
answer is released only after that commit. The counter table mirrors the live-call meter: an UPSERT
on (app, key, endpoint, day)."""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from attunio.store.db import _connect

UPSERT = ("INSERT INTO meter (app_id, key_id, endpoint, day, count) VALUES (?, ?, ?, ?, 1)"
          " ON CONFLICT(app_id, key_id, endpoint, day) DO UPDATE SET count = count + 1")
ROW = ("app_bench", "key_bench", "dmse_signals", "2026-07-01")
ROUNDS = 5


def _store(folder: Path) -> Any:
    conn = _connect(folder / "meter.db", secrets.token_hex(32), 10_000)
    conn.execute("CREATE TABLE meter (app_id TEXT, key_id TEXT, endpoint TEXT, day TEXT, count INTEGER,"
                 " PRIMARY KEY (app_id, key_id, endpoint, day))")
    return conn


def _per_call_us(conn: Any, calls: int, batch: int) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(calls // batch):
            conn.execute("BEGIN IMMEDIATE")
            for _ in range(batch):
                conn.execute(UPSERT, ROW)
            conn.execute("COMMIT")
        times.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(times)


def run(calls: int = 4096) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="attunio-meter-") as tmp:
        conn = _store(Path(tmp))
        try:
            _per_call_us(conn, 256, 1)  # warm the page cache and the WAL
            return {f"batch_{batch}_us_per_call": _per_call_us(conn, calls, batch) for batch in (1, 4, 16, 64)}
        finally:
            conn.close()

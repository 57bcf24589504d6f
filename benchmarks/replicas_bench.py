"""The store backends side by side, served: one replica on the SQLCipher file, one and two replicas on
one PostgreSQL (a throw-away TLS cluster, tests/pg_cluster.py). On a 2-core machine two replicas
cannot scale, so each line reports what a request costs, not how many fit: server CPU per answer
(appliance processes, and PostgreSQL's), and database round trips per answer (each replica counts
its own, written to its log when it stops).

Every call is a metered sandbox call (a durable counter write before the engine runs) on
`POST /v1/dmse/analyze`, sent by a fixed number of client threads alternating between replicas.
"""

from __future__ import annotations

import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import Served, free_port, start_served
from tests.pg_cluster import PgCluster, make_cluster, remove_cluster

PATH = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6}
TICKS = 100.0  # clock ticks per second in /proc/<pid>/stat (USER_HZ on Linux)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    return total


def _appliance_pids(replicas: list[Served]) -> list[int]:
    return [pid for s in replicas for pid in [s.process.pid, *_children(s.process.pid)]]


def _postgres_pids(cluster: PgCluster | None) -> list[int]:
    if cluster is None:
        return []
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    return [postmaster, *_children(postmaster)]


def _load(replicas: list[Served], key: str, requests: int, threads: int) -> tuple[int, int]:
    answered = [0, 0]
    lock = threading.Lock()

    def run(n: int) -> None:
        served = replicas[n % len(replicas)]
        ok = bad = 0
        with httpx.Client(base_url=served.base_url, timeout=10) as http:
            for _ in range(requests // threads):
                status = http.post(PATH, json=BODY, headers={"Authorization": f"Bearer {key}"}).status_code
                ok, bad = (ok + 1, bad) if status == 200 else (ok, bad + 1)
        with lock:
            answered[0] += ok
            answered[1] += bad

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answered[0], answered[1]


def _line(name: str, root: Path, cluster: PgCluster | None, replicas_n: int, requests: int,
          threads: int) -> dict[str, Any]:
    env = {"ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA": "10000000", "ATTUNIO_SERVER_ACCESS_LOG": "false"}
    if cluster is not None:
        env["ATTUNIO_STORE_URL"] = cluster.url(cluster.create_database())
    replicas = [start_served(root / "r0", **env)]
    for i in range(1, replicas_n):
        (root / f"r{i}" / "secrets").mkdir(parents=True)
        shutil.copy2(root / "r0" / "secrets" / "store.key", root / f"r{i}" / "secrets" / "store.key")
        replicas.append(start_served(root / f"r{i}", **env))
    try:
        key = replicas[0].new_key(mode="test")
        _load(replicas, key, 200, threads)  # warm-up: connections, caches, the engine's first calls
        app_before, db_before = _cpu_seconds(_appliance_pids(replicas)), _cpu_seconds(_postgres_pids(cluster))
        started = time.perf_counter()
        ok, bad = _load(replicas, key, requests, threads)
        elapsed = time.perf_counter() - started
        app_cpu = _cpu_seconds(_appliance_pids(replicas)) - app_before
        db_cpu = _cpu_seconds(_postgres_pids(cluster)) - db_before
    finally:
        for served in replicas:
            served.stop(signal.SIGTERM)
    trips = sum(int(m) for s in replicas for m in re.findall(r"database round trips: (\d+)", s.logs()))
    return {
        "store": name, "replicas": replicas_n, "answers": ok, "non_200": bad, "seconds": round(elapsed, 2),
        "requests_per_s": round(ok / elapsed, 1),
        "appliance_cpu_ms_per_answer": round(app_cpu * 1000 / max(ok, 1), 3),
        "database_cpu_ms_per_answer": round(db_cpu * 1000 / max(ok, 1), 3) if cluster is not None else None,
        # the whole life of each replica (start-up, warm-up, the load), over the measured answers
        "database_round_trips_per_answer": round(trips / max(ok + 200, 1), 2) if cluster is not None else None,
    }


def run(requests: int = 3000, threads: int = 8) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="attunio-replicas-") as tmp:
        work = Path(tmp)
        lines = [_line("sqlcipher", work / "file", None, 1, requests, threads)]
        cluster = make_cluster(free_port())
        try:
            lines.append(_line("postgresql", work / "pg1", cluster, 1, requests, threads))
            lines.append(_line("postgresql", work / "pg2", cluster, 2, requests, threads))
        finally:
            remove_cluster(cluster)
    return lines


def add_to(report: dict[str, Any], *, skip: bool) -> list[dict[str, Any]]:
    if skip:
        return []
    print("==> store backends: SQLCipher, PostgreSQL with one and two replicas", file=sys.stderr, flush=True)
    report["replicas"] = lines = run()
    return lines


def render(lines: list[dict[str, Any]]) -> str:
    head = ("| store | replicas | answers | req/s | appliance CPU ms/answer | PostgreSQL CPU ms/answer "
            "| database round trips/answer |\n|---|---|---|---|---|---|---|")
    rows = [f"| {r['store']} | {r['replicas']} | {r['answers']} | {r['requests_per_s']} | "
            f"{r['appliance_cpu_ms_per_answer']} | {r['database_cpu_ms_per_answer'] or '–'} | "
            f"{r['database_round_trips_per_answer'] or '–'} |" for r in lines]
    return "\n".join([head, *rows])


if __name__ == "__main__":
    print(render(run()))

"""Machine instructions per request of the appliance's own request path, counted by callgrind.

Requests/s and CPU time on a shared machine move by ±20% from one run to the next with the
neighbours' load; an instruction count does not. This drives the app in-process, as the ASGI
server would (the same `app_from_environment` a worker builds, its real encrypted store and access
log), in batches of concurrent requests sharing their loop turns as under load, and counts the
instructions of `--requests` requests under `valgrind --tool=callgrind`: the run with none is
subtracted, so start-up is not counted. uvicorn's HTTP parsing and the socket are not part of it
(the HTTP lines of `scripts/bench` measure those); a change to our code shows here exactly.

    python -m benchmarks.instructions                 # both keys, Digital MSE
    python -m benchmarks.instructions --engine relapse_risk --key live
    python -m benchmarks.instructions --metrics       # with /metrics on: every answer counted
    PYTHONHASHSEED=1 python -m benchmarks.instructions   # another hash seed (the default is 0)

Needs valgrind (Debian package). `--drive` is the in-process driver itself, run under callgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import harness, instance
from benchmarks.bodies import BODIES, body_bytes

BATCH = 21  # requests per loop turn: the mean batch size measured under the HTTP benchmark's load
WARMUP = 210


async def _drive(requests: int, key: str, engine: str, log_file: Path, *, metered: bool = True) -> None:
    import logging

    from attunio.api.app import app_from_environment

    if not metered:  # as benchmarks/unmetered.py: the live meter write left out, nothing else
        from benchmarks.unmetered import switch_metering_off

        switch_metering_off()

    app = app_from_environment()
    for handler in logging.getLogger("attunio").handlers:  # the access log, to a file as in the bench
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file.open("w", encoding="utf-8"))
    path, body = BODIES[engine][0], body_bytes(engine)
    headers = [(b"host", b"appliance"), (b"content-type", b"application/json"),
               (b"authorization", f"Bearer {key}".encode()), (b"content-length", str(len(body)).encode())]

    async def one() -> None:
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
            "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": list(headers), "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8443), "state": {},
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        if sent[0]["status"] != 200:
            raise SystemExit(f"answered {sent[0]['status']}: {sent[1]['body'][:200]!r}")

    for _ in range(WARMUP // BATCH):
        await asyncio.gather(*(one() for _ in range(BATCH)))
    for _ in range(requests // BATCH):
        await asyncio.gather(*(one() for _ in range(BATCH)))


def _count(inst: instance.Instance, key: str, engine: str, requests: int, work: Path, *,
           metered: bool = True) -> int:
    out = work / f"callgrind.{engine}.{requests}.{metered}"
    # String hashes are randomised per process, and the dict probing they lead to moved one tree's
    # count by about ±2,000; with one seed runs agree within about 1,000 (docs/performance.md).
    env = {**harness.python_env(inst.env), "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", harness.appliance_python(), "-m",
           "benchmarks.instructions", "--drive", "--requests", str(requests), "--key-value", key,
           "--engine", engine, "--log-file", str(work / "access.log"), *([] if metered else ["--unmetered"])]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=harness.REPO)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-2000:]}")
    return int(found.group(1))


def run(engine: str = "dmse_signals", keys: tuple[str, ...] = ("live", "sandbox"),
        requests: int = 4200, *, metrics: bool = False) -> dict[str, Any]:
    """Instructions per request for each key, and for the live key with its meter write left out
    (`live_unmetered`); `{}` when valgrind is not installed. With `metrics`, `/metrics` is on, so
    every answer is also counted for it."""
    if shutil.which("valgrind") is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="attunio-instructions-") as tmp:
        work = Path(tmp)
        inst = instance.create(work / "instance")
        if metrics:
            token = work / "metrics.token"
            token.write_text("b" * 64 + "\n")
            inst.env.update(ATTUNIO_METRICS_ENABLED="true", ATTUNIO_METRICS_TOKEN_FILE=str(token))
        result: dict[str, Any] = {"engine": engine, "requests": requests, "batch": BATCH, "metrics": metrics}
        for label in keys:
            key = inst.live_key if label == "live" else inst.sandbox_key
            if key is None:
                continue
            base = _count(inst, key, engine, 0, work)
            total = _count(inst, key, engine, requests, work)
            result[label] = round((total - base) / (requests // BATCH * BATCH))
            if label == "live":
                base = _count(inst, key, engine, 0, work, metered=False)
                total = _count(inst, key, engine, requests, work, metered=False)
                result["live_unmetered"] = round((total - base) / (requests // BATCH * BATCH))
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=sorted(BODIES), default="dmse_signals")
    parser.add_argument("--key", choices=["live", "sandbox", "both"], default="both")
    parser.add_argument("--requests", type=int, default=4200)
    parser.add_argument("--metrics", action="store_true", help="serve /metrics, so every answer is counted too")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--key-value", help=argparse.SUPPRESS)
    parser.add_argument("--log-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--unmetered", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        import uvloop

        uvloop.run(_drive(args.requests, args.key_value, args.engine, args.log_file, metered=not args.unmetered))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian package valgrind)", file=sys.stderr)
        return 1
    harness.APPLIANCE_PYTHON[0] = os.environ.get("BENCH_APPLIANCE_PYTHON", sys.executable)
    keys = ("live", "sandbox") if args.key == "both" else (args.key,)
    result = run(args.engine, keys, args.requests, metrics=args.metrics)
    for label in (*keys, "live_unmetered"):
        if label in result:
            print(f"{label:15} {args.engine}: {result[label]:,} instructions per request")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

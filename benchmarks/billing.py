"""Cost of billing on the request path: `admit` + `record` against a real encrypted store, one
call per event-loop turn (so each call is its own transaction, the worst case of group commit).

Run: PYTHONPATH=src python benchmarks/billing.py [--calls N] [--processes P]
Prints per-call latency (median, p99) for live calls (license check + one metering write) and
sandbox calls (one quota write), in P processes at once sharing one store, as the workers do.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from attunio.clock import SystemClock
from attunio.config import Settings, load_settings
from attunio.crypto.ed25519 import Ed25519PrivateKey, public_pem
from attunio.crypto.license_file import LicenseClaims, sign_license
from attunio.services.operations.instance import ensure_instance
from attunio.services.request_path.access import Principal
from attunio.services.request_path.billing import Billing
from attunio.store import Store, create_key_file


def settings_for(root: Path) -> Settings:
    env = {
        "ATTUNIO_PATHS_DATA_DIR": str(root / "data"),
        "ATTUNIO_PATHS_KEY_FILE": str(root / "store.key"),
        "ATTUNIO_TRUST_EXTRA_VENDOR_KEYS": f'["{root / "vendor.pub"}"]',
        "ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA": "10000000",
    }
    return load_settings(Path("config/attunio.toml"), env)


def prepare(root: Path) -> None:
    vendor = Ed25519PrivateKey.generate()
    (root / "vendor.pub").write_bytes(public_pem(vendor.public_key()))
    settings = settings_for(root)
    create_key_file(settings.key_file)
    store = Store.open(settings, create=True)
    ensure_instance(store)
    now = datetime.now(UTC)
    claims = LicenseClaims(
        license_id="BENCH",
        licensee="Bench",
        plan="bench",
        monthly_allowance=1000,
        production_access=True,
        issued_at=now,
        valid_from=now - timedelta(days=1),
        expires_at=now + timedelta(days=30),
        grace_days=0,
    )
    Billing(store, settings, SystemClock()).licenses.install(sign_license(claims, vendor), actor="bench")
    store.close()


def run(args: tuple[Path, str, int, Any]) -> list[float]:
    root, mode, calls, start = args
    settings = settings_for(root)
    store = Store.open(settings)
    billing = Billing(store, settings, SystemClock())
    who = Principal(
        key_id="key_b",
        app_id="app_b",
        key_type="secret",
        mode=mode,  # type: ignore[arg-type]
        prefix="att_sk_",
        allowed_origins=(),
    )
    async def one() -> None:
        now = billing.clock.now()
        verdict = billing.admit(who, now)
        if isinstance(verdict, asyncio.Future):
            await verdict
        counted = billing.record(who, "dmse_signals", now)
        if counted is not None:
            await counted

    async def all_calls() -> list[float]:
        timings = []
        for _ in range(calls):
            began = time.perf_counter()
            await one()
            timings.append(time.perf_counter() - began)
        return timings

    start.wait()
    timings = asyncio.run(all_calls())
    store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        prepare(root)
        context = multiprocessing.get_context("fork")
        for mode in ("live", "test"):
            start = context.Manager().Barrier(options.processes)
            with context.Pool(options.processes) as pool:
                began = time.perf_counter()
                results = pool.map(run, [(root, mode, options.calls, start)] * options.processes)
                elapsed = time.perf_counter() - began
            timings = sorted(t for result in results for t in result)
            p99 = timings[int(len(timings) * 0.99)]
            print(
                f"{mode:5} {options.processes} processes x {options.calls} calls: "
                f"median {statistics.median(timings) * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs, "
                f"{len(timings) / elapsed:.0f} calls/s in all"
            )


if __name__ == "__main__":
    main()

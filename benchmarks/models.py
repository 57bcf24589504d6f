"""Cost of the model registry on the request path, and of `attunio models compare` on a large set.

Run: PYTHONPATH=src:. python benchmarks/models.py [--requests N] [--lookups M]
Prints the per-request `ModelRegistry.active()` latency (one generation read against a real encrypted
store, with a promoted version cached), and for a seeded relapse evaluation set of N requests: the time
to read and validate it, to score it vectorised under two parameter sets, and the per-request
engine's time for the same work, measured on a sample and scaled to N.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from tests.calibration.helpers import RELAPSE_V1, evaluation_lines, make_vendor, payload, sign

from attunio.clock import SystemClock
from attunio.config import load_settings
from attunio.engines import ENGINES
from attunio.engines.common import ModelRef
from attunio.services.calibration.compare import Dataset, compare, load_dataset
from attunio.services.calibration.lifecycle import Calibration
from attunio.services.calibration.models import ModelRegistry, default_pair
from attunio.services.operations.admins import AdminService
from attunio.services.operations.instance import ensure_instance
from attunio.store import Store, create_key_file


def registry_latency(lookups: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = load_settings(Path("config/attunio.toml"), {
            "ATTUNIO_PATHS_DATA_DIR": str(root / "data"), "ATTUNIO_PATHS_KEY_FILE": str(root / "store.key")})
        create_key_file(settings.key_file)
        store = Store.open(settings, create=True)
        ensure_instance(store)
        vendor = make_vendor(root / "vendor")
        service = Calibration(store, SystemClock(), vendor.trusted, 1 << 20)
        service.import_bundle(sign(vendor, payload(params=RELAPSE_V1)), actor="bench")
        _, token = AdminService(store, SystemClock()).create("Bench", "reviewer", actor="bench",
                                                             licence_number="B-1")
        service.promote("relapse_risk", 1, token=token, reason="bench")
        registry = ModelRegistry(store)
        registry.active("relapse_risk")
        samples = []
        for _ in range(lookups):
            start = time.perf_counter()
            registry.active("relapse_risk")
            samples.append(time.perf_counter() - start)
        store.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=50_000)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()

    samples = sorted(registry_latency(args.lookups))
    print(f"active(): median {statistics.median(samples) * 1e6:.1f} µs, "
          f"p99 {samples[int(len(samples) * 0.99)] * 1e6:.1f} µs over {args.lookups} lookups")

    spec = ENGINES["relapse_risk"]
    lines = evaluation_lines("relapse_risk", args.requests, seed=2026)
    start = time.perf_counter()
    data = load_dataset(lines, spec)
    print(f"read and validate {len(lines)} lines: {time.perf_counter() - start:.2f} s")
    now = datetime.now(UTC)
    active = default_pair("relapse_risk")
    candidate = (ModelRef(key="relapse_risk", version=1, source="calibrated"),
                 msgspec.convert(RELAPSE_V1, spec.params_type))
    start = time.perf_counter()
    compare("relapse_risk", data, active, candidate, now)
    print(f"compare, vectorised: {time.perf_counter() - start:.2f} s for {len(data.requests)} requests")
    sample = Dataset(data.requests[: args.sample], data.outcomes[: args.sample], [])
    start = time.perf_counter()
    compare("relapse_risk", sample, active, candidate, now, vectorised=False)
    scaled = (time.perf_counter() - start) * len(data.requests) / len(sample.requests)
    print(f"compare, one request at a time: {scaled:.2f} s (measured on {len(sample.requests)}, scaled)")


if __name__ == "__main__":
    main()

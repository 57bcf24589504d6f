"""Relapse scoring for many records at once: the vectorised path against a per-request loop over
the same seeded records, with identical results required before any speed is reported."""

from __future__ import annotations

import importlib
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from attunio.engines import ENGINES, default_model
from attunio.engines.inputs import Assessment
from attunio.engines.relapse import RelapseRequest

RECORDS = 100_000
SEED = 20260701
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
# Where the vectorised scorer lives, and its name, once a build has one.
VECTORISED = ("attunio.engines.relapse_batch", "score_batch")


def seeded_requests(count: int, seed: int = SEED) -> list[RelapseRequest]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for _ in range(count):
        n = rng.randint(0, 4)
        assessments = [
            Assessment(instrumentId="phq9", instrumentName="PHQ-9", score=float(rng.randint(0, 27)), maxScore=27.0,
                       createdAt=start + timedelta(days=14 * i + rng.randint(0, 6)))
            for i in range(n)
        ]
        out.append(RelapseRequest(
            assessments=assessments,
            dmseLatencyPctChange=rng.choice([None, round(rng.uniform(-40, 60), 1)]),
            avgSleepHours=rng.choice([None, round(rng.uniform(3, 10), 1)]),
            daysSinceMedChange=rng.choice([None, rng.randint(0, 120)]),
            hasActiveMedication=rng.random() < 0.6,
            daysSinceLastVisit=rng.choice([None, rng.randint(0, 200)]),
        ))
    return out


def _vectorised() -> Any | None:
    module, name = VECTORISED
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def run(records: int = RECORDS) -> dict[str, Any]:
    spec = ENGINES["relapse_risk"]
    params, model = spec.default_params, default_model(spec.key)
    requests = seeded_requests(records)
    started = time.perf_counter()
    looped = [spec.analyze(r, params, NOW, model) for r in requests]
    loop_s = time.perf_counter() - started
    result: dict[str, Any] = {"records": records, "seed": SEED, "loop_records_per_s": records / loop_s}
    batch = _vectorised()
    if batch is None:
        result["summary"] = (f"per-request loop {records / loop_s:,.0f} records/s; "
                             "vectorised path not in this build")
        return result
    started = time.perf_counter()
    scored = batch(requests, params)
    vec_s = time.perf_counter() - started
    identical = [float(p.score) for p in looped] == [float(s) for s in scored]
    result.update({"vectorised_records_per_s": records / vec_s, "speedup": loop_s / vec_s, "identical": identical})
    result["summary"] = (f"vectorised {records / vec_s:,.0f} records/s vs loop {records / loop_s:,.0f} records/s"
                         f" = {loop_s / vec_s:.0f}x, identical scores: {identical}")
    return result

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
# The vectorised scorer: features (parameter-free) then scores under a parameter set.
VECTORISED = "attunio.engines.vector"


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
    try:
        return importlib.import_module(VECTORISED)
    except ImportError:
        return None


def run(records: int = RECORDS) -> dict[str, Any]:
    spec = ENGINES["relapse_risk"]
    params, model = spec.default_params, default_model(spec.key)
    vector = _vectorised()
    requests = seeded_requests(records)
    if vector is not None:  # the per-request path refuses these with 400, so neither path scores them
        requests = [r for r in requests if vector.relapse_has_evidence(r)]
    records = len(requests)
    started = time.perf_counter()
    looped = [spec.analyze(r, params, NOW, model) for r in requests]
    loop_s = time.perf_counter() - started
    result: dict[str, Any] = {"records": records, "seed": SEED, "loop_records_per_s": records / loop_s}
    if vector is None:
        result["summary"] = (f"per-request loop {records / loop_s:,.0f} records/s; "
                             "vectorised path not in this build")
        return result
    started = time.perf_counter()
    features = vector.relapse_features(requests, NOW)
    features_s = time.perf_counter() - started
    scores, _levels = vector.relapse_scores(features, params)
    vec_s = time.perf_counter() - started
    scores_s = vec_s - features_s  # what each further parameter set costs, features being reused
    identical = [int(p.score) for p in looped] == [int(s) for s in scores]
    result.update({"vectorised_records_per_s": records / vec_s, "speedup": loop_s / vec_s, "identical": identical,
                   "scores_only_records_per_s": records / scores_s, "scores_only_speedup": loop_s / scores_s})
    result["summary"] = (f"vectorised {records / vec_s:,.0f} records/s with feature extraction"
                         f" ({loop_s / vec_s:.0f}x the loop), {records / scores_s:,.0f} records/s per further"
                         f" parameter set ({loop_s / scores_s:.0f}x); loop {records / loop_s:,.0f} records/s;"
                         f" identical scores: {identical}")
    return result

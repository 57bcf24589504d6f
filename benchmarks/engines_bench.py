"""Engine micro-benchmarks: µs per call of each pure engine on its seeded request, and of the whole
in-process step the HTTP handler adds around it (strict decode, engine, encode)."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from attunio.engines import ENGINES, default_model
from attunio.validation import decode_request
from benchmarks.bodies import body_bytes

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # a fixed clock: engines are deterministic
ROUNDS = 7


def _per_call_us(fn: Any, calls: int) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(times)


def run(calls: int = 2000) -> dict[str, dict[str, float]]:
    encode = msgspec.json.Encoder().encode
    out: dict[str, dict[str, float]] = {}
    for key, spec in ENGINES.items():
        body = body_bytes(key)
        request = decode_request(body, spec)
        params, model = spec.default_params, default_model(key)

        def engine(spec: Any = spec, request: Any = request, params: Any = params, model: Any = model) -> Any:
            return spec.analyze(request, params, NOW, model)

        def full(spec: Any = spec, body: bytes = body, params: Any = params, model: Any = model) -> Any:
            return encode({"ok": True, "data": spec.analyze(decode_request(body, spec), params, NOW, model)})

        engine()
        out[key] = {"median_us": _per_call_us(engine, calls), "decode_engine_encode_us": _per_call_us(full, calls)}
    return out

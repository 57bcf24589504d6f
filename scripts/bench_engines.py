"""Time decode + analyze + encode per engine on seeded requests (not part of the test run).

python scripts/bench_engines.py [--n 2000]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from attunio.engines import ENGINES, default_model
from attunio.validation import decode_request

NOW = datetime(2026, 6, 28, tzinfo=UTC)


def _assessments(rng: random.Random, count: int) -> list[dict[str, object]]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return [
        {
            "instrumentId": "phq9",
            "instrumentName": "PHQ-9",
            "score": rng.randint(0, 27),
            "maxScore": 27,
            "createdAt": (start + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for i in range(count)
    ]


def bodies(rng: random.Random) -> dict[str, dict[str, object]]:
    few = _assessments(rng, 6)
    return {
        "dmse_signals": {
            "responseLatencySeconds": 2.6,
            "speechRateWpm": 98,
            "psychomotorFidgetEpisodes": 4,
            "sustainedAttentionPct": 66,
            "history": {"response_latency": [3.1, 2.9, 2.7]},
        },
        "medication_response": {
            "prescriptions": [
                {
                    "id": "rx",
                    "medicationName": "Sertraline",
                    "status": "active",
                    "prescribedAt": "2025-01-03T00:00:00Z",
                }
            ],
            "assessments": few,
            "dmseLatencyPctChange": -14,
        },
        "biomarker_interpretation": {
            "labs": [
                {
                    "id": "l",
                    "labName": "Lab",
                    "results": {
                        "biomarkers": [
                            {
                                "name": "TSH",
                                "value": 6.8,
                                "unit": "mIU/L",
                                "flag": "high",
                                "referenceRange": "0.4-4.0",
                            },
                            {
                                "name": "Sodium",
                                "value": 128,
                                "unit": "mmol/L",
                                "flag": "low",
                                "referenceRange": "135-145",
                            },
                        ]
                    },
                }
            ]
        },
        "outcome_score": {
            "assessments": few,
            "dmseLatencyPctChange": -12,
            "activeMedications": 1,
            "avgSleepHours": 7.5,
        },
        "relapse_risk": {
            "assessments": _assessments(rng, 500),
            "avgSleepHours": 5.2,
            "daysSinceLastVisit": 38,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1234)  # noqa: S311 - seeded data, not security
    print(
        f"python {platform.python_version()}, msgspec {msgspec.__version__}, {platform.machine()}, n={args.n}"
    )
    for key, body in bodies(rng).items():
        raw = json.dumps(body).encode()
        spec = ENGINES[key]
        model = default_model(key)
        began = time.perf_counter()
        for _ in range(args.n):
            request = decode_request(raw, spec)
            msgspec.json.encode({"ok": True, "data": spec.analyze(request, spec.default_params, NOW, model)})
        per_call = (time.perf_counter() - began) / args.n * 1e6
        print(f"{key:26s} {len(raw):7d} B  {per_call:9.1f} µs/call")


if __name__ == "__main__":
    main()

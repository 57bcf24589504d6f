"""Seeded request bodies, one per endpoint: the same inputs for every server and every run.

The Digital MSE body is the reference's quickstart request; the others are the reference's own
examples for each endpoint, so every measured answer is a real, fully computed `200`.
"""

from __future__ import annotations

from typing import Any

import msgspec

_PHQ9 = {"instrumentId": "phq9", "instrumentName": "PHQ-9", "maxScore": 27}

BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "dmse_signals": (
        "/v1/dmse/analyze",
        {"responseLatencySeconds": 2.6, "speechRateWpm": 98, "psychomotorFidgetEpisodes": 4,
         "sustainedAttentionPct": 66},
    ),
    "medication_response": (
        "/v1/medication/analyze",
        {
            "prescriptions": [{"id": "rx_001", "medicationName": "Sertraline", "dosage": "50mg",
                               "frequency": "daily", "status": "active",
                               "prescribedAt": "2026-03-01T00:00:00Z"}],
            "assessments": [{**_PHQ9, "score": 18, "createdAt": "2026-02-20T00:00:00Z"},
                            {**_PHQ9, "score": 11, "createdAt": "2026-05-15T00:00:00Z"}],
            "dmseLatencyPctChange": -14,
        },
    ),
    "biomarker_interpretation": (
        "/v1/biomarker/analyze",
        {"labs": [{"id": "lab_88", "labName": "Quest Diagnostics", "observedAt": "2026-06-01T00:00:00Z",
                   "results": {"biomarkers": [
                       {"name": "TSH", "value": 6.8, "unit": "mIU/L", "flag": "high", "referenceRange": "0.4-4.0"},
                       {"name": "Vitamin D", "value": 18, "unit": "ng/mL", "flag": "low",
                        "referenceRange": "30-100"}]}}]},
    ),
    "outcome_score": (
        "/v1/outcome/score",
        {"assessments": [{**_PHQ9, "score": 18, "createdAt": "2026-02-20T00:00:00Z"},
                         {**_PHQ9, "score": 9, "createdAt": "2026-05-15T00:00:00Z"}],
         "dmseLatencyPctChange": -12, "activeMedications": 1, "biomarkerWatchCount": 0, "avgSleepHours": 7.5},
    ),
    "relapse_risk": (
        "/v1/relapse/predict",
        {"assessments": [{**_PHQ9, "score": 12, "createdAt": "2026-05-01T00:00:00Z"},
                         {**_PHQ9, "score": 19, "severity": "moderately severe",
                          "createdAt": "2026-06-15T00:00:00Z"}],
         "dmseLatencyPctChange": 16, "avgSleepHours": 5.2, "daysSinceMedChange": 12,
         "hasActiveMedication": True, "daysSinceLastVisit": 38},
    ),
}

DMSE_PATH, DMSE_BODY = BODIES["dmse_signals"]


def body_bytes(engine_key: str) -> bytes:
    return msgspec.json.encode(BODIES[engine_key][1])

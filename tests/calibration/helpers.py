"""Throw-away vendor keys, bundle builders and a seeded evaluation-set generator for the calibration tests.

Keys are generated per test and trusted only through `trust.extra_vendor_keys`; none is committed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from attunio.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, key_id, public_pem
from attunio.crypto.envelope import CALIBRATION_PAYLOAD_TYPE, sign_envelope
from attunio.engines import ENGINES


@dataclass
class Vendor:
    private: Ed25519PrivateKey
    pub_path: Path

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def kid(self) -> str:
        return key_id(self.public)

    @property
    def trusted(self) -> dict[str, Ed25519PublicKey]:
        return {self.kid: self.public}


def make_vendor(folder: Path, name: str = "vendor") -> Vendor:
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pub = folder / f"{name}.pub"
    pub.write_bytes(public_pem(key.public_key()))
    return Vendor(key, pub)


def default_params(engine: str) -> dict[str, Any]:
    return msgspec.to_builtins(ENGINES[engine].default_params)  # type: ignore[no-any-return]


def payload(engine: str = "relapse_risk", version: int = 1, *, params: dict[str, Any] | None = None,
            created: datetime | None = None, expires: datetime | None = None, **changes: Any) -> dict[str, Any]:
    created = created or datetime.now(UTC) - timedelta(days=1)
    body: dict[str, Any] = {
        "engine": engine,
        "version": version,
        "params": params if params is not None else default_params(engine),
        "metrics": {"datasetSize": 18240, "concordance": {"auc": 0.81, "brier": 0.12}},
        "created": created.isoformat(),
        "expires": (expires or created + timedelta(days=365)).isoformat(),
        "notes": "Quarterly calibration against de-identified outcomes.",
    }
    body.update(changes)
    return body


def sign(vendor: Vendor, body: dict[str, Any] | bytes, payload_type: str = CALIBRATION_PAYLOAD_TYPE) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return sign_envelope(raw, payload_type, vendor.private)


def relapse_params(**changes: Any) -> dict[str, Any]:
    """A valid relapse parameter set; `changes` are applied on top (keep the maxima summing to 100)."""
    params = default_params("relapse_risk")
    params.update(changes)
    return params


# A calibrated relapse set that moves scores and levels visibly and stays inside every cap.
RELAPSE_V1 = relapse_params(symptoms_level_points=15, symptoms_velocity_points=24, sleep_points=20,
                            dmse_points=17, medication_points=12, cadence_points=12, moderate_from=20,
                            elevated_from=45, high_from=70, velocity_full_rise=0.25)
RELAPSE_V2 = relapse_params(symptoms_level_points=20, symptoms_velocity_points=30, sleep_points=15,
                            dmse_points=15, medication_points=10, cadence_points=10, moderate_from=30,
                            elevated_from=55, high_from=80, sleep_short_h=6.5, sleep_suboptimal_h=7.5)


# -- evaluation sets ---------------------------------------------------------------------------

_INSTRUMENTS = (("phq9", "PHQ-9", 27.0), ("gad7", "GAD-7", 21.0), ("bdi2", "BDI-II", 63.0))


def _assessments(rng: random.Random) -> list[dict[str, Any]]:
    items = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for instrument, name, top in rng.sample(_INSTRUMENTS, rng.randint(0, 3)):
        for i in range(rng.randint(1, 4)):
            # Whole and half scores, repeated timestamps: ties and .5 rounding edges get exercised.
            score = rng.choice([rng.randint(0, int(top)), rng.randint(0, int(top) * 2) / 2])
            day = start + timedelta(days=rng.choice([i * 14, i * 14, 7]))
            items.append({"instrumentId": instrument, "instrumentName": name, "score": score,
                          "maxScore": top, "createdAt": day.isoformat().replace("+00:00", "Z")})
    rng.shuffle(items)
    return items


def _maybe(rng: random.Random, value: Any, p: float = 0.75) -> Any:
    return value if rng.random() < p else None


def relapse_request(rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assessments": _assessments(rng),
        "dmseLatencyPctChange": _maybe(rng, rng.choice([round(rng.uniform(-60, 120), 1), rng.randint(-20, 60)])),
        "avgSleepHours": _maybe(rng, rng.choice([round(rng.uniform(3, 12), 2), rng.choice([5, 6, 7, 10, 6.5])])),
        "daysSinceMedChange": _maybe(rng, rng.randint(0, 120)),
        "hasActiveMedication": rng.random() < 0.6,
        "daysSinceLastVisit": _maybe(rng, rng.randint(0, 200)),
    }
    return {k: v for k, v in body.items() if v is not None}


def outcome_request(rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assessments": _assessments(rng),
        "dmseLatencyPctChange": _maybe(rng, round(rng.uniform(-60, 80), 1)),
        "activeMedications": rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8]),
        "biomarkerWatchCount": rng.choice([0, 0, 0, 1, 2, 3, 4]),
        "avgSleepHours": _maybe(rng, rng.choice([round(rng.uniform(3, 12), 2), 7, 9, 6, 10.5])),
    }
    return {k: v for k, v in body.items() if v is not None}


def evaluation_lines(engine: str, count: int, seed: int = 7, outcomes: bool = True) -> list[bytes]:
    """JSON lines for `attunio models compare`; the outcome leans on the request so AUC is informative."""
    rng = random.Random(seed)
    make = relapse_request if engine == "relapse_risk" else outcome_request
    lines = []
    for _ in range(count):
        request = make(rng)
        if not outcomes:
            lines.append(json.dumps(request).encode() + b"\n")
            continue
        short_sleep = request.get("avgSleepHours", 8) < 6
        outcome = int(rng.random() < (0.55 if short_sleep else 0.25))
        lines.append(json.dumps({"request": request, "outcome": outcome}).encode() + b"\n")
    return lines

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
# Built from string templates rather than json.dumps: a 100,000-line set in seconds.

_INSTRUMENTS = (("phq9", "PHQ-9", 27), ("gad7", "GAD-7", 21), ("bdi2", "BDI-II", 63))
_DAYS = ("2026-01-01", "2026-01-15", "2026-01-29", "2026-02-12", "2026-01-08")


def _assessments(rng: random.Random) -> str:
    items = []
    for instrument, name, top in rng.sample(_INSTRUMENTS, rng.randint(0, 3)):
        for i in range(rng.randint(1, 4)):
            # Whole and half scores, repeated dates: ties and .5 rounding edges get exercised.
            score = rng.randint(0, 2 * top) / 2
            day = _DAYS[i if rng.random() < 0.8 else 4]
            items.append(f'{{"instrumentId":"{instrument}","instrumentName":"{name}","score":{score!r},'
                         f'"maxScore":{top},"createdAt":"{day}T00:00:00Z"}}')
    rng.shuffle(items)
    return "[" + ",".join(items) + "]"


def _number(rng: random.Random, low: float, high: float, choices: tuple[float, ...]) -> str | None:
    draw = rng.random()
    if draw < 0.25:
        return None
    if draw < 0.5:
        return repr(rng.choice(choices))
    return repr(round(rng.uniform(low, high), 2))


def _fields(pairs: list[tuple[str, str | None]]) -> str:
    return ",".join(f'"{k}":{v}' for k, v in pairs if v is not None)


def relapse_request(rng: random.Random) -> str:
    return "{" + _fields([
        ("assessments", _assessments(rng)),
        ("dmseLatencyPctChange", _number(rng, -60, 120, (0, 12.5, 25, -10, 50))),
        ("avgSleepHours", _number(rng, 3, 12, (5, 6, 7, 10, 6.5, 5.5))),
        ("daysSinceMedChange", None if rng.random() < 0.3 else str(rng.randint(0, 120))),
        ("hasActiveMedication", "true" if rng.random() < 0.6 else "false"),
        ("daysSinceLastVisit", None if rng.random() < 0.3 else str(rng.randint(0, 200))),
    ]) + "}"


def outcome_request(rng: random.Random) -> str:
    return "{" + _fields([
        ("assessments", _assessments(rng)),
        ("dmseLatencyPctChange", _number(rng, -60, 80, (0, 10, -20, 20, 5))),
        ("activeMedications", str(rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 8)))),
        ("biomarkerWatchCount", str(rng.choice((0, 0, 0, 1, 2, 3, 4)))),
        ("avgSleepHours", _number(rng, 3, 12, (7, 9, 6, 10.5, 8))),
    ]) + "}"


def evaluation_lines(engine: str, count: int, seed: int = 7, outcomes: bool = True) -> list[bytes]:
    """JSON lines for `attunio models compare`; short sleep raises the outcome rate so AUC means something."""
    rng = random.Random(seed)
    make = relapse_request if engine == "relapse_risk" else outcome_request
    lines = []
    for _ in range(count):
        request = make(rng)
        if not outcomes:
            lines.append(request.encode() + b"\n")
            continue
        short = '"avgSleepHours":5' in request or '"avgSleepHours":4' in request or '"avgSleepHours":3' in request
        outcome = int(rng.random() < (0.55 if short else 0.25))
        lines.append(f'{{"request":{request},"outcome":{outcome}}}\n'.encode())
    return lines

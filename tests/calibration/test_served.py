"""Under load on a two-worker server, promote, rollback and reset each switch the model block of every
subsequent answer; no answer mixes versions; every score is exactly what its version's params give."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from tests.calibration.helpers import RELAPSE_V1, RELAPSE_V2, make_vendor, payload, sign
from tests.conftest import Served

from attunio.engines import ENGINES
from attunio.engines.inputs import convert

pytestmark = pytest.mark.e2e
SPEC = ENGINES["relapse_risk"]
PARAMS = {None: SPEC.default_params, 1: msgspec.convert(RELAPSE_V1, SPEC.params_type),
          2: msgspec.convert(RELAPSE_V2, SPEC.params_type)}
BODIES = [
    {"avgSleepHours": 5.5, "daysSinceLastVisit": 70, "daysSinceMedChange": 9, "hasActiveMedication": True,
     "assessments": [{"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": s, "maxScore": 27,
                      "createdAt": f"2026-0{m}-01T00:00:00Z"} for s, m in ((8, 3), (15, 4))]},
    {"avgSleepHours": 6.2, "dmseLatencyPctChange": 18},
    {"daysSinceLastVisit": 120, "assessments": [{"instrumentId": "gad7", "instrumentName": "GAD-7", "score": 16,
                                                 "maxScore": 21, "createdAt": "2026-04-01T00:00:00Z"}]},
]


class Load:
    """Threads posting scored requests on fresh connections (so both workers serve) until stopped."""

    def __init__(self, base_url: str, key: str, threads: int = 4) -> None:
        self.base_url, self.key = base_url, key
        self.answers: list[tuple[float, float, int, dict[str, Any]]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, n: int) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.base_url, timeout=20, limits=limits) as http:
            i = n
            while not self.stop.is_set():
                which = i % len(BODIES)
                sent = time.monotonic()
                answer = http.post("/v1/relapse/predict", json=BODIES[which],
                                   headers={"Authorization": f"Bearer {self.key}"})
                received = time.monotonic()
                if answer.status_code != 200:
                    self.errors.append(f"{answer.status_code}: {answer.text[:200]}")
                else:
                    with self.lock:
                        self.answers.append((sent, received, which, answer.json()["data"]))
                i += 1

    def count(self) -> int:
        with self.lock:
            return len(self.answers)

    def wait_for(self, more: int) -> None:
        target = self.count() + more
        deadline = time.monotonic() + 60
        while self.count() < target and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.count() >= target, "the load stalled"


def expected(which: int, version: int | None, generated_at: str) -> dict[str, Any]:
    request = convert(BODIES[which], SPEC.request_type)
    model = {"key": "relapse_risk", "version": version, "source": "default" if version is None else "calibrated"}
    answer = SPEC.analyze(request, PARAMS[version], datetime.fromisoformat(generated_at), None)
    return {**msgspec.to_builtins(answer), "model": model}


def test_promote_rollback_and_reset_switch_every_worker_under_load(
    serve_appliance: Callable[..., Served], tmp_path: Path
) -> None:
    vendor = make_vendor(tmp_path / "vendor")
    served = serve_appliance(workers=2, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=f'["{vendor.pub_path}"]',
                             ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA="10000000")
    key = served.new_key()
    token = served.cli("admins", "create", "--name", "Dr Ada Okafor", "--role", "reviewer",
                       "--licence-number", "GMC-7654321").stdout.strip().splitlines()[-1]
    token_file = tmp_path / "reviewer.token"
    token_file.write_text(token + "\n")
    for version, params in ((1, RELAPSE_V1), (2, RELAPSE_V2)):
        bundle = tmp_path / f"relapse-v{version}.bundle.json"
        bundle.write_bytes(sign(vendor, payload(version=version, params=params)))
        served.cli("models", "import", str(bundle))

    load = Load(served.base_url, key)
    for thread in load.threads:
        thread.start()
    # (start of the action, end of the action, version every later request must be answered with)
    phases: list[tuple[float, float, int | None]] = []
    try:
        load.wait_for(30)
        steps: list[tuple[tuple[str, ...], int | None]] = [
            (("promote", "relapse_risk", "1"), 1),
            (("promote", "relapse_risk", "2"), 2),
            (("rollback", "relapse_risk"), 1),
            (("reset", "relapse_risk"), None),
        ]
        for args, version in steps:
            started = time.monotonic()
            served.cli("models", *args, "--reason", "e2e review", "--token-file", str(token_file))
            phases.append((started, time.monotonic(), version))
            load.wait_for(40)
    finally:
        load.stop.set()
        for thread in load.threads:
            thread.join(timeout=30)
    assert not load.errors, load.errors[:3]

    seen: dict[int | None, int] = {}
    for sent, received, which, data in load.answers:
        version = data["model"]["version"]
        seen[version] = seen.get(version, 0) + 1
        # No answer mixes versions: every byte of it is what its own version's params give.
        assert data == expected(which, version, data["generatedAt"])
        # A request sent once an action has returned is answered by that action's version; one sent
        # while an action runs may see the version before it or after it, nothing else.
        done = [phase[2] for phase in phases if phase[1] <= sent]
        running = [phase[2] for phase in phases if phase[0] <= sent < phase[1]]
        allowed = {*(done[-1:] or [None]), *running}
        assert version in allowed, (
            f"sent at {sent:.3f}, answered by {version} at {received:.3f}; allowed {allowed}; phases {phases}")
    assert set(seen) == {None, 1, 2}
    # Each switch was exercised: many requests were sent between one action's return and the next.
    for (_, end, _), (start, _, _) in zip(phases, [*phases[1:], (float("inf"), 0.0, None)], strict=True):
        assert sum(end <= sent < start for sent, *_ in load.answers) >= 20
    scores = {v: expected(0, v, "2026-05-15T00:00:00+00:00")["score"] for v in (None, 1, 2)}
    assert len(set(scores.values())) == 3, "the test bodies must score differently under each version"

    trail = served.cli("audit", "export").stdout
    assert trail.count('"action":"model.') == 6, trail[-2000:]
    assert "GMC-7654321" in trail and "e2e review" in trail

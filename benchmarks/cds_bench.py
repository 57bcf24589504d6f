"""CDS Hooks `patient-view` with a 200-resource prefetch, beside same-run baselines.

One appliance process (one worker, plain HTTP, on the server CPUs) and one keep-alive client
sending one request at a time, so each figure is the latency of a single call: the JWT check
(signature, `jti` written to the store), decoding and mapping 200 FHIR resources, three engines,
the cards and the card record. Baselines in the same run, interleaved round by round with the
hook: `GET /cds-services` (the JWT check alone) and `POST /v1/relapse/predict` with the same PHQ-9
series as plain JSON (an engine call on the appliance's own API). Tokens are signed before the
clock starts; each is used once, as the replay check requires.

Run alone: `PYTHONPATH=src:. python -m benchmarks.cds_bench`.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks import harness

BASE = "https://attunio.bench.test"
ISS = "https://ehr.bench.test/"
PV = "/cds-services/attunio-patient-view"
ROUNDS = 5
PER_ROUND = 100
WARMUP = 50


def _obs(oid: str, code: str, value: float, when: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": "Patient/bench"}, "effectiveDateTime": when,
            "valueQuantity": {"value": value}, **extra}


def prefetch() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """200 resources across the seven prefetch keys, and the same PHQ-9 series as assessments."""
    days = [f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}T09:00:00Z" for i in range(300)]
    phq = [_obs(f"phq-{i}", "44261-6", 5 + (i * 7) % 20, days[i * 3]) for i in range(40)]
    item9 = [_obs(f"i9-{i}", "44260-8", 0, days[i * 3]) for i in range(20)]
    gad = [_obs(f"gad-{i}", "70274-6", 3 + (i * 5) % 17, days[i * 3]) for i in range(30)]
    lab_codes = ["2951-2", "14334-7", "3016-3", "751-8", "2345-7", "4548-4", "2093-3", "1742-6", "777-3", "2160-0"]
    interp = ["N", "N", "N", "H", "L", "N", "N", "N", "N", "N"]
    labs = [_obs(f"lab-{i}", lab_codes[i % 10], 1.0 + i % 7, days[i * 2], interpretation=[{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": interp[i % 10]}]}],
        category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                               "code": "laboratory"}]}]) for i in range(100)]
    meds = [{"resourceType": "MedicationRequest", "id": f"med-{i}", "status": "active", "intent": "order",
             "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/bench"},
             "authoredOn": "2026-09-01"} for i, name in enumerate(["Sertraline 100 mg", "Lithium 300 mg",
                                                                    "Quetiapine 50 mg", "Melatonin 3 mg",
                                                                    "Propranolol 10 mg", "Omeprazole 20 mg",
                                                                    "Metformin 500 mg", "Atorvastatin 20 mg",
                                                                    "Levothyroxine 50 mcg", "Folic acid 1 mg"])]

    def bundle(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in items]}

    data = {"phq9": bundle(phq), "phq9item9": bundle(item9), "gad7": bundle(gad), "scales": None,
            "questionnaires": None, "medications": bundle(meds), "labs": bundle(labs)}
    assert sum(len(v["entry"]) for v in data.values() if v) == 200
    assessments = [{"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": o["valueQuantity"]["value"],
                    "maxScore": 27, "createdAt": o["effectiveDateTime"]} for o in phq]
    return data, assessments


class Ehr:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.get_algorithm_by_name("ES384").to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "bench", "alg": "ES384", "use": "sig"}]}

    def tokens(self, aud: str, count: int) -> list[str]:
        now = int(time.time())
        return [jwt.encode({"iss": ISS, "aud": aud, "iat": now, "exp": now + 290, "jti": str(uuid.uuid4())},
                           self.key, algorithm="ES384", headers={"kid": "bench", "typ": "JWT"})
                for _ in range(count)]


def _cli(env: dict[str, str], *args: str) -> str:
    import subprocess

    result = subprocess.run([harness.appliance_python(), "-m", "attunio", *args], env=harness.python_env(env),
                            capture_output=True, text=True, check=True, cwd=harness.REPO, timeout=120)
    return result.stdout


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2), "requests": len(ordered)}


def run(server_cpus: str | None = None, rounds: int = ROUNDS, per_round: int = PER_ROUND) -> dict[str, Any]:
    ehr = Ehr()
    data, assessments = prefetch()
    with tempfile.TemporaryDirectory(prefix="attunio-cds-bench-") as tmp:
        root = Path(tmp)
        port = harness.free_port()
        env = {"ATTUNIO_PATHS_DATA_DIR": str(root / "data"), "ATTUNIO_PATHS_KEY_FILE": str(root / "store.key"),
               "ATTUNIO_TLS_ENABLED": "false", "ATTUNIO_SERVER_PORT": str(port), "ATTUNIO_SERVER_WORKERS": "1",
               "ATTUNIO_SERVER_ACCESS_LOG": "false", "ATTUNIO_CDS_BASE_URL": BASE,
               "ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA": "10000000"}
        _cli(env, "init")
        (root / "jwks.json").write_text(json.dumps(ehr.jwks()))
        _cli(env, "ehr", "register", "--iss", ISS, "--name", "bench", "--jwks", str(root / "jwks.json"))
        key = _cli(env, "keys", "create", "--app", "Bench", "--create-app", "--type", "secret", "--mode", "test"
                   ).strip().splitlines()[-1]
        cmd = harness.pinned(server_cpus, [harness.appliance_python(), "-m", "attunio", "serve"])
        server = harness.start("cds", cmd, harness.python_env(env), f"http://127.0.0.1:{port}",
                               root / "serve.log", ready_path="/readyz")
        total = WARMUP + rounds * per_round
        hook_tokens = iter(ehr.tokens(BASE + PV, total))
        discovery_tokens = iter(ehr.tokens(BASE + "/cds-services", total))
        body = json.dumps({"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                           "context": {"patientId": "bench", "userId": "Practitioner/bench"}, "prefetch": data})
        relapse_body = json.dumps({"assessments": assessments, "hasActiveMedication": True})
        samples: dict[str, list[float]] = {"patient_view": [], "discovery": [], "relapse_api": []}
        cards = 0
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                def once(line: str) -> float:
                    started = time.perf_counter()
                    if line == "patient_view":
                        answer = client.post(PV, content=body, headers={
                            "Authorization": f"Bearer {next(hook_tokens)}", "Content-Type": "application/json"})
                    elif line == "discovery":
                        answer = client.get("/cds-services",
                                            headers={"Authorization": f"Bearer {next(discovery_tokens)}"})
                    else:
                        answer = client.post("/v1/relapse/predict", content=relapse_body, headers={
                            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                    elapsed = time.perf_counter() - started
                    if answer.status_code != 200:
                        raise RuntimeError(f"{line}: {answer.status_code} {answer.text[:300]}")
                    return elapsed

                for line in samples:
                    for _ in range(WARMUP):
                        once(line)
                for _ in range(rounds):  # interleaved, so a slow patch of the machine hits every line
                    for line in samples:
                        samples[line] += [once(line) for _ in range(per_round)]
                cards = len(client.post(PV, content=body, headers={
                    "Authorization": f"Bearer {ehr.tokens(BASE + PV, 1)[0]}",
                    "Content-Type": "application/json"}).json()["cards"])
        finally:
            server.stop()
    return {"prefetch_resources": 200, "body_bytes": len(body), "cards": cards, "rounds": rounds,
            **{line: percentiles(values) for line, values in samples.items()}}


def add_to(report: dict[str, Any], server_cpus: str | None, *, skip: bool) -> None:
    """The line of `scripts/bench` (benchmarks/run.py), unless `--skip-cds`."""
    if not skip:
        print("==> CDS Hooks patient-view, 200-resource prefetch", file=sys.stderr, flush=True)
        report["cds"] = run(server_cpus)


def render(report: dict[str, Any]) -> list[str]:
    lines = [f"CDS Hooks patient-view, {report['prefetch_resources']}-resource prefetch"
             f" ({report['body_bytes']:,} bytes, {report['cards']} cards), one request at a time,"
             f" {report['rounds']} interleaved rounds:"]
    for line, label in (("patient_view", "patient-view hook"), ("discovery", "GET /cds-services (JWT only)"),
                        ("relapse_api", "POST /v1/relapse/predict (baseline)")):
        row = report[line]
        lines.append(f"  {label:<38} p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms"
                     f"  mean {row['mean_ms']:6.2f} ms  ({row['requests']} requests)")
    return lines


if __name__ == "__main__":
    figures = run(*sys.argv[1:2])
    print(json.dumps(figures, indent=2))
    print("\n".join(render(figures)))

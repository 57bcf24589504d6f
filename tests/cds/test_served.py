"""CDS Hooks against a served appliance (two workers) over a socket, with a real FHIR server on
loopback: discovery, both hooks with full, partial (+ FHIR server) and no prefetch, every JWT
refusal, the fetch limits, feedback counted and exported, registration audited."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from tests.cds.fhir_server import FhirServer, running_fhir_server
from tests.cds.helpers import ISS, Signer, bundle, fixture, hook_request, medication, observation
from tests.cds.schema import fhir_errors
from tests.conftest import Served, start_served
from tests.logscan import ISSUED_SECRETS

pytestmark = pytest.mark.e2e

BASE = "https://attunio.hospital.test"
PV = "/cds-services/attunio-patient-view"
OS = "/cds-services/attunio-order-sign"
RECENT = "2026-11-28T09:00:00Z"


def watch_for(token: str) -> None:
    """Give the session-end log scan a 20-character run of this JWT's signature (it looks for what
    follows the last `_` of each secret, so the run is handed over behind a `jwt_` prefix)."""
    run = re.search(r"[A-Za-z0-9]{20}", token.rsplit(".", 1)[-1])
    if run:
        ISSUED_SECRETS.add(f"jwt_{run.group(0)}")


class Ehr:
    def __init__(self, served: Served, fhir: FhirServer, signer: Signer) -> None:
        self.served, self.fhir, self.signer = served, fhir, signer

    def call(self, path: str, body: Any = None, *, token: str | None = None, method: str = "POST",
             auth: str | None = None) -> httpx.Response:
        token = token or self.signer.token(BASE + path)
        watch_for(token)
        headers = {"Authorization": auth if auth is not None else f"Bearer {token}"}
        url = self.served.base_url + path
        if method == "GET":
            return httpx.get(url, headers=headers, timeout=30)
        return httpx.post(url, json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def ehr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ehr]:
    root = tmp_path_factory.mktemp("cds")
    signer = Signer("ES384")
    with running_fhir_server() as fhir:
        served = start_served(root / "instance", workers=2, ATTUNIO_CDS_BASE_URL=BASE,
                              ATTUNIO_CDS_FHIR_SERVERS=json.dumps([fhir.base]),
                              ATTUNIO_CDS_FETCH_TIMEOUT_SECONDS="1.5")
        try:
            jku = fhir.base.removesuffix("/fhir") + "/jwks.json"
            served.cli("ehr", "register", "--iss", ISS, "--name", "epic-test",
                       "--jwks", str(signer.write_jwks(root / "jwks.json")), "--jku", jku)
            yield Ehr(served, fhir, signer)
        finally:
            served.stop()


def full_patient_view() -> dict[str, Any]:
    return {
        "phq9": bundle(observation("phq-a", "44261-6", value=9, when="2026-10-01T09:00:00Z"),
                       observation("phq-b", "44261-6", value=19, when=RECENT)),
        "phq9item9": bundle(observation("item9", "44260-8", value=1, when=RECENT)),
        "gad7": bundle(observation("gad-a", "70274-6", value=12, when=RECENT)),
        "scales": None,
        "questionnaires": bundle(fixture("us-core-qr-phq9.json")),
        "medications": bundle(medication("med-1", "Sertraline 100 mg")),
        "labs": bundle(fixture("us-core-serum-potassium.json"),
                       observation("na-1", "2951-2", value=127, unit="mmol/L", interpretation="L", lab=True,
                                   low=135, high=145, when=RECENT)),
    }


def cards_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"cards"}
    for card in body["cards"]:
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        uuid.UUID(card["uuid"])
        assert card["source"]["label"].startswith("Attunio")
        assert card["source"]["topic"]["code"]
        assert card["links"][0]["type"] == "absolute"
    return list(body["cards"])


def by_kind(cards: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [c for c in cards if c["source"]["topic"]["code"] == kind]


# --- discovery ------------------------------------------------------------------------------

ALLOWED_PARAM = re.compile(r"^(patient=\{\{context\.patientId\}\}|code=[^&]+|category=[a-z-]+|status=[a-z-]+"
                           r"|_sort=-?[a-z]+|_count=\d+)$")


def test_discovery_lists_both_services_with_prefetch_in_the_recommended_subset(ehr: Ehr) -> None:
    answer = ehr.call("/cds-services", method="GET")
    assert answer.status_code == 200, answer.text
    services = {s["id"]: s for s in answer.json()["services"]}
    assert services["attunio-patient-view"]["hook"] == "patient-view"
    assert services["attunio-order-sign"]["hook"] == "order-sign"
    for service in services.values():
        assert service["title"] and service["description"]
        for template in service["prefetch"].values():
            kind, _, query = template.partition("?")
            assert kind in ("Observation", "QuestionnaireResponse", "MedicationRequest")
            assert all(ALLOWED_PARAM.match(p) for p in query.split("&")), template
    pv = services["attunio-patient-view"]["prefetch"]
    assert "44261-6" in pv["phq9"] and "44260-8" in pv["phq9item9"] and "70274-6" in pv["gad7"]


# --- patient-view ---------------------------------------------------------------------------


def test_patient_view_with_full_prefetch_answers_cards_without_fetching(ehr: Ehr) -> None:
    asked = len(ehr.fhir.seen)
    cards = cards_of(ehr.call(PV, hook_request("patient-view", full_patient_view())))
    assert len(ehr.fhir.seen) == asked
    safety = by_kind(cards, "safety")
    assert [c["indicator"] for c in safety] == ["critical"]
    assert "item 9" in safety[0]["summary"]
    relapse = by_kind(cards, "relapse")[0]
    level = relapse["summary"].split()[2]
    assert relapse["indicator"] == ("warning" if level in ("elevated", "high") else "info")
    assert "| Factor | Detail |" in relapse["detail"]
    resources = [a["resource"] for a in relapse["suggestions"][0]["actions"]]
    assert resources[0]["resourceType"] == "RiskAssessment"
    assert resources[0]["method"]["coding"][0]["code"] == "relapse_risk"
    assert {"reference": "Observation/phq-b"} in resources[0]["basis"]
    for resource in resources:  # as they left the socket, against the official R4 schema
        assert fhir_errors(resource) == [], resource
    biomarker = by_kind(cards, "biomarker")[0]
    assert "Sodium" in biomarker["detail"]
    assert by_kind(cards, "outcome")


def test_patient_view_fetches_missing_prefetch_from_the_fhir_server(ehr: Ehr) -> None:
    ehr.fhir.answer("Observation", "44260-8", bundle(observation("srv-item9", "44260-8", value=3, when=RECENT)))
    ehr.fhir.answer("Observation", "44261-6", bundle(observation("srv-phq", "44261-6", value=22, when=RECENT)))
    asked = len(ehr.fhir.seen)
    partial = {"labs": None, "medications": None}
    body = hook_request("patient-view", partial, fhirServer=ehr.fhir.base,
                        fhirAuthorization={"access_token": "opaque-fhir-token", "token_type": "Bearer",
                                           "expires_in": 300, "scope": "patient/Observation.read",
                                           "subject": "attunio"})
    cards = cards_of(ehr.call(PV, body))
    fetched = ehr.fhir.seen[asked:]
    assert sorted(kind for kind, _, _ in fetched) == ["Observation"] * 4 + ["QuestionnaireResponse"]
    assert all(auth == "Bearer opaque-fhir-token" for _, _, auth in fetched)
    assert all(q["patient"] == ["p1"] for _, q, _ in fetched)
    safety = by_kind(cards, "safety")[0]
    assert safety["indicator"] == "critical" and "score 3" in safety["summary"]


def test_patient_view_without_prefetch_or_fhir_server_is_412(ehr: Ehr) -> None:
    answer = ehr.call(PV, hook_request("patient-view", {"labs": None}))
    assert answer.status_code == 412
    error = answer.json()["error"]
    assert error["code"] == "precondition_failed"
    assert "phq9" in error["message"] and "fhirServer" in error["message"]


def test_the_specification_request_example_is_412_when_its_fhir_server_is_not_allowed(ehr: Ehr) -> None:
    answer = ehr.call(PV, fixture("cds-hooks-request-example.json"))
    assert answer.status_code == 412
    assert "allow-list" in answer.json()["error"]["message"]


@pytest.mark.parametrize(("fault", "message"), [("slow_seconds", "no complete answer within"),
                                                ("oversized", "larger than"), ("status", "answered HTTP 401")])
def test_fhir_server_faults_are_412_with_the_reason(ehr: Ehr, fault: str, message: str) -> None:
    setattr(ehr.fhir, fault, {"slow_seconds": 3.0, "oversized": True, "status": 401}[fault])
    try:
        body = hook_request("patient-view", {}, fhirServer=ehr.fhir.base,
                            fhirAuthorization={"access_token": "t", "token_type": "Bearer", "expires_in": 60,
                                               "scope": "patient/*.read", "subject": "attunio"})
        answer = ehr.call(PV, body)
    finally:
        setattr(ehr.fhir, fault, {"slow_seconds": 0.0, "oversized": False, "status": 200}[fault])
    assert answer.status_code == 412, answer.text
    assert message in answer.json()["error"]["message"]


# --- order-sign -----------------------------------------------------------------------------


def lithium_order() -> dict[str, Any]:
    order = medication("draft-1", "Lithium carbonate 300 MG Oral Capsule", status="draft")
    return {"draftOrders": bundle(order)}


def test_order_sign_with_full_prefetch_flags_critical_and_missing_monitoring(ehr: Ehr) -> None:
    labs = bundle(observation("li-1", "14334-7", value=2.2, unit="mmol/L", interpretation="HH", lab=True,
                              when=RECENT),
                  observation("na-2", "2951-2", value=139, unit="mmol/L", interpretation="N", lab=True, when=RECENT))
    body = hook_request("order-sign", {"labs": labs, "medications": None}, context=lithium_order())
    cards = cards_of(ehr.call(OS, body))
    assert by_kind(cards, "critical-lab")[0]["indicator"] == "critical"
    monitoring = by_kind(cards, "monitoring")[0]
    assert monitoring["indicator"] == "critical"
    assert "thyroid function (TSH)" in monitoring["detail"] and "NICE CG185" in monitoring["detail"]


def test_order_sign_fetches_labs_from_the_fhir_server(ehr: Ehr) -> None:
    ehr.fhir.answer("Observation", "category=laboratory",
                    bundle(observation("anc-1", "751-8", value=1.2, unit="10*3/uL", interpretation="L", lab=True,
                                       when=RECENT)))
    order = medication("draft-2", "Clozapine 25 MG Oral Tablet", status="draft")
    body = hook_request("order-sign", {"medications": None}, context={"draftOrders": bundle(order)},
                        fhirServer=ehr.fhir.base,
                        fhirAuthorization={"access_token": "t2", "token_type": "Bearer", "expires_in": 60,
                                           "scope": "patient/Observation.read", "subject": "attunio"})
    cards = cards_of(ehr.call(OS, body))
    monitoring = [c for c in by_kind(cards, "monitoring") if c["summary"].startswith("Clozapine")]
    assert monitoring[0]["indicator"] == "warning" and "Abnormal" in monitoring[0]["detail"]


def test_order_sign_without_prefetch_is_412(ehr: Ehr) -> None:
    answer = ehr.call(OS, hook_request("order-sign", None, context=lithium_order()))
    assert answer.status_code == 412 and answer.json()["error"]["code"] == "precondition_failed"


def test_a_hook_body_for_the_wrong_hook_is_400(ehr: Ehr) -> None:
    answer = ehr.call(PV, hook_request("order-sign", {}))
    assert answer.status_code == 400
    assert "patient-view" in answer.json()["error"]["message"]


# --- JWT refusals ---------------------------------------------------------------------------


def _forged(alg: str, aud: str) -> str:
    claims = {"iss": ISS, "aud": aud, "iat": 1, "exp": 4_000_000_000, "jti": str(uuid.uuid4())}
    if alg == "none":
        return jwt.encode(claims, None, algorithm="none", headers={"kid": "ehr-key-1"})
    return jwt.encode(claims, "a-shared-secret-of-32-bytes-long!", algorithm=alg, headers={"kid": "ehr-key-1"})


REFUSALS: dict[str, Any] = {
    "bad signature": (lambda e, aud: Signer("ES384").token(aud), "signature does not verify"),
    "alg none": (lambda e, aud: _forged("none", aud), "alg 'none' is refused"),
    "alg HS256": (lambda e, aud: _forged("HS256", aud), "alg 'HS256' is refused"),
    "unknown iss": (lambda e, aud: e.signer.token(aud, iss="https://other-ehr.example/"), "not a registered EHR"),
    "wrong aud": (lambda e, aud: e.signer.token(BASE + "/cds-services/other"), "`aud` must be the URL called"),
    "expired": (lambda e, aud: e.signer.token(aud, iat=1_700_000_000), "expired"),
    "iat in the future": (lambda e, aud: e.signer.token(aud, iat=time.time() + 3600), "in the future"),
    "kid not in JWKS": (lambda e, aud: Signer("ES384", kid="rotated-key").token(aud), "is not in the registered"),
    "no jti": (lambda e, aud: e.signer.token(aud, drop=("jti",)), "claim `jti` is required"),
    "too long-lived": (lambda e, aud: e.signer.token(aud, lifetime=86_400), "lifetime"),
    "jku not registered": (lambda e, aud: e.signer.token(aud, headers={"jku": "https://evil.example/jwks"}),
                           "`jku` is not a JWK Set URL registered"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
@pytest.mark.parametrize("path", ["/cds-services", PV])
def test_every_jwt_refusal_is_401_invalid_token(ehr: Ehr, case: str, path: str) -> None:
    make, message = REFUSALS[case]
    method = "GET" if path == "/cds-services" else "POST"
    answer = ehr.call(path, hook_request("patient-view", full_patient_view()), token=make(ehr, BASE + path),
                      method=method)
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    error = answer.json()["error"]
    assert error["code"] == "invalid_token" and message in error["message"]


def test_missing_authorization_is_401(ehr: Ehr) -> None:
    answer = ehr.call("/cds-services", method="GET", auth="")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


def test_a_replayed_jti_is_refused_by_every_worker(ehr: Ehr) -> None:
    token = ehr.signer.token(BASE + "/cds-services")
    assert ehr.call("/cds-services", method="GET", token=token).status_code == 200
    pids = ehr.served.workers_answering(lambda: ehr.call("/cds-services", method="GET", token=token), 401, 2)
    assert len(pids) == 2
    replay = ehr.call("/cds-services", method="GET", token=token)
    assert "used before" in replay.json()["error"]["message"]


def test_rs384_tokens_and_jku_key_sets_are_accepted(ehr: Ehr, tmp_path: Path) -> None:
    rsa = Signer("RS384", kid="rsa-key")
    ehr.fhir.jwks = rsa.jwks()
    jku = ehr.fhir.base.removesuffix("/fhir") + "/jwks.json"
    token = rsa.token(BASE + "/cds-services", headers={"jku": jku})
    answer = ehr.call("/cds-services", method="GET", token=token)
    assert answer.status_code == 200, answer.text


# --- feedback and registration ----------------------------------------------------------------


def test_feedback_from_the_specification_examples_is_counted_per_kind_and_model(ehr: Ehr) -> None:
    cards = cards_of(ehr.call(PV, hook_request("patient-view", full_patient_view())))
    relapse, safety = by_kind(cards, "relapse")[0], by_kind(cards, "safety")[0]
    accepted, plain, with_reason = fixture("cds-hooks-feedback-examples.json")
    accepted["feedback"][0]["card"] = relapse["uuid"]
    plain["feedback"][0]["card"] = safety["uuid"]
    with_reason["feedback"][0]["overrideReason"]["reason"] = {"system": relapse["overrideReasons"][0]["system"],
                                                              "code": "already-addressed"}
    with_reason["feedback"][0]["card"] = safety["uuid"]
    for body in (accepted, plain, with_reason):
        answer = ehr.call(PV + "/feedback", body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"counted": 1, "unknownCards": 0}
    exported = json.loads(ehr.served.cli("ehr", "feedback", "--json").stdout)
    counts = {(r["kind"], r["model_key"], r["model_version"], r["outcome"], r["reason"]): r["count"] for r in exported}
    assert counts[("relapse", "relapse_risk", "default", "accepted", "none")] >= 1
    assert counts[("safety", "safety_floor", "default", "overridden", "none")] >= 1
    assert counts[("safety", "safety_floor", "default", "overridden", "already-addressed")] >= 1
    assert "comment" not in json.dumps(exported).lower()


def test_feedback_that_is_not_the_spec_shape_is_400(ehr: Ehr) -> None:
    answer = ehr.call(PV + "/feedback", {"feedback": [{"card": "x", "outcome": "liked"}]})
    assert answer.status_code == 400 and "outcome" in answer.json()["error"]["message"]


def test_registration_and_removal_are_audited_and_listed(ehr: Ehr, tmp_path: Path) -> None:
    other = Signer("ES384", kid="k2")
    ehr.served.cli("ehr", "register", "--iss", "https://second.example/", "--name", "second",
                   "--jwks", str(other.write_jwks(tmp_path / "k2.json")))
    assert ehr.call("/cds-services", method="GET",
                    token=other.token(BASE + "/cds-services", iss="https://second.example/")).status_code == 200
    ehr.served.cli("ehr", "remove", "https://second.example/", "--reason", "test over")
    refused = ehr.call("/cds-services", method="GET",
                       token=other.token(BASE + "/cds-services", iss="https://second.example/"))
    assert refused.status_code == 401
    listed = json.loads(ehr.served.cli("ehr", "list", "--json").stdout)
    assert {r["iss"]: r["removed_at"] is not None for r in listed} == {ISS: False, "https://second.example/": True}
    calls = json.loads(ehr.served.cli("ehr", "calls", "--json").stdout)
    assert any(r["iss"] == ISS and r["tenant"] == "tenant-1" and r["count"] >= 1 for r in calls)
    trail = ehr.served.cli("audit", "export").stdout
    assert "ehr.register" in trail and "ehr.remove" in trail and "test over" in trail


def test_registration_refuses_a_shared_secret_key_set(ehr: Ehr, tmp_path: Path) -> None:
    path = tmp_path / "oct.json"
    path.write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "s"}]}), encoding="utf-8")
    result = ehr.served.cli("ehr", "register", "--iss", "https://x.example/", "--name", "x", "--jwks", str(path),
                            check=False)
    assert result.returncode != 0 and "asymmetric" in result.stderr

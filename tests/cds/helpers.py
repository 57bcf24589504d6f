"""Keys, JWTs and FHIR resources for the CDS Hooks tests."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ISS = "https://ehr.hospital.example/"


class Signer:
    """An EHR's key pair: signs CDS Hooks JWTs and publishes its JWK Set."""

    def __init__(self, alg: str = "ES384", kid: str = "ehr-key-1") -> None:
        self.alg, self.kid = alg, kid
        self.private: Any = (ec.generate_private_key(ec.SECP384R1()) if alg.startswith("ES")
                             else rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        algo = jwt.get_algorithm_by_name(self.alg)
        public = json.loads(algo.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk()]}

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def token(self, aud: str, *, iss: str = ISS, lifetime: int = 120, iat: float | None = None,
              jti: str | None = None, headers: dict[str, Any] | None = None, tenant: str | None = "tenant-1",
              drop: tuple[str, ...] = ()) -> str:
        issued = time.time() if iat is None else iat
        claims: dict[str, Any] = {"iss": iss, "aud": aud, "iat": int(issued), "exp": int(issued) + lifetime,
                                  "jti": jti or str(uuid.uuid4())}
        if tenant:
            claims["tenant"] = tenant
        for name in drop:
            claims.pop(name)
        return jwt.encode(claims, self.private, algorithm=self.alg,
                          headers={"kid": self.kid, "typ": "JWT", **(headers or {})})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def observation(oid: str, code: str, *, value: float | None = None, when: str = "2026-11-20T09:00:00Z",
                unit: str | None = None, interpretation: str | None = None, status: str = "final",
                lab: bool = False, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    obs: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": status,
                           "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                           "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when}
    if lab:
        obs["category"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                        "code": "laboratory"}]}]
    if value is not None:
        obs["valueQuantity"] = {"value": value, **({"unit": unit} if unit else {})}
    if interpretation:
        obs["interpretation"] = [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": interpretation}]}]
    if low is not None and high is not None:
        obs["referenceRange"] = [{"low": {"value": low}, "high": {"value": high}}]
    return obs


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def medication(mid: str, name: str, *, status: str = "active", authored: str = "2026-10-01") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
            "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/p1"},
            "authoredOn": authored}


def hook_request(hook: str, prefetch: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    context = {"userId": "Practitioner/example", "patientId": "p1", **extra.pop("context", {})}
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    body.update(extra)
    return body

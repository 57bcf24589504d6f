"""Engine results as FHIR R4 resources, for EHRs that store them: the relapse result as a
`RiskAssessment`, the outcome score and each biomarker finding as an `Observation`. Each names the
model that produced it (`method.coding` with the model key and version) and what it was derived
from. Pure; validated against the official R4 JSON schema in the tests."""

from __future__ import annotations

import re
from typing import Any

from attunio.engines.biomarker import BiomarkerAnalysis
from attunio.engines.common import ModelRef
from attunio.engines.outcome import OutcomeScore
from attunio.engines.relapse import RelapsePrediction

MODELS = "https://attuniohealth.com/fhir/CodeSystem/model"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
RISK = "http://terminology.hl7.org/CodeSystem/risk-probability"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PERFORMER = {"display": "Attunio Clinical Intelligence"}
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
REFERENCE = re.compile(r"^(Observation|QuestionnaireResponse|MedicationRequest)/[A-Za-z0-9\-.]{1,64}$")
# The engine's four levels onto the risk-probability codes; `elevated` goes up, not down.
_RISK_CODE = {"low": "low", "moderate": "moderate", "elevated": "high", "high": "high"}
_TONE_INTERPRETATION = {"critical": "AA", "elevated": "A", "watch": "A"}


def method(model: ModelRef, display: str) -> dict[str, Any]:
    version = "default" if model.version is None else str(model.version)
    return {"coding": [{"system": MODELS, "code": model.key, "version": version, "display": display}],
            "text": f"{display}, model {model.key} {version} ({model.source})"}


def _context(patient_id: str, encounter_id: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {"subject": {"reference": f"Patient/{patient_id}"}}
    if encounter_id and FHIR_ID.match(encounter_id):
        context["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return context


def references(refs: list[str]) -> list[dict[str, str]]:
    return [{"reference": ref} for ref in dict.fromkeys(refs) if REFERENCE.match(ref)]


def risk_assessment(result: RelapsePrediction, patient_id: str, encounter_id: str | None,
                    basis: list[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "method": method(result.model, "Attunio relapse early warning"),
        "code": {"text": "Relapse early warning score"},
        **_context(patient_id, encounter_id),
        "occurrenceDateTime": result.generatedAt,
        "performer": PERFORMER,
        "prediction": [{
            "outcome": {"text": "Relapse"},
            "qualitativeRisk": {"coding": [{"system": RISK, "code": _RISK_CODE[result.level]}],
                                "text": f"{result.level} ({result.score}/100, trend {result.trend})"},
            "rationale": result.summaryLine,
        }],
        "mitigation": result.recommendation,
        "note": [{"text": result.disclaimer}],
    }
    if refs := references(basis):
        resource["basis"] = refs
    return resource


def outcome_observation(result: OutcomeScore, patient_id: str, encounter_id: str | None,
                        basis: list[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey"}]}],
        "code": {"coding": [{"system": MODELS, "code": "outcome_score", "display": "Attunio outcome score"}],
                 "text": "Outcome score"},
        **_context(patient_id, encounter_id),
        "effectiveDateTime": result.generatedAt,
        "performer": [PERFORMER],
        "valueQuantity": {"value": result.score, "unit": "score", "system": "http://unitsofmeasure.org",
                          "code": "{score}"},
        "method": method(result.model, "Attunio outcome score"),
        "note": [{"text": result.summaryLine}, {"text": result.disclaimer}],
    }
    if refs := references(basis):
        resource["derivedFrom"] = refs
    return resource


def finding_observations(result: BiomarkerAnalysis, patient_id: str, encounter_id: str | None) -> list[dict[str, Any]]:
    found = []
    for signal in result.signals:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
            "code": {"coding": [{"system": MODELS, "code": signal.signalKey, "display": signal.label}],
                     "text": f"{signal.label}: psychiatric relevance"},
            **_context(patient_id, encounter_id),
            "effectiveDateTime": result.generatedAt,
            "performer": [PERFORMER],
            "valueString": signal.summaryLine,
            "method": method(result.model, "Attunio biomarker interpretation"),
            "note": [{"text": signal.detail}],
        }
        if code := _TONE_INTERPRETATION.get(signal.tone):
            resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": code}]}]
        if signal.sourceRef and (refs := references([signal.sourceRef])):
            resource["derivedFrom"] = refs
        found.append(resource)
    return found

"""The two CDS services and their prefetch templates (CDS Hooks 2.0 discovery).

Templates use only the query subset the specification recommends: type-level searches by
`patient`, token equality on `code`/`category`/`status`, `_sort` and `_count`. A template cannot
carry a relative date, so the look-back windows are applied here to what comes back.
"""

from __future__ import annotations

from typing import Any, Final

from attunio.cds import codes

PATIENT_VIEW: Final = "attunio-patient-view"
ORDER_SIGN: Final = "attunio-order-sign"


def _codes(*loinc: str) -> str:
    return ",".join(f"{codes.LOINC}|{code}" for code in loinc)


_OTHER_SCALES = sorted(code for code, i in codes.INSTRUMENTS.items() if i.id not in ("phq9", "gad7"))
_PATIENT = "patient={{context.patientId}}"
LABS: Final = f"Observation?{_PATIENT}&category=laboratory&_sort=-date&_count=100"
MEDICATIONS: Final = f"MedicationRequest?{_PATIENT}&status=active&_count=50"

PREFETCH: Final[dict[str, dict[str, str]]] = {
    PATIENT_VIEW: {
        "phq9": f"Observation?{_PATIENT}&code={_codes('44261-6', '44249-1')}&_sort=-date&_count=20",
        "phq9item9": f"Observation?{_PATIENT}&code={_codes(codes.PHQ9_ITEM9)}&_sort=-date&_count=5",
        "gad7": f"Observation?{_PATIENT}&code={_codes('70274-6', '69737-5')}&_sort=-date&_count=20",
        "scales": f"Observation?{_PATIENT}&code={_codes(*_OTHER_SCALES)}&_sort=-date&_count=40",
        "questionnaires": f"QuestionnaireResponse?{_PATIENT}&status=completed&_sort=-authored&_count=20",
        "medications": MEDICATIONS,
        "labs": LABS,
    },
    ORDER_SIGN: {
        "labs": LABS,
        "medications": MEDICATIONS,
    },
}

SERVICES: Final[list[dict[str, Any]]] = [
    {
        "hook": "patient-view",
        "id": PATIENT_VIEW,
        "title": "Attunio measurement-based care",
        "description": "Relapse early warning, outcome trajectory and psychiatric relevance of flagged labs "
                       "from the patient's symptom scales (PHQ-9, GAD-7 and others by LOINC), active "
                       "medications and recent laboratory results. Positive PHQ-9 item 9 answers and "
                       "critical lab values always produce a critical card.",
        "prefetch": PREFETCH[PATIENT_VIEW],
    },
    {
        "hook": "order-sign",
        "id": ORDER_SIGN,
        "title": "Attunio psychotropic monitoring check",
        "description": "Checks a lithium, clozapine, valproate or antipsychotic order against the patient's "
                       "recent monitoring labs (drug level, ANC, sodium, renal, thyroid, liver and "
                       "metabolic markers): critical values, abnormal results and missing monitoring.",
        "prefetch": PREFETCH[ORDER_SIGN],
    },
]
BY_ID: Final = {service["id"]: service for service in SERVICES}


def fill(template: str, context: dict[str, str]) -> str:
    """A prefetch template with its tokens replaced (only the ones these templates use)."""
    return template.replace("{{context.patientId}}", context["patientId"])

"""Every FHIR resource the services return validates against the official R4 JSON schema."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from tests.cds.helpers import bundle, medication, observation
from tests.cds.schema import fhir_errors
from tests.cds.strategies import resources
from tests.cds.test_safety_property import NOW, active

from attunio.cds import hooks
from attunio.cds.fhir_in import Mapper, entries
from attunio.cds.service import save_actions


def returned(items: list[Any], encounter: str | None = "enc-1") -> list[dict[str, Any]]:
    mapper = Mapper()
    mapper.read("prefetch.all", entries(bundle(*items)))
    view = hooks.patient_view(mapper.evidence, active, NOW)
    return [action["resource"] for action in save_actions(view, mapper.evidence, "p1", encounter)]


RICH = [observation("phq-a", "44261-6", value=8, when="2026-09-01T09:00:00Z"),
        observation("phq-b", "44261-6", value=21, when="2026-11-20T09:00:00Z"),
        observation("na", "2951-2", value=126, unit="mmol/L", interpretation="LL", lab=True),
        observation("li", "14334-7", value=1.6, unit="mmol/L", interpretation="H", lab=True),
        medication("m1", "Lithium carbonate 300 mg")]


def test_risk_assessment_outcome_and_finding_observations_validate() -> None:
    made = returned(RICH)
    kinds = [r["resourceType"] for r in made]
    assert kinds[0] == "RiskAssessment" and kinds.count("Observation") >= 3
    for resource in made:
        assert fhir_errors(resource) == [], resource
    assert {"reference": "Observation/phq-b"} in made[0]["basis"]
    assert made[0]["method"]["coding"][0]["version"] == "default"


def test_the_schema_check_can_fail() -> None:
    broken = dict(returned(RICH)[0])
    del broken["subject"]
    broken["score"] = 62
    broken["occurrenceDateTime"] = "1 December 2026"
    assert len(fhir_errors(broken)) == 3


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources)
def test_resources_from_random_bundles_validate(items: list[Any]) -> None:
    for resource in returned(items, encounter=None):
        assert fhir_errors(resource) == [], resource

"""FHIR R4 -> engine inputs, on published examples (tests/cds/fixtures/README.md) and edge cases:
every resource is used or reported, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.cds.helpers import bundle, fixture, medication, observation

from attunio.cds.fhir_in import Evidence, Mapper, entries, fhir_instant


def mapped(*resources: Any) -> Evidence:
    mapper = Mapper()
    mapper.read("prefetch.test", entries(bundle(*resources)))
    return mapper.evidence


def accounted(evidence: Evidence, count: int) -> None:
    """Each resource handed in is either used or named in an issue."""
    named = set(evidence.used) | {i.resource for i in evidence.issues}
    assert len(named) == count, (evidence.used, evidence.issues)


def test_us_core_phq9_questionnaire_response_gives_its_total_and_item_9() -> None:
    evidence = mapped(fixture("us-core-qr-phq9.json"))
    [score] = evidence.assessments
    assert (score.instrumentId, score.score, score.maxScore) == ("phq9", 7.0, 27)
    assert score.createdAt == datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    [item9] = evidence.safety
    assert item9.points == 0 and item9.source == "QuestionnaireResponse/DepressionPHQ9Example"
    accounted(evidence, 1)


def test_a_positive_item_9_after_the_total_item_is_still_read() -> None:
    qr = fixture("us-core-qr-phq9.json")
    qr["item"].insert(0, {"linkId": "total", "code": [{"system": "http://loinc.org", "code": "44261-6"}],
                          "answer": [{"valueInteger": 9}]})
    qr["item"][-1]["answer"] = [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}]
    evidence = mapped(qr)
    assert evidence.assessments[0].score == 9
    assert [e.points for e in evidence.safety] == [2]


def test_us_core_serum_potassium_is_read_as_a_normal_lab() -> None:
    evidence = mapped(fixture("us-core-serum-potassium.json"))
    [lab] = evidence.labs
    reading = lab.results.biomarkers[0]
    assert (reading.name, reading.value, reading.unit, reading.flag) == ("Potassium SerPl-sCnc", 5.4, "mmol/L",
                                                                         "normal")
    assert reading.referenceRange == "3.5-5.5"
    assert lab.observedAt == datetime(2005, 7, 5, tzinfo=UTC)
    assert not evidence.critical_labs and not evidence.issues


def test_the_specification_prefetch_example_is_reported_not_dropped() -> None:
    mapper = Mapper()
    mapper.read("prefetch.hemoglobin-a1c", entries(fixture("cds-hooks-prefetch-hba1c.json")))
    [issue] = mapper.evidence.issues
    assert issue.resource == "prefetch.hemoglobin-a1c.entry[0]" and "status missing" in issue.message


@pytest.mark.parametrize(("resource", "message"), [
    (observation("o1", "44261-6", value=30), "outside 0–27"),
    (observation("o2", "44261-6"), "no numeric value"),
    (observation("o3", "44261-6", value=5, when="2026-11"), "too imprecise"),
    (observation("o4", "44261-6", value=5, when="2026-11-01T09:00:00"), "no time zone"),
    (observation("o5", "44261-6", value=5, status="entered-in-error"), "not a usable result"),
    (observation("o6", "8867-4", value=70), "not one this service reads"),
    (observation("o7", "44260-8"), "could not be read"),
    ({"resourceType": "Condition", "id": "c1"}, "'Condition' is not read"),
    ({"resourceType": "Observation", "id": "o8", "status": 5}, "invalid Observation"),
    (medication("m1", "Lithium", status="stopped"), "not an active prescription"),
    ({"resourceType": "MedicationRequest", "id": "m2", "status": "active"}, "names no medication"),
    ({"resourceType": "OperationOutcome", "id": "oo"}, "reported an error"),
])
def test_unusable_resources_are_reported_with_the_reason(resource: dict[str, Any], message: str) -> None:
    evidence = mapped(resource)
    assert any(message in issue.message for issue in evidence.issues), evidence.issues
    accounted(evidence, 1)


@pytest.mark.parametrize(("code", "value", "flag"), [
    ("HH", 2.1, "critical"), ("LL", 0.4, "critical"), ("AA", 1.0, "critical"), ("H", 1.3, "high"),
    ("L", 0.3, "low"), ("N", 0.8, "normal"), ("A", 0.2, "low"), (None, 1.4, "high"), (None, 0.8, "normal"),
])
def test_lab_flags_follow_the_interpretation_then_the_reference_range(code: str | None, value: float,
                                                                      flag: str) -> None:
    evidence = mapped(observation("li", "14334-7", value=value, unit="mmol/L", interpretation=code, lab=True,
                                  low=0.6, high=1.2))
    assert evidence.labs[0].results.biomarkers[0].flag == flag
    assert bool(evidence.critical_labs) == (flag == "critical")


def test_a_critical_interpretation_on_an_unknown_code_still_counts() -> None:
    evidence = mapped(observation("x", "9999-9", value=7, interpretation="HH"))
    assert evidence.critical_labs[0].name == "9999-9"


def test_coded_item_9_answers_are_scored_by_their_loinc_answer_code() -> None:
    obs = observation("i9", "44260-8")
    obs["valueCodeableConcept"] = {"coding": [{"system": "http://loinc.org", "code": "LA6571-9"}]}
    assert mapped(obs).safety[0].points == 3


def test_the_same_resource_under_two_prefetch_keys_counts_once() -> None:
    mapper = Mapper()
    obs = observation("same", "44261-6", value=5)
    mapper.read("prefetch.a", entries(bundle(obs)))
    mapper.read("prefetch.b", entries(bundle(obs)))
    assert len(mapper.evidence.assessments) == 1


def test_fhir_dates() -> None:
    assert fhir_instant("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)
    assert fhir_instant("2026-01-02T03:04:05+02:00") == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="imprecise"):
        fhir_instant("2026")


def test_a_phq9_panel_gives_its_total_and_item_9_from_components() -> None:
    panel = observation("panel", "44249-1", value=14)
    panel["component"] = [{"code": {"coding": [{"system": "http://loinc.org", "code": "44260-8"}]},
                           "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA6569-3"}]}}]
    evidence = mapped(panel)
    assert [a.score for a in evidence.assessments] == [14]
    assert [e.points for e in evidence.safety] == [1]


def test_a_panel_with_nothing_readable_is_reported() -> None:
    evidence = mapped(observation("empty-panel", "44249-1"))
    assert "panel with no total" in evidence.issues[0].message


def test_a_phq9_group_item_named_like_item_9_is_not_taken_for_it() -> None:
    qr = fixture("us-core-qr-phq9.json")
    qr["item"] = [{"linkId": "phq9", "text": "PHQ-9", "item": qr["item"]}]
    evidence = mapped(qr)
    assert [e.points for e in evidence.safety] == [0] and not evidence.issues


def test_us_core_phq9_total_and_item_9_observations_map_to_a_score_and_a_negative_item() -> None:
    """US Core's published PHQ-9 Observations: the total (as valueString "12") and item 9 ("Not at all")."""
    evidence = mapped(fixture("us-core-phq9-total-observation.json"), fixture("us-core-phq9-item9-observation.json"))
    [score] = evidence.assessments
    assert (score.instrumentId, score.score, score.maxScore) == ("phq9", 12.0, 27)
    assert score.createdAt == datetime(2022, 11, 29, 20, 50, 32, 718000, tzinfo=UTC)
    [item9] = evidence.safety
    assert item9.points == 0
    accounted(evidence, 2)


@pytest.mark.parametrize("text", ["<5", "12 points", "1e3", "", "twelve"])
def test_a_total_written_as_other_text_is_reported_not_guessed(text: str) -> None:
    total = fixture("us-core-phq9-total-observation.json")
    total["valueString"] = text
    evidence = mapped(total)
    assert evidence.assessments == []
    accounted(evidence, 1)


def test_every_registry_instrument_and_safety_item_with_a_loinc_code_is_read_from_fhir() -> None:
    from attunio.cds import codes
    from attunio.engines.instruments import REGISTRY

    for entry in REGISTRY:
        if entry.loinc:
            read = codes.INSTRUMENTS[entry.loinc]
            assert (read.id, read.max_score) == (entry.id, entry.maximum)
        for item in entry.safety_items:
            if item.loinc:
                assert codes.SAFETY_ITEMS[item.loinc] == item.label
    assert codes.PHQ9_ITEM9 in codes.SAFETY_ITEMS  # the prefetch template asks for this very code

"""Reading values out of decoded FHIR R4 elements: interpretation codes, lab flags, reference
ranges, numbers, answer points, names. Pure functions over `fhir_types`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from attunio.cds import codes
from attunio.cds.fhir_types import Answer, CodeableConcept, Component, Item, Observation

# A score written as text: digits with an optional decimal part, nothing else (no "<5", no units).
PLAIN_NUMBER = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def interpretation_codes(concepts: list[CodeableConcept]) -> set[str]:
    found: set[str] = set()
    for concept in concepts:
        for coding in concept.coding:
            if coding.code and coding.system in (codes.INTERPRETATION, None):
                found.add(coding.code)
    return found


def is_laboratory(obs: Observation) -> bool:
    return any("laboratory" in c.code_in("http://terminology.hl7.org/CodeSystem/observation-category")
               for c in obs.category)


def lab_flag(interpretation: set[str], value: float | str | None, reference: str | None) -> str | None:
    """The lab's own interpretation decides; without one, the value against its reference range."""
    flags = [codes.FLAGS[c] for c in interpretation if c in codes.FLAGS]
    for wanted in ("critical", "high", "low", "normal"):
        if wanted in flags:
            if wanted == "high" and "A" in interpretation and "H" not in interpretation:
                return direction_from_range(value, reference) or "high"
            return wanted
    return direction_from_range(value, reference)


def direction_from_range(value: float | str | None, reference: str | None) -> str | None:
    if not isinstance(value, float) or reference is None:
        return None
    low, _, high = reference.partition("-")
    try:
        if high and value > float(high):
            return "high"
        if low and value < float(low):
            return "low"
    except ValueError:
        return None
    return "normal"


def reference_text(obs: Observation) -> str | None:
    for rng in obs.referenceRange:
        low = rng.low.value if rng.low else None
        high = rng.high.value if rng.high else None
        if low is not None and high is not None:
            return f"{low:g}-{high:g}"
        if high is not None:
            return f"<{high:g}"
        if low is not None:
            return f">{low:g}"
    return None


def observation_number(obs: Observation | Component) -> float | None:
    if obs.valueQuantity is not None and obs.valueQuantity.value is not None:
        return float(obs.valueQuantity.value)
    if obs.valueInteger is not None:
        return float(obs.valueInteger)
    if obs.valueString is not None and PLAIN_NUMBER.fullmatch(obs.valueString.strip()):
        # US Core's own PHQ-9 total example carries its score as valueString "12".
        return float(obs.valueString)
    return None


def observation_points(obs: Observation | Component) -> int | None:
    number = observation_number(obs)
    if number is not None:
        return int(number) if number == int(number) and number >= 0 else None
    if obs.valueCodeableConcept is not None:
        for code in obs.valueCodeableConcept.code_in(codes.LOINC):
            if code in codes.ANSWER_POINTS:
                return codes.ANSWER_POINTS[code]
    return None


def answer_points(answers: list[Answer]) -> int | None:
    for answer in answers:
        if answer.valueInteger is not None:
            return answer.valueInteger
        if answer.valueDecimal is not None and answer.valueDecimal == int(answer.valueDecimal):
            return int(answer.valueDecimal)
        if answer.valueCoding is not None and answer.valueCoding.code in codes.ANSWER_POINTS:
            return codes.ANSWER_POINTS[answer.valueCoding.code]
    return None


def item_code(item: Item) -> str | None:
    for coding in item.code:
        if coding.system == codes.LOINC and coding.code:
            return coding.code
    known = item.linkId if item.linkId in codes.INSTRUMENTS or item.linkId in codes.SAFETY_ITEMS else None
    return known


def flatten(items: list[Item]) -> Iterator[Item]:
    for item in items:
        yield item
        yield from flatten(item.item)


def display_name(concept: CodeableConcept | None) -> str:
    if concept is None:
        return "Unnamed result"
    if concept.text:
        return concept.text
    for coding in concept.coding:
        if coding.display:
            return coding.display
    return next((c.code for c in concept.coding if c.code), "Unnamed result")

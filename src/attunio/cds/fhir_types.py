"""msgspec Structs for the subset of FHIR R4 the services read. Unknown fields are ignored (a
real EHR sends far more than we read); what we read is type-checked as it is decoded."""

from __future__ import annotations

from typing import Any

import msgspec


class Coding(msgspec.Struct, frozen=True, kw_only=True):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(msgspec.Struct, frozen=True, kw_only=True):
    coding: list[Coding] = msgspec.field(default_factory=list)
    text: str | None = None

    def code_in(self, system: str) -> list[str]:
        return [c.code for c in self.coding if c.system == system and c.code]


class Quantity(msgspec.Struct, frozen=True, kw_only=True):
    value: float | None = None
    unit: str | None = None
    code: str | None = None
    comparator: str | None = None


class Range(msgspec.Struct, frozen=True, kw_only=True):
    low: Quantity | None = None
    high: Quantity | None = None
    text: str | None = None


class Period(msgspec.Struct, frozen=True, kw_only=True):
    start: str | None = None
    end: str | None = None


class Reference(msgspec.Struct, frozen=True, kw_only=True):
    reference: str | None = None
    display: str | None = None


class Component(msgspec.Struct, frozen=True, kw_only=True):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None
    valueInteger: int | None = None
    valueString: str | None = None
    valueCodeableConcept: CodeableConcept | None = None


class Observation(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None = None
    status: str | None = None
    code: CodeableConcept | None = None
    category: list[CodeableConcept] = msgspec.field(default_factory=list)
    effectiveDateTime: str | None = None
    effectivePeriod: Period | None = None
    effectiveInstant: str | None = None
    issued: str | None = None
    valueQuantity: Quantity | None = None
    valueInteger: int | None = None
    valueString: str | None = None
    valueCodeableConcept: CodeableConcept | None = None
    interpretation: list[CodeableConcept] = msgspec.field(default_factory=list)
    referenceRange: list[Range] = msgspec.field(default_factory=list)
    hasMember: list[Reference] = msgspec.field(default_factory=list)
    component: list[Component] = msgspec.field(default_factory=list)


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    valueInteger: int | None = None
    valueDecimal: float | None = None
    valueCoding: Coding | None = None
    valueString: str | None = None


class Item(msgspec.Struct, frozen=True, kw_only=True):
    linkId: str
    code: list[Coding] = msgspec.field(default_factory=list)
    text: str | None = None
    answer: list[Answer] = msgspec.field(default_factory=list)
    item: list[Item] = msgspec.field(default_factory=list)


class QuestionnaireResponse(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None = None
    status: str | None = None
    questionnaire: str | None = None
    authored: str | None = None
    item: list[Item] = msgspec.field(default_factory=list)


class MedicationRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None = None
    status: str | None = None
    intent: str | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    authoredOn: str | None = None
    dosageInstruction: list[dict[str, Any]] = msgspec.field(default_factory=list)

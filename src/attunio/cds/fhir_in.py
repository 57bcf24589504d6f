"""FHIR R4 resources -> the engines' inputs. Pure: no clock, no I/O.

Every resource handed in ends up either used or in `issues` with the reason it was not: a
resource is never dropped silently. Safety items (PHQ-9 item 9, also as a panel component) and critical lab
interpretations are collected on their own, so the cards can never lose them to an engine's
choices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from attunio.cds import codes
from attunio.cds.fhir_types import MedicationRequest, Observation, QuestionnaireResponse
from attunio.cds.fhir_values import (
    answer_points,
    display_name,
    flatten,
    interpretation_codes,
    is_laboratory,
    item_code,
    lab_flag,
    observation_number,
    observation_points,
    reference_text,
)
from attunio.engines.biomarker import Biomarker, Lab, Results
from attunio.engines.inputs import MAX_ASSESSMENTS, Assessment
from attunio.engines.medication import Prescription

USABLE_OBSERVATION = frozenset({"final", "amended", "corrected", "preliminary"})
USABLE_RESPONSE = frozenset({"completed", "amended"})
ACTIVE_MEDICATION = frozenset({"active", "on-hold"})
_PHQ9_QUESTIONNAIRE = re.compile(r"44249-1|phq-?9", re.IGNORECASE)
_ITEM_NINE = re.compile(r"(?:^|\D)0?9$")


class Issue(msgspec.Struct, frozen=True, kw_only=True):
    resource: str  # `Observation/abc`, or where it sat in the request when it has no id
    message: str


class SafetyEntry(msgspec.Struct, frozen=True, kw_only=True):
    item: str  # the LOINC code of the safety item
    label: str
    points: int | None  # None: present but its answer could not be read
    at: datetime | None
    source: str


class CriticalLab(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    value: str
    code: str  # the interpretation code (HH, LL, AA)
    source: str


class Evidence(msgspec.Struct, kw_only=True):
    assessments: list[Assessment] = msgspec.field(default_factory=list)
    labs: list[Lab] = msgspec.field(default_factory=list)
    prescriptions: list[Prescription] = msgspec.field(default_factory=list)
    orders: list[Prescription] = msgspec.field(default_factory=list)
    safety: list[SafetyEntry] = msgspec.field(default_factory=list)
    critical_labs: list[CriticalLab] = msgspec.field(default_factory=list)
    lab_codes: dict[str, datetime | None] = msgspec.field(default_factory=dict)  # marker name -> latest
    issues: list[Issue] = msgspec.field(default_factory=list)
    used: list[str] = msgspec.field(default_factory=list)  # references of the resources used
    scale_sources: list[str] = msgspec.field(default_factory=list)  # of the scale scores and prescriptions
    seen: dict[str, Any] = msgspec.field(default_factory=dict)


def fhir_instant(text: str | None) -> datetime | None:
    """A FHIR `dateTime`/`instant` as UTC. A date alone is read as that day's midnight UTC (design
    choice: a day is the precision the chart recorded); year or year-month alone, or a time
    without a zone (which FHIR forbids), is refused with ValueError."""
    if text is None:
        return None
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    if len(text) < 10:
        raise ValueError(f"date {text!r} is too imprecise (a day is needed)")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"dateTime {text!r} has a time but no time zone")
    return moment.astimezone(UTC)


def entries(value: Any) -> Iterator[tuple[str, Any]]:
    """(where, resource) for a prefetch value: one resource, or a searchset Bundle's entries."""
    if not isinstance(value, dict):
        yield "", value
        return
    if value.get("resourceType") != "Bundle":
        yield "", value
        return
    # Entry by entry, so one malformed entry is reported alone and never hides the others.
    items = value.get("entry", [])
    if not isinstance(items, list):
        yield "", {"resourceType": "Bundle", "__invalid__": "`entry` is not an array"}
        return
    for index, entry in enumerate(items):
        yield f"entry[{index}]", entry.get("resource") if isinstance(entry, dict) else entry


class Mapper:
    """Reads resources into one `Evidence`. Subclassed in tests to show the safety property fails
    on a mapper that loses safety entries."""

    def __init__(self) -> None:
        self.evidence = Evidence()

    def read(self, where: str, resources: Iterable[tuple[str, Any]]) -> None:
        for place, resource in resources:
            self.read_one(f"{where}.{place}" if place else where, resource)

    def read_one(self, where: str, resource: Any) -> None:
        if not isinstance(resource, dict):
            self.issue(where, "not a FHIR resource (a JSON object was expected)")
            return
        kind = resource.get("resourceType")
        ref = f"{kind}/{resource['id']}" if isinstance(resource.get("id"), str) else where
        if "__invalid__" in resource:
            self.issue(ref, f"invalid Bundle: {resource['__invalid__']}")
            return
        if self.evidence.seen.get(ref) == resource:
            return  # the same resource under two prefetch keys counts once; differing copies both count
        self.evidence.seen[ref] = resource
        try:
            if kind == "Observation":
                self.observation(ref, msgspec.convert(resource, Observation))
            elif kind == "QuestionnaireResponse":
                self.questionnaire_response(ref, msgspec.convert(resource, QuestionnaireResponse))
            elif kind == "MedicationRequest":
                self.medication(ref, msgspec.convert(resource, MedicationRequest), order=False)
            elif kind == "OperationOutcome":
                self.issue(ref, "the EHR reported an error for this prefetch (OperationOutcome)")
            else:
                self.issue(ref, f"resource type {kind!r} is not read by this service")
        except msgspec.ValidationError as exc:
            self.issue(ref, f"invalid {kind}: {exc}")
        except ValueError as exc:
            self.issue(ref, str(exc))

    def read_orders(self, where: str, value: Any) -> None:
        for place, resource in entries(value):
            ref = f"{where}.{place}" if place else where
            if not isinstance(resource, dict) or resource.get("resourceType") != "MedicationRequest":
                self.issue(ref, "draft order is not a MedicationRequest; not checked")
                continue
            try:
                order = msgspec.convert(resource, MedicationRequest)
                self.medication(f"MedicationRequest/{order.id}" if order.id else ref, order, order=True)
            except (msgspec.ValidationError, ValueError) as exc:
                self.issue(ref, f"invalid draft MedicationRequest: {exc}")

    def issue(self, ref: str, message: str) -> None:
        self.evidence.issues.append(Issue(resource=ref, message=message))

    def use(self, ref: str) -> None:
        self.evidence.used.append(ref)

    # --- Observation ------------------------------------------------------------------------

    def observation(self, ref: str, obs: Observation) -> None:
        if obs.status not in USABLE_OBSERVATION:
            self.issue(ref, f"status {obs.status or 'missing'} is not a usable result (final, amended, "
                            "corrected or preliminary)")
            return
        loinc = obs.code.code_in(codes.LOINC) if obs.code else []
        at = fhir_instant(obs.effectiveDateTime or obs.effectiveInstant
                          or (obs.effectivePeriod.start if obs.effectivePeriod else None) or obs.issued)
        read = self.components(ref, obs, at)
        for code in loinc:
            if code in codes.SAFETY_ITEMS:
                self.safety(ref, code, observation_points(obs), at)
                return
            if code in codes.INSTRUMENTS:
                self.assessment(ref, codes.INSTRUMENTS[code], observation_number(obs), at)
                return
            if code in codes.PANELS:
                if observation_number(obs) is not None:  # the total given as the panel's value
                    self.assessment(ref, codes.PANELS[code], observation_number(obs), at)
                elif not read:
                    self.issue(ref, f"{codes.PANELS[code].name} panel with no total and no item read; "
                               "send its items as separate Observations or components")
                return
        if read:
            return
        interpretation = interpretation_codes(obs.interpretation)
        lab = next((codes.LABS[c] for c in loinc if c in codes.LABS), None)
        if lab is None and not interpretation & codes.CRITICAL_FLAGS and not is_laboratory(obs):
            shown = ", ".join(loinc) or "no LOINC code"
            self.issue(ref, f"Observation code ({shown}) is not one this service reads")
            return
        self.lab(ref, obs, lab, interpretation, at)

    def components(self, ref: str, obs: Observation, at: datetime | None) -> bool:
        """A panel's items given as components: totals and safety items among them are read."""
        read = False
        for component in obs.component:
            for code in component.code.code_in(codes.LOINC) if component.code else []:
                if code in codes.SAFETY_ITEMS:
                    self.safety(ref, code, observation_points(component), at)
                    read = True
                elif code in codes.INSTRUMENTS:
                    self.assessment(ref, codes.INSTRUMENTS[code], observation_number(component), at)
                    read = True
        return read

    def safety(self, ref: str, code: str, points: int | None, at: datetime | None) -> None:
        self.evidence.safety.append(SafetyEntry(item=code, label=codes.SAFETY_ITEMS[code], points=points,
                                                at=at, source=ref))
        if points is None:
            self.issue(ref, f"{codes.SAFETY_ITEMS[code]}: the answer could not be read")
        else:
            self.use(ref)

    def assessment(self, ref: str, instrument: codes.Instrument, score: float | None,
                   at: datetime | None) -> None:
        if score is None:
            self.issue(ref, f"{instrument.name} total has no numeric value")
        elif at is None:
            self.issue(ref, f"{instrument.name} total has no effective date")
        elif not 0 <= score <= instrument.max_score:
            self.issue(ref, f"{instrument.name} total {score:g} is outside 0–{instrument.max_score:g}")
        elif len(self.evidence.assessments) >= MAX_ASSESSMENTS:
            self.issue(ref, f"more than {MAX_ASSESSMENTS} scale administrations; this one was not scored")
        else:
            self.evidence.assessments.append(Assessment(
                instrumentId=instrument.id, instrumentName=instrument.name, score=score,
                maxScore=instrument.max_score, createdAt=at))
            self.use(ref)
            self.evidence.scale_sources.append(ref)

    def lab(self, ref: str, obs: Observation, name: str | None, interpretation: set[str],
            at: datetime | None) -> None:
        label = name or display_name(obs.code)
        value: float | str | None = None
        unit = None
        if obs.valueQuantity is not None and obs.valueQuantity.value is not None:
            value, unit = obs.valueQuantity.value, obs.valueQuantity.unit or obs.valueQuantity.code
        elif obs.valueInteger is not None:
            value = float(obs.valueInteger)
        elif obs.valueString is not None:
            value = obs.valueString[:64]
        reference = reference_text(obs)
        flag = lab_flag(interpretation, value, reference)
        if value is None and flag is None:
            self.issue(ref, f"{label}: no value and no interpretation")
            return
        critical = sorted(interpretation & codes.CRITICAL_FLAGS)
        if critical:
            shown = "no value" if value is None else f"{value:g}" if isinstance(value, float) else value
            self.evidence.critical_labs.append(CriticalLab(name=label, value=f"{shown} {unit or ''}".strip(),
                                                           code=critical[0], source=ref))
        if name is not None:
            latest = self.evidence.lab_codes.get(name)
            if latest is None or (at is not None and at > latest):
                self.evidence.lab_codes[name] = at
        reading = Biomarker(name=label[:120], value=value, unit=(unit or None) and unit[:32], flag=flag,  # type: ignore[arg-type]
                            referenceRange=reference)
        self.evidence.labs.append(Lab(id=ref[:128], labName="FHIR Observation",
                                      results=Results(biomarkers=[reading]), observedAt=at))
        self.use(ref)

    # --- QuestionnaireResponse --------------------------------------------------------------

    def questionnaire_response(self, ref: str, response: QuestionnaireResponse) -> None:
        if response.status not in USABLE_RESPONSE:
            self.issue(ref, f"status {response.status or 'missing'} is not a completed response")
            return
        at = fhir_instant(response.authored)
        phq9 = bool(response.questionnaire and _PHQ9_QUESTIONNAIRE.search(response.questionnaire))
        found = False
        total: tuple[codes.Instrument, int | None] | None = None
        phq9_points: list[int] = []
        for item in flatten(response.item):
            code = item_code(item)
            points = answer_points(item.answer)
            if phq9 and code is None and item.answer and _ITEM_NINE.search(item.linkId):  # not a group
                code = codes.PHQ9_ITEM9
            if code in codes.SAFETY_ITEMS:
                self.evidence.safety.append(SafetyEntry(item=code, label=codes.SAFETY_ITEMS[code],
                                                        points=points, at=at, source=ref))
                if points is None:
                    self.issue(ref, f"{codes.SAFETY_ITEMS[code]}: the answer could not be read")
                found = True
            elif code in codes.INSTRUMENTS:
                total = (codes.INSTRUMENTS[code], points)  # every item is still read for safety
                continue
            if phq9 and points is not None:
                phq9_points.append(points)
        if total is None and phq9 and len(phq9_points) == 9:
            # No total item: the total is the sum of the nine item scores (Kroenke et al. 2001).
            total = (codes.INSTRUMENTS["44261-6"], sum(phq9_points))
        if total is not None:
            self.assessment(ref, total[0], None if total[1] is None else float(total[1]), at)
        elif not found:
            self.issue(ref, "no item with a total score or safety item this service reads")
        else:
            self.use(ref)

    # --- MedicationRequest ------------------------------------------------------------------

    def medication(self, ref: str, request: MedicationRequest, *, order: bool) -> None:
        name = display_name(request.medicationCodeableConcept) if request.medicationCodeableConcept else None
        if not name and request.medicationReference is not None:
            name = request.medicationReference.display
        if not name:
            self.issue(ref, "MedicationRequest names no medication (code text or display)")
            return
        if not order and request.status not in ACTIVE_MEDICATION:
            self.issue(ref, f"status {request.status or 'missing'} is not an active prescription")
            return
        prescription = Prescription(id=ref[:128], medicationName=name[:160],
                                    status=(request.status or "draft")[:32],
                                    prescribedAt=fhir_instant(request.authoredOn))
        (self.evidence.orders if order else self.evidence.prescriptions).append(prescription)
        self.use(ref)
        if not order:
            self.evidence.scale_sources.append(ref)

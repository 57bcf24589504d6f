"""Outcome score: up to five independent sources fused into one signed treatment-response composite.

Each component contributes a signed number of points; the composite is their sum clamped to
-100…+100. A field left at its default is not an available source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from attunio.engines.common import (
    Confidence,
    ModelRef,
    clamp,
    default_model,
    fmt,
    iso_ms,
    num,
    round_int,
    signed,
)
from attunio.engines.inputs import Assessments, Count100, PctChange, Request, SessionRef, SleepHours
from attunio.engines.items import SafetyFinding, safety_findings
from attunio.engines.outcome_symptoms import describe, symptom_change
from attunio.engines.params import ParamsBase, capped

KEY = "outcome_score"
DISCLAIMER = (
    "Deterministic, additive composite of the sources supplied; every contribution is shown. A "
    "trajectory summary for clinician review, not a diagnosis or a treatment decision."
)


class OutcomeRequest(Request, frozen=True):
    assessments: Assessments = msgspec.field(default_factory=list)
    dmseLatencyPctChange: PctChange | None = None
    activeMedications: Count100 = 0
    biomarkerWatchCount: Count100 = 0
    avgSleepHours: SleepHours | None = None
    sessionRef: SessionRef | None = None


class OutcomeParams(ParamsBase, frozen=True):
    symptoms_weight: Annotated[
        float,
        capped(
            60,
            100,
            "Points for a 100% reduction from the first administration; a 50% (response) "
            "reduction earns half. A change smaller than the instrument's MCID earns none.",
            "Response = ≥50% reduction (NCQA HEDIS, NQF 1885).",
            "points",
        ),
    ] = 90
    dmse_weight: Annotated[
        float,
        capped(
            0,
            20,
            "Most points a latency change can add or remove.",
            "Design choice (heuristic); latency tracks severity (Mundt 2012, Cohen 2024).",
            "points",
        ),
    ] = 10
    dmse_full_pct: Annotated[
        float,
        capped(
            10,
            50,
            "Latency change, in percent, that earns the full dmse weight; a fall is improvement.",
            "Design choice (heuristic default).",
            "%",
        ),
    ] = 20
    medication_on_treatment: Annotated[
        float, capped(0, 10, "Points for being engaged in medication treatment.", "Design choice.", "points")
    ] = 5
    polypharmacy_count: Annotated[
        int,
        capped(
            3,
            10,
            "Active medications from which no engagement credit is given; the regimen needs review instead.",
            "Polypharmacy = ≥5 concurrent medicines (Masnoon 2017).",
            "medications",
        ),
    ] = 5
    biomarker_per_item: Annotated[
        float,
        capped(
            1,
            10,
            "Points removed per flagged biomarker watch-item (possible medical driver).",
            "Design choice for the 5 points; Holder 2014 lists reversible medical drivers of psychiatric "
            "presentations.",
            "points",
        ),
    ] = 5
    biomarker_max: Annotated[
        float, capped(5, 30, "Most points biomarker watch-items can remove.", "Design choice.", "points")
    ] = 15
    sleep_weight: Annotated[
        float,
        capped(
            0,
            20,
            "Points for sleep inside the healthy range; as many are removed at the far edge of the span.",
            "Design choice.",
            "points",
        ),
    ] = 10
    sleep_healthy_low_h: Annotated[
        float, capped(6, 8, "Lower edge of healthy nightly sleep.", "AASM/SRS 2015: adults ≥ 7 h.", "h")
    ] = 7
    sleep_healthy_high_h: Annotated[
        float, capped(8, 10, "Upper edge of healthy nightly sleep.", "NSF 2015: adults 7–9 h.", "h")
    ] = 9
    sleep_span_h: Annotated[
        float,
        capped(
            1,
            4,
            "Hours outside the healthy range over which the sleep score falls from +1 to -1.",
            "Design choice.",
            "h",
        ),
    ] = 2
    direction_threshold: Annotated[
        float,
        capped(
            5,
            25,
            "Measured change (symptom scales plus latency) at or beyond ± this is improving / "
            "worsening; between is stable. States (medication, sleep, lab watch-items) move the "
            "composite but never the direction.",
            "Design choice.",
            "points",
        ),
    ] = 10
    confidence_sources_high: Annotated[
        int, capped(2, 5, "Available sources for high confidence.", "Design choice.", "sources")
    ] = 3
    confidence_sources_moderate: Annotated[
        int, capped(1, 4, "Available sources for moderate confidence.", "Design choice.", "sources")
    ] = 2
    agreement_high: Annotated[
        float,
        capped(
            0.5,
            1.0,
            "Share of the available change sources (symptom scales, latency) that must agree with the "
            "direction for high confidence; at least two must agree. States are not counted.",
            "Design choice.",
            "fraction",
        ),
    ] = 0.75
    agreement_moderate: Annotated[
        float,
        capped(
            0.3,
            0.75,
            "Share of the available change sources that must agree with the direction for moderate "
            "confidence; at least one must agree.",
            "Design choice: at least half the evidence points the same way.",
            "fraction",
        ),
    ] = 0.5

    ORDERED = (
        ("sleep_healthy_low_h", "sleep_healthy_high_h"),
        ("confidence_sources_moderate", "confidence_sources_high"),
        ("agreement_moderate", "agreement_high"),
    )


ComponentKey = Literal["symptoms", "dmse", "medication", "biomarker", "sleep"]
Direction = Literal["improving", "stable", "worsening"]


class Component(msgspec.Struct, frozen=True, kw_only=True):
    key: ComponentKey
    label: str
    contribution: float
    detail: str
    available: bool


class OutcomeScore(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="object", tag="outcome.score"
):
    model: ModelRef
    sessionRef: str | None = None
    generatedAt: str
    safety: list[SafetyFinding] = msgspec.field(default_factory=list)
    score: int
    direction: Direction
    confidence: Confidence
    components: list[Component]
    summaryLine: str
    sourceCount: int
    disclaimer: str


class _Part(msgspec.Struct, frozen=True):
    key: ComponentKey
    label: str
    points: float
    detail: str
    available: bool


def _symptoms(request: OutcomeRequest, p: OutcomeParams) -> _Part:
    label = "Symptom scales"
    chosen, changes, any_series = symptom_change(request.assessments)
    if chosen is None:
        detail = (
            "Only one administration per instrument; change needs at least two."
            if any_series
            else "No symptom-scale administrations supplied."
        )
        return _Part("symptoms", label, 0.0, detail, False)
    detail = f"{describe(chosen)} across {len(chosen.series.points)} administrations."
    others = [describe(c) for c in changes if c is not chosen and c.meaningful]
    if others:
        detail += " Also: " + "; ".join(others) + "."
    if chosen.series.entry is None:
        detail += " Instrument not in the registry: read as higher-is-worse."
    return _Part("symptoms", label, p.symptoms_weight * clamp(chosen.reduction, -1.0, 1.0), detail, True)


def _dmse(pct: float | None, p: OutcomeParams) -> _Part:
    label = "Digital MSE™ latency"
    if pct is None:
        return _Part("dmse", label, 0.0, "No Digital MSE™ latency change supplied.", False)
    # Shorter latency is improvement, so a fall earns points.
    points = p.dmse_weight * clamp(-pct / p.dmse_full_pct, -1.0, 1.0)
    return _Part("dmse", label, points, f"Response latency changed {signed(pct)}% across visits.", True)


def _medication(count: int, p: OutcomeParams) -> _Part:
    label = "Medication"
    if count == 0:
        return _Part("medication", label, 0.0, "No active medications reported.", False)
    plural = "" if count == 1 else "s"
    if count >= p.polypharmacy_count:
        return _Part(
            "medication",
            label,
            0.0,
            f"{count} active medications — polypharmacy; no engagement credit, review the regimen.",
            True,
        )
    return _Part(
        "medication",
        label,
        p.medication_on_treatment,
        f"{count} active medication{plural} — engaged in treatment.",
        True,
    )


def _biomarker(count: int, p: OutcomeParams) -> _Part:
    label = "Biomarkers"
    if count == 0:
        return _Part("biomarker", label, 0.0, "No flagged biomarker watch-items reported.", False)
    points = -min(p.biomarker_max, p.biomarker_per_item * count)
    plural = "" if count == 1 else "s"
    return _Part(
        "biomarker",
        label,
        points,
        f"{count} flagged biomarker watch-item{plural} — possible medical driver to rule out.",
        True,
    )


def sleep_score(hours: float, p: OutcomeParams) -> float:
    """+1 inside the healthy range, falling linearly to -1 one span outside it."""
    if hours < p.sleep_healthy_low_h:
        return max(-1.0, 1.0 - 2.0 * (p.sleep_healthy_low_h - hours) / p.sleep_span_h)
    if hours > p.sleep_healthy_high_h:
        return max(-1.0, 1.0 - 2.0 * (hours - p.sleep_healthy_high_h) / p.sleep_span_h)
    return 1.0


def _sleep(hours: float | None, p: OutcomeParams) -> _Part:
    label = "Sleep (wearable)"
    if hours is None:
        return _Part("sleep", label, 0.0, "No wearable sleep data supplied.", False)
    low, high = fmt(p.sleep_healthy_low_h), fmt(p.sleep_healthy_high_h)
    if hours < p.sleep_healthy_low_h:
        where = f"below the {low}h healthy minimum"
    elif hours > p.sleep_healthy_high_h:
        where = f"above the {high}h healthy maximum"
    else:
        where = f"within the {low}–{high}h healthy range"
    return _Part(
        "sleep",
        label,
        p.sleep_weight * sleep_score(hours, p),
        f"Averaging {fmt(hours)}h/night — {where}.",
        True,
    )


def parts_of(request: OutcomeRequest, p: OutcomeParams) -> list[_Part]:
    return [
        _symptoms(request, p),
        _dmse(request.dmseLatencyPctChange, p),
        _medication(request.activeMedications, p),
        _biomarker(request.biomarkerWatchCount, p),
        _sleep(request.avgSleepHours, p),
    ]


def missing_evidence(request: OutcomeRequest) -> str | None:
    if any(part.available for part in parts_of(request, OutcomeParams())):
        return None
    return (
        "Outcome scoring needs at least one source: two or more administrations of one instrument "
        "in `assessments`, `dmseLatencyPctChange`, `activeMedications`, `biomarkerWatchCount` or "
        "`avgSleepHours`."
    )


CHANGE_KEYS = ("symptoms", "dmse")  # measured change; the other components are states


def direction_of(change_total: float, p: OutcomeParams) -> Direction:
    """Only measured change (symptom scales, latency) decides the direction: being on a medication,
    sleeping normally or carrying lab watch-items are states, never improvement or worsening."""
    if change_total >= p.direction_threshold:
        return "improving"
    if change_total <= -p.direction_threshold:
        return "worsening"
    return "stable"


def _confidence(parts: list[_Part], direction: Direction, p: OutcomeParams) -> Confidence:
    """Agreement is read over the change sources only (symptom scales, latency): a state neither
    agrees nor disagrees, so it can never make an answer look better corroborated."""
    sources = sum(part.available for part in parts)
    change = [part.points for part in parts if part.available and part.key in CHANGE_KEYS]
    sign = {"improving": 1, "stable": 0, "worsening": -1}[direction]
    agreeing = sum((x > 0) - (x < 0) == sign for x in change)
    agreement = agreeing / len(change) if change else 0.0
    if sources >= p.confidence_sources_high and agreeing >= 2 and agreement >= p.agreement_high:
        return "high"
    if sources >= p.confidence_sources_moderate and agreeing >= 1 and agreement >= p.agreement_moderate:
        return "moderate"
    return "low"


def analyze(
    request: OutcomeRequest, params: OutcomeParams, now: datetime, model: ModelRef | None = None
) -> OutcomeScore:
    parts = parts_of(request, params)
    total = sum(part.points for part in parts)
    score = round_int(clamp(total, -100.0, 100.0))
    direction = direction_of(parts[0].points + parts[1].points, params)
    sources = sum(part.available for part in parts)
    noun = "source" if sources == 1 else "sources"
    return OutcomeScore(
        model=model or default_model(KEY),
        sessionRef=request.sessionRef,
        generatedAt=iso_ms(now),
        safety=safety_findings(request.assessments),
        score=score,
        direction=direction,
        confidence=_confidence(parts, direction, params),
        components=[
            Component(
                key=part.key,
                label=part.label,
                contribution=num(part.points, 1),
                detail=part.detail,
                available=part.available,
            )
            for part in parts
        ],
        summaryLine=f"Treatment response is {direction} (composite {signed(score)}) across {sources} "
        f"independent data {noun}.",
        sourceCount=sources,
        disclaimer=DISCLAIMER,
    )

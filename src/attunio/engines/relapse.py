"""Relapse early warning: transparent additive 0–100 score from five factors.

Each factor earns points up to its maximum; the maxima sum to 100, so the score is the plain sum.
Nothing is auto-actioned: the answer carries a conservative recommendation for each level.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from attunio.engines.common import (
    Confidence,
    ModelRef,
    Tone,
    clamp,
    default_model,
    fmt,
    iso_ms,
    lower_confidence,
    num,
    round_int,
    signed,
)
from attunio.engines.inputs import Assessments, Days, PctChange, Request, SessionRef, SleepHours
from attunio.engines.items import SafetyFinding, safety_findings
from attunio.engines.relapse_params import RelapseParams
from attunio.engines.relapse_symptoms import FLOOR_RANK, Trajectory, describe, trajectory, trend_of
from attunio.engines.scales import group, severity_of

__all__ = ["RelapseParams", "RelapsePrediction", "RelapseRequest", "analyze", "missing_evidence"]

# The symptom factor (trajectory over the window, level floors) lives in `relapse_symptoms`, the
# suicidality floor in `items`; this module adds the other four factors and the level.

KEY = "relapse_risk"
DISCLAIMER = (
    "Deterministic, additive early-warning score; every factor and its points are shown. Decision "
    "support for clinician review, not a prediction of certainty; nothing is auto-actioned."
)


class RelapseRequest(Request, frozen=True):
    assessments: Assessments = msgspec.field(default_factory=list)
    dmseLatencyPctChange: PctChange | None = None
    avgSleepHours: SleepHours | None = None
    daysSinceMedChange: Days | None = None
    hasActiveMedication: bool = False
    daysSinceLastVisit: Days | None = None
    sessionRef: SessionRef | None = None


FactorKey = Literal["symptoms", "sleep", "dmse", "medication", "cadence"]
Level = Literal["low", "moderate", "elevated", "high"]
Trend = Literal["rising", "falling", "stable", "unknown"]
LEVELS: tuple[Level, ...] = ("low", "moderate", "elevated", "high")
SAFETY_LEAD = (
    "Positive suicidality item: arrange a same-day suicide-risk assessment by a clinician under local "
    "protocol."
)

RECOMMENDATIONS: dict[Level, str] = {
    "low": "Continue routine care and the scheduled monitoring cadence.",
    "moderate": "Review at the next scheduled visit; keep symptom scales and sleep tracking current.",
    "elevated": "Flag for closer monitoring; consider a check-in before the next scheduled visit.",
    "high": "Prioritise clinician review; confirm the safety plan and consider an expedited visit.",
}


class Factor(msgspec.Struct, frozen=True, kw_only=True):
    key: FactorKey
    label: str
    points: float
    maxPoints: float
    tone: Tone
    available: bool
    detail: str


class RelapsePrediction(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="object",
    tag="relapse.prediction",
):
    model: ModelRef
    sessionRef: str | None = None
    generatedAt: str
    # Present only when a suicidality item is positive; placed first so it is read first.
    safety: list[SafetyFinding] = msgspec.field(default_factory=list)
    score: int
    level: Level
    trend: Trend
    confidence: Confidence
    topDriver: str | None
    factors: list[Factor]
    summaryLine: str
    recommendation: str
    sourceCount: int
    disclaimer: str


class _Part(msgspec.Struct, frozen=True):
    key: FactorKey
    label: str
    points: float
    max_points: float
    available: bool
    detail: str


def _symptoms(request: RelapseRequest, p: RelapseParams, now: datetime) -> tuple[_Part, list[Trajectory]]:
    label, top = "Symptom trajectory", p.symptoms_level_points + p.symptoms_velocity_points
    series = group(request.assessments)
    if not series:
        return _Part("symptoms", label, 0.0, top, False, "No symptom-scale administrations supplied."), []
    paths = [trajectory(s, p, now) for s in series]
    # Conservative: the instrument that signals the most risk speaks for the factor. Ties go to the
    # longer series, then the alphabetically first id, never to request order.
    paths.sort(key=lambda t: (-t.points, -len(t.series.points), t.series.instrument_id))
    chosen = paths[0]
    detail = describe(chosen, p)
    rising = [t for t in paths[1:] if trend_of(t, p) == "rising"]
    if rising:
        others = "; ".join(f"{t.series.name} {fmt(t.series.points[t.best_index].score)}→"
                           f"{fmt(t.series.latest.score)}/{fmt(t.series.latest.maxScore)}" for t in rising)
        detail += f" Also rising: {others}."
    return _Part("symptoms", label, chosen.points, top, True, detail), paths


def _sleep(hours: float | None, p: RelapseParams) -> _Part:
    label = "Sleep (wearable)"
    if hours is None:
        return _Part("sleep", label, 0.0, p.sleep_points, False, "No wearable sleep data supplied.")
    # Three steps of a third each: below 7 h, below 6 h, below 5 h (defaults).
    steps = sum(hours < edge for edge in (p.sleep_suboptimal_h, p.sleep_short_h, p.sleep_very_short_h))
    lead = f"Averaging {fmt(hours)}h/night recently"
    if steps >= 2:
        detail = f"{lead} — short sleep is a leading relapse precursor."
    elif steps == 1:
        detail = f"{lead} — slightly below the {fmt(p.sleep_suboptimal_h)}h adult minimum."
    elif hours > p.sleep_long_h:
        steps = 1
        detail = f"{lead} — long sleep can accompany a depressive relapse."
    else:
        detail = f"{lead} — within the healthy range."
    return _Part("sleep", label, p.sleep_points * steps / 3, p.sleep_points, True, detail)


def _dmse(pct: float | None, p: RelapseParams) -> _Part:
    label = "Digital MSE™ latency"
    if pct is None:
        return _Part("dmse", label, 0.0, p.dmse_points, False, "No Digital MSE™ latency change supplied.")
    points = p.dmse_points * clamp(pct / p.dmse_full_pct, 0.0, 1.0)
    note = "slower responses can precede relapse" if pct > 0 else "no latency slowing"
    return _Part(
        "dmse",
        label,
        points,
        p.dmse_points,
        True,
        f"Response latency changed {signed(pct)}% across visits — {note}.",
    )


def _medication(request: RelapseRequest, p: RelapseParams) -> _Part:
    label = "Medication change"
    days = request.daysSinceMedChange
    if days is None:
        if not request.hasActiveMedication:
            return _Part(
                "medication", label, 0.0, p.medication_points, False, "No medication information supplied."
            )
        return _Part(
            "medication",
            label,
            0.0,
            p.medication_points,
            True,
            "On active medication; no recent change reported.",
        )
    share = max(0.0, 1.0 - days / p.medication_window_days)
    state = "on active medication" if request.hasActiveMedication else "no active medication"
    if share > 0:
        detail = (
            f"Medication changed {days} days ago ({state}) — inside the {p.medication_window_days}-day "
            "window of higher destabilisation risk."
        )
    else:
        window = p.medication_window_days
        detail = f"Medication changed {days} days ago ({state}) — outside the {window}-day window."
    return _Part("medication", label, p.medication_points * share, p.medication_points, True, detail)


def _cadence(days: int | None, p: RelapseParams) -> _Part:
    label = "Visit cadence"
    if days is None:
        return _Part("cadence", label, 0.0, p.cadence_points, False, "No last-visit date supplied.")
    share = clamp((days - p.cadence_grace_days) / (p.cadence_full_days - p.cadence_grace_days), 0.0, 1.0)
    where = (
        f"beyond the {p.cadence_grace_days}-day review interval"
        if share > 0
        else "within the review interval"
    )
    return _Part(
        "cadence",
        label,
        p.cadence_points * share,
        p.cadence_points,
        True,
        f"{days} days since the last visit — {where}.",
    )


def parts_of(request: RelapseRequest, p: RelapseParams, now: datetime) -> tuple[list[_Part], list[Trajectory]]:
    symptoms, paths = _symptoms(request, p, now)
    return [
        symptoms,
        _sleep(request.avgSleepHours, p),
        _dmse(request.dmseLatencyPctChange, p),
        _medication(request, p),
        _cadence(request.daysSinceLastVisit, p),
    ], paths


def missing_evidence(request: RelapseRequest) -> str | None:
    if request.assessments or relapse_has_other_evidence(request):
        return None
    return (
        "Relapse prediction needs at least one source: `assessments`, `dmseLatencyPctChange`, "
        "`avgSleepHours`, `daysSinceMedChange`, `hasActiveMedication` or `daysSinceLastVisit`."
    )


def relapse_has_other_evidence(request: RelapseRequest) -> bool:
    return request.hasActiveMedication or any(
        value is not None
        for value in (
            request.avgSleepHours,
            request.dmseLatencyPctChange,
            request.daysSinceMedChange,
            request.daysSinceLastVisit,
        )
    )


def _tone(part: _Part, p: RelapseParams) -> Tone:
    if part.points <= 0:
        return "neutral"
    return "elevated" if part.points >= p.factor_elevated_share * part.max_points else "watch"


def level_of(score: int, floor: int, safety: bool, p: RelapseParams) -> Level:
    """The band of the score, raised to the symptom floor (1 moderate, 2 elevated) and to `high`
    for a positive suicidality item; neither raise has a parameter a bundle could lower."""
    rank = 0
    for index, edge in enumerate((p.moderate_from, p.elevated_from, p.high_from), start=1):
        if score >= edge:
            rank = index
    rank = max(rank, floor, 3 if safety else 0)
    return LEVELS[rank]


def _summary(level: Level, score: int, raised: str | None, trend: str, driver: str | None) -> str:
    moving = f"signals {trend}" if trend != "unknown" else "trend not yet established"
    why = f"; level raised by {raised}" if raised else ""
    summary = f"{level.capitalize()} relapse risk ({score}/100{why}), {moving}"
    if driver:
        return summary + f", driven primarily by {driver[0].lower() + driver[1:]}."
    return summary + "; no factor is contributing."


def analyze(
    request: RelapseRequest, params: RelapseParams, now: datetime, model: ModelRef | None = None
) -> RelapsePrediction:
    parts, paths = parts_of(request, params, now)
    score = round_int(clamp(sum(part.points for part in parts), 0.0, 100.0))
    safety = safety_findings(request.assessments)
    floored = max(paths, key=lambda t: FLOOR_RANK[t.floor], default=None)
    floor = FLOOR_RANK[floored.floor] if floored is not None else 0
    level = level_of(score, floor, bool(safety), params)
    banded = level_of(score, 0, False, params)
    raised = None
    if level != banded:
        if safety:
            raised = "a positive suicidality item"
        elif floored is not None:
            band = severity_of(floored.series.latest, floored.series.entry)
            raised = f"the {floored.series.name} severity floor: {band}"
    chosen = paths[0] if paths else None
    trend = trend_of(chosen, params)
    sources = sum(part.available for part in parts)
    top = max(parts, key=lambda part: part.points)  # first of equals keeps the documented order
    driver = top.label if top.points > 0 else None
    confidence: Confidence = "low"
    if sources >= params.confidence_sources_high and chosen is not None and chosen.in_window >= 2:
        confidence = "high"
    elif sources >= params.confidence_sources_moderate:
        confidence = "moderate"
    if chosen is not None and chosen.age_days > params.stale_after_days:
        confidence = lower_confidence(confidence)
    recommendation = RECOMMENDATIONS[level]
    if safety:
        recommendation = f"{SAFETY_LEAD} {recommendation}"
    return RelapsePrediction(
        model=model or default_model(KEY),
        sessionRef=request.sessionRef,
        generatedAt=iso_ms(now),
        safety=safety,
        score=score,
        level=level,
        trend=trend,  # type: ignore[arg-type]
        confidence=confidence,
        topDriver=driver,
        factors=[
            Factor(
                key=part.key,
                label=part.label,
                points=num(part.points, 1),
                maxPoints=num(part.max_points, 1),
                tone=_tone(part, params),
                available=part.available,
                detail=part.detail,
            )
            for part in parts
        ],
        summaryLine=_summary(level, score, raised, trend, driver),
        recommendation=recommendation,
        sourceCount=sources,
        disclaimer=DISCLAIMER,
    )

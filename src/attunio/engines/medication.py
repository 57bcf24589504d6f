"""Medication response: each active prescription's start date against the symptom-scale trajectory."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from attunio.engines.common import (
    Confidence,
    ModelRef,
    Signal,
    Tone,
    as_utc,
    default_model,
    echo,
    fmt,
    iso_ms,
    round_int,
    slug,
)
from attunio.engines.inputs import Assessment, Assessments, Instant, PctChange, Request, SessionRef, text
from attunio.engines.instruments import UNKNOWN_MCID_SHARE
from attunio.engines.items import SafetyFinding, safety_findings
from attunio.engines.params import ParamsBase, capped
from attunio.engines.scales import Series, badness, group, in_units, mcid_share, most_covered, when

KEY = "medication_response"
MODULE = "medication"
DISCLAIMER = (
    "Deterministic, rules-based decision support correlating prescription start dates with "
    "symptom-scale trajectories. An association, not proof of drug effect, and not a prescribing "
    "recommendation. For clinician review only."
)


class Prescription(Request, frozen=True):
    id: Annotated[str, text(1, 128)]
    medicationName: Annotated[str, text(1, 160)]
    status: Annotated[str, text(1, 32)]
    dosage: Annotated[str, text(1, 64)] | None = None
    frequency: Annotated[str, text(1, 64)] | None = None
    prescribedAt: Instant | None = None


class MedicationRequest(Request, frozen=True):
    prescriptions: Annotated[list[Prescription], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    assessments: Assessments = msgspec.field(default_factory=list)
    dmseLatencyPctChange: PctChange | None = None
    sessionRef: SessionRef | None = None


class MedicationParams(ParamsBase, frozen=True):
    response_reduction: Annotated[
        float,
        capped(
            0.4,
            0.6,
            "Share of baseline score lost that counts as response.",
            "NCQA HEDIS / NQF 1885: response = ≥50% PHQ-9 reduction.",
            "fraction",
        ),
    ] = 0.5
    partial_reduction: Annotated[
        float,
        capped(
            0.15,
            0.45,
            "Share of baseline score lost that counts as partial response.",
            "Partial response = 25–49% reduction (Nierenberg & DeCecco 2001).",
            "fraction",
        ),
    ] = 0.25
    adequate_trial_days: Annotated[
        int,
        capped(
            14,
            56,
            "Days on a medication before a missing response is judged; earlier verdicts "
            "carry low confidence.",
            "Antidepressant onset 2–4 weeks; response judged at 4–8 weeks (APA practice guideline 2010).",
            "days",
        ),
    ] = 28
    corroboration_pct: Annotated[
        float,
        capped(
            5,
            30,
            "Digital MSE latency change, in percent, counted as objective movement.",
            "Design choice (heuristic); latency tracks depression severity (Mundt 2012).",
            "%",
        ),
    ] = 10
    administrations_for_high: Annotated[
        int,
        capped(
            1,
            4,
            "Administrations since the start needed for high confidence once the trial is adequate; "
            "a single post-start score may be a fluctuation.",
            "Design choice (a replicated measurement).",
            "administrations",
        ),
    ] = 2

    ORDERED = (("partial_reduction", "response_reduction"),)


class MedicationAnalysis(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="object",
    tag="medication.analysis",
):
    model: ModelRef
    sessionRef: str | None = None
    generatedAt: str
    safety: list[SafetyFinding] = msgspec.field(default_factory=list)
    signalsPresent: int
    signals: list[Signal]
    disclaimer: str


def missing_evidence(request: MedicationRequest) -> str | None:
    if not request.prescriptions:
        return "Medication analysis needs at least one prescription in `prescriptions`."
    return None


def _signal(rx: Prescription, key: str, label: str, **fields: Any) -> Signal:
    return Signal(
        module=MODULE,
        signalKey=f"med_{key}_{slug(rx.medicationName)}",
        label=f"{rx.medicationName} — {label}",
        sourceRef=rx.id,
        **fields,
    )


def _drug(rx: Prescription) -> str:
    return f"{rx.medicationName} {rx.dosage}" if rx.dosage else rx.medicationName


def _days(later: datetime, earlier: datetime) -> int:
    return max(0, (as_utc(later) - as_utc(earlier)).days)


def _baseline_day(item: Assessment, start: datetime) -> bool:
    """Before the start, or on its UTC day: an assessment at the prescribing visit is the baseline."""
    return when(item) < start or when(item).date() == start.date()


def _percent(pct: int, word: str, baseline: float) -> str:
    # Design choice: a percentage of a baseline under one point (scores are whole points) says
    # nothing and can be astronomically large, so the change is then described without one.
    if baseline >= 1:
        return f"{pct}% {word}"
    return "from a zero baseline" if baseline == 0 else "from a baseline below one point"


def _verdict(before: Assessment, after: Assessment, best: Assessment, series: Series,
             p: MedicationParams) -> tuple[int, float, bool, str]:
    """(direction, reduction, meaningful, kind) with kind one of response, partial, remission,
    lost, worse, none."""
    entry = series.entry
    share = mcid_share(entry, UNKNOWN_MCID_SHARE)
    change = badness(before, entry) - badness(after, entry)  # > 0 is improvement
    base, now_ = (before.score, after.score)
    if entry is not None and entry.polarity == "higher_is_better":
        base, now_ = before.maxScore - before.score, after.maxScore - after.score
    reduction = (base - now_) / base if base > 0 else (0.0 if now_ == 0 else -1.0)
    meaningful = abs(change) >= share - 1e-12
    remission = entry is not None and entry.remission_below is not None
    in_remission = remission and in_units(after, entry) < entry.remission_below  # type: ignore[arg-type,union-attr,operator]
    was_ill = not remission or in_units(before, entry) >= entry.remission_below  # type: ignore[arg-type,union-attr,operator]
    # Loss of response: an earlier post-start score was a meaningful improvement and the latest
    # has climbed back by at least an MCID from it.
    regained = badness(after, entry) - badness(best, entry) >= share - 1e-12
    best_gain = badness(before, entry) - badness(best, entry) >= share - 1e-12
    if best is not after and best_gain and regained:
        return -1, reduction, True, "lost"
    if meaningful and change < 0:
        return -1, reduction, True, "worse"
    if meaningful and in_remission and was_ill:
        return 1, reduction, True, "remission"
    if meaningful and reduction >= p.partial_reduction:
        eligible = entry is not None and entry.response_baseline_from is not None and (
            in_units(before, entry) >= entry.response_baseline_from)
        return 1, reduction, True, "response" if eligible and reduction >= p.response_reduction else "partial"
    return 0, reduction, meaningful, "none"


def _compare(rx: Prescription, start: datetime, series: Series, p: MedicationParams) -> tuple[Signal, int]:
    """The response signal and its direction (+1 improving, -1 worsening, 0 neither)."""
    before = [a for a in series.points if _baseline_day(a, start)][-1]
    after_all = [a for a in series.points if not _baseline_day(a, start)]
    after = after_all[-1]
    best = min(after_all, key=lambda a: badness(a, series.entry))
    name, drug = series.name, _drug(rx)
    was, now_ = fmt(before.score), fmt(after.score)
    direction, reduction, meaningful, kind = _verdict(before, after, best, series, p)
    pct = round_int(abs(reduction) * 100)
    elapsed = _days(after.createdAt, start)
    early = elapsed < p.adequate_trial_days
    confidence: Confidence = (
        "low" if early else ("high" if len(after_all) >= p.administrations_for_high else "moderate")
    )
    entry = series.entry
    if kind in ("response", "partial", "remission"):
        tone: Tone = "positive"
        detail = f"{name} improved {was}→{now_} ({pct}% reduction) since {drug} started."
        summary = f"On {drug}, {name} improved from {was} to {now_} ({pct}% reduction)."
        if kind == "response":
            summary = summary[:-1] + f" — meets the ≥{fmt(p.response_reduction * 100)}% response criterion."
        if kind == "remission" and entry is not None:
            summary = summary[:-1] + f" — in remission ({name} < {fmt(entry.remission_below or 0)})."
    elif kind == "lost":
        tone = "elevated"
        low = fmt(best.score)
        detail = f"{name} {was}→{low}→{now_} since {drug} started: the improvement to {low} has been lost."
        summary = (f"On {drug}, {name} improved from {was} to {low} but is back to {now_}; no meaningful "
                   "response now (loss of response) — review the regimen.")
    elif kind == "worse":
        tone = "elevated"
        rise = _percent(pct, "increase", before.score)
        detail = f"{name} worsened {was}→{now_} ({rise}) since {drug} started."
        summary = f"On {drug}, {name} worsened from {was} to {now_} ({rise}); review the regimen."
    else:
        tone = "neutral" if early else "watch"
        change = _percent(pct, "reduction" if reduction >= 0 else "increase", before.score)
        if meaningful:
            why = f"below the {fmt(p.partial_reduction * 100)}% partial-response threshold"
        else:
            mcid = f"{fmt(entry.mcid)} points" if entry is not None else "12.5% of its maximum"
            why = f"within the instrument's MCID ({mcid})"
        detail = f"{name} changed {was}→{now_} ({change}) since {drug} started — {why}."
        verdict = f"too early to judge ({elapsed} days on treatment)" if early else "no meaningful response"
        summary = f"On {drug}, {name} went from {was} to {now_} ({change}); {verdict}."
    signal = _signal(
        rx,
        "response",
        "symptom response",
        detail=detail,
        tone=tone,
        metricValue=echo(after.score),
        metricUnit="score",
        confidence=confidence,
        summaryLine=summary,
        observedAt=iso_ms(after.createdAt),
    )
    return signal, direction


def _other_change(series: Series, start: datetime) -> str | None:
    before = [a for a in series.points if _baseline_day(a, start)][-1]
    after = series.latest
    change = badness(before, series.entry) - badness(after, series.entry)
    if abs(change) < mcid_share(series.entry, UNKNOWN_MCID_SHARE) - 1e-12:
        return None
    verb = "improved" if change > 0 else "worsened"
    return f"{series.name} {verb} {fmt(before.score)}→{fmt(after.score)}"


def _worst_first(comparable: list[Series], start: datetime, p: MedicationParams) -> Series | None:
    """A series that worsened beyond its MCID speaks first (a worsening is never hidden by another
    instrument's improvement); otherwise the most covered one."""
    worse = []
    for series in comparable:
        before = [a for a in series.points if _baseline_day(a, start)][-1]
        after = series.latest
        rise = badness(after, series.entry) - badness(before, series.entry)
        if rise >= mcid_share(series.entry, UNKNOWN_MCID_SHARE) - 1e-12:
            worse.append((-rise, series.instrument_id, series))
    if worse:
        return min(worse, key=lambda w: (w[0], w[1]))[2]
    return most_covered(comparable)


def _prescription(
    rx: Prescription, assessments: list[Assessment], p: MedicationParams, now: datetime
) -> tuple[Signal, int]:
    drug = _drug(rx)
    if rx.prescribedAt is None:
        return _signal(
            rx,
            "unanchored",
            "start date missing",
            tone="neutral",
            metricValue=None,
            metricUnit=None,
            confidence="low",
            detail=f"No start date for {drug}; a before/after symptom comparison is not possible.",
            summaryLine=f"{drug}: record the start date to measure symptom response.",
        ), 0
    start = as_utc(rx.prescribedAt)
    since = [a for a in assessments if not _baseline_day(a, start)]
    if not since:
        days = _days(now, start)
        return _signal(
            rx,
            "monitoring",
            "monitoring gap",
            tone="watch",
            metricValue=days,
            metricUnit="days",
            confidence="high",
            observedAt=iso_ms(start),
            detail=f"No symptom-scale assessment since {drug} started ({days} days ago).",
            summaryLine=f"On {drug} for {days} days without a symptom-scale assessment; "
            "schedule a reassessment.",
        ), 0
    comparable = [
        s for s in group(assessments) if _baseline_day(s.first, start) and not _baseline_day(s.latest, start)
    ]
    chosen = _worst_first(comparable, start, p)
    if chosen is None:
        latest = max(since, key=when)
        score = f"{fmt(latest.score)}/{fmt(latest.maxScore)}"
        return _signal(
            rx,
            "baseline",
            "no pre-treatment baseline",
            tone="neutral",
            metricValue=echo(latest.score),
            metricUnit="score",
            confidence="low",
            observedAt=iso_ms(latest.createdAt),
            detail=f"No {latest.instrumentName} administration before {drug} started; response "
            "cannot be measured against a baseline.",
            summaryLine=f"On {drug}, {latest.instrumentName} is {score}; no pre-treatment "
            "baseline to compare.",
        ), 0
    signal, direction = _compare(rx, start, chosen, p)
    # Every instrument is read: a meaningful change on another one is named beside the verdict.
    others = [text for series in comparable if series is not chosen and (text := _other_change(series, start))]
    if others:
        signal = msgspec.structs.replace(signal, detail=f"{signal.detail} Also: {'; '.join(others)}.")
    return signal, direction


def _corroboration(pct: float, symptoms: int, p: MedicationParams) -> Signal:
    objective = -1 if pct >= p.corroboration_pct else (1 if pct <= -p.corroboration_pct else 0)
    moved = f"{'fell' if pct < 0 else 'rose'} {fmt(abs(pct))}%" if pct else "was unchanged"
    tones: dict[int, Tone] = {1: "positive", -1: "watch", 0: "neutral"}
    tone = tones[objective]
    confidence: Confidence = "low"
    if not objective:
        tail = "no objective change to weigh against the symptom scales"
    elif symptoms == objective:
        word = "improvement" if objective > 0 else "worsening"
        tail, confidence = f"corroborating the symptom-scale {word}", "moderate"
    elif symptoms:
        tail = "diverging from the symptom scales; review both"
    else:
        tail = "no symptom-scale change to compare against"
    return Signal(
        module=MODULE,
        signalKey="med_dmse_corroboration",
        label="Digital MSE™ — objective corroboration",
        detail=f"Response latency {moved} across visits — {tail}.",
        tone=tone,
        metricValue=echo(pct),
        metricUnit="%",
        confidence=confidence,
        summaryLine=f"Digital MSE™ response latency {moved} across visits, {tail}.",
    )


def analyze(
    request: MedicationRequest, params: MedicationParams, now: datetime, model: ModelRef | None = None
) -> MedicationAnalysis:
    signals: list[Signal] = []
    directions: list[int] = []
    for rx in request.prescriptions:
        if rx.status.strip().lower() != "active":
            continue
        signal, direction = _prescription(rx, request.assessments, params, now)
        signals.append(signal)
        directions.append(direction)
    if request.dmseLatencyPctChange is not None:
        # Symptom direction for corroboration: any worsening outweighs improvement elsewhere.
        symptoms = -1 if -1 in directions else (1 if 1 in directions else 0)
        signals.append(_corroboration(request.dmseLatencyPctChange, symptoms, params))
    return MedicationAnalysis(
        model=model or default_model(KEY),
        sessionRef=request.sessionRef,
        generatedAt=iso_ms(now),
        safety=safety_findings(request.assessments),
        signalsPresent=len(signals),
        signals=signals,
        disclaimer=DISCLAIMER,
    )

"""Digital MSE: timing telemetry of one session -> four mental-status-exam signals.

No validated absolute cut-offs exist for these metrics, so the fixed bands below are heuristic
defaults; when the caller sends `history` each value is also set against the patient's own baseline.
Fidget episodes are judged per minute when the session's length is known (6 in two hours is not 6 in
nine minutes). A speech rate of 0 wpm or a latency of 0 s is no measurement at all (a capture failure,
or mutism to be examined directly), so it is reported as not measured, never as a finding. The
narrative lists the clinical-attention findings only; borderline ones say "possible" in their lines.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from attunio.engines.common import (
    CONFIDENCE_ORDER,
    Confidence,
    ModelRef,
    default_model,
    echo,
    iso_ms,
    lower_confidence,
    num,
)
from attunio.engines.dmse_params import DmseParams
from attunio.engines.dmse_readings import METRIC_FIELDS, NOT_MEASURED, SIGNALS, Interpretation
from attunio.engines.inputs import Request, SessionRef, number

KEY = "dmse_signals"
DISCLAIMER = (
    "Deterministic, rules-based decision support derived from numerical timing metrics. Not biometric "
    "ML, affect recognition, or an autonomous diagnosis. For clinician review only."
)

Latency = Annotated[float, number(0, 120)]
Speech = Annotated[float, number(0, 600)]
Fidgets = Annotated[float, number(0, 1000)]
Attention = Annotated[float, number(0, 100)]
MAX_HISTORY = 500


class History(Request, frozen=True):
    psychomotor: Annotated[list[Fidgets], msgspec.Meta(max_length=MAX_HISTORY)] | None = None
    response_latency: Annotated[list[Latency], msgspec.Meta(max_length=MAX_HISTORY)] | None = None
    speech_rate: Annotated[list[Speech], msgspec.Meta(max_length=MAX_HISTORY)] | None = None
    sustained_attention: Annotated[list[Attention], msgspec.Meta(max_length=MAX_HISTORY)] | None = None


class DmseRequest(Request, frozen=True):
    psychomotorFidgetEpisodes: Fidgets | None = None
    responseLatencySeconds: Latency | None = None
    speechRateWpm: Speech | None = None
    sustainedAttentionPct: Attention | None = None
    sessionDurationSeconds: Annotated[float, number(0, 86400)] | None = None
    history: History | None = None
    sessionRef: SessionRef | None = None


TrendDir = Literal["up", "down", "stable"]


class Baseline(msgspec.Struct, frozen=True, kw_only=True):
    mean: float
    sd: float | None
    n: int


class DmseSignal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    signalKey: str
    label: str
    present: bool
    metricValue: float | None = None
    metricUnit: str | None = None
    interpretation: Interpretation | None = None
    detail: str | None = None
    confidence: Confidence | None = None
    trendDir: TrendDir | None = None
    mseLine: str | None = None
    baseline: Baseline | None = None


class DmseAnalysis(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="object", tag="dmse.analysis"
):
    model: ModelRef
    sessionRef: str | None = None
    generatedAt: str
    signalsPresent: int
    overallConfidence: Confidence
    signals: list[DmseSignal]
    mseNarrative: list[str]
    disclaimer: str


def missing_evidence(request: DmseRequest) -> str | None:
    if all(getattr(request, name) is None for name in METRIC_FIELDS):
        return "Provide at least one metric: " + ", ".join(sorted(METRIC_FIELDS)) + "."
    return None


def mean_sd(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample SD (n - 1; None for a single value). Plain `fsum` beats array set-up for the
    few hundred values a history holds, and stays exact to the last bit of the sum."""
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (len(values) - 1))


def baseline_of(values: list[float]) -> Baseline:
    mean, sd = mean_sd(values)
    return Baseline(mean=num(mean, 3), sd=None if sd is None else num(sd, 3), n=len(values))


def trend_of(value: float, values: list[float], p: DmseParams) -> TrendDir:
    """Direction of the current value against the patient's own prior values."""
    mean, spread = mean_sd(values)
    sd = spread or 0.0
    threshold = max(p.trend_sd_multiple * sd, p.trend_min_relative * abs(mean))
    delta = value - mean
    if threshold == 0.0:
        return "stable" if delta == 0.0 else ("up" if delta > 0 else "down")
    if delta >= threshold:
        return "up"
    if delta <= -threshold:
        return "down"
    return "stable"


def analyze(
    request: DmseRequest, params: DmseParams, now: datetime, model: ModelRef | None = None
) -> DmseAnalysis:
    short = (
        request.sessionDurationSeconds is not None and request.sessionDurationSeconds < params.short_session_s
    )
    signal_confidence: Confidence = "moderate" if short else "high"
    signals: list[DmseSignal] = []
    narrative: list[str] = []
    present = 0
    for spec in SIGNALS:
        value: float | None = getattr(request, spec.field)
        if value is None:
            signals.append(DmseSignal(signalKey=spec.key, label=spec.label, present=False))
            continue
        if value == 0 and spec.key in NOT_MEASURED:
            signals.append(
                DmseSignal(
                    signalKey=spec.key,
                    label=spec.label,
                    present=False,
                    metricValue=0,
                    metricUnit=spec.unit,
                    detail=NOT_MEASURED[spec.key],
                )
            )
            continue
        reading = spec.read(value, params, request.sessionDurationSeconds)
        prior: list[float] | None = getattr(request.history, spec.key) if request.history else None
        if prior and spec.key in NOT_MEASURED:
            prior = [x for x in prior if x != 0]  # earlier capture failures are no baseline either
        present += 1
        signals.append(
            DmseSignal(
                signalKey=spec.key,
                label=spec.label,
                present=True,
                metricValue=echo(value),
                metricUnit=spec.unit,
                interpretation=reading.interpretation,
                detail=reading.detail,
                confidence=signal_confidence,
                trendDir=trend_of(value, prior, params) if prior else None,
                mseLine=reading.mse_line,
                baseline=baseline_of(prior) if prior else None,
            )
        )
        if reading.interpretation == "clinical_attention":
            narrative.append(reading.mse_line)
    overall: Confidence = CONFIDENCE_ORDER[0]
    if present >= params.signals_for_high:
        overall = "high"
    elif present >= params.signals_for_moderate:
        overall = "moderate"
    if short:
        overall = lower_confidence(overall)
    return DmseAnalysis(
        model=model or default_model(KEY),
        sessionRef=request.sessionRef,
        generatedAt=iso_ms(now),
        signalsPresent=present,
        overallConfidence=overall,
        signals=signals,
        mseNarrative=narrative,
        disclaimer=DISCLAIMER,
    )

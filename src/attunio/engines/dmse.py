"""Digital MSE: timing telemetry of one session -> four mental-status-exam signals.

No validated absolute cut-offs exist for these metrics, so the fixed bands below are heuristic
defaults; when the caller sends `history` each value is also set against the patient's own baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from attunio.engines.common import (
    CONFIDENCE_ORDER,
    Confidence,
    ModelRef,
    default_model,
    echo,
    fmt,
    iso_ms,
    lower_confidence,
    num,
)
from attunio.engines.inputs import Request, SessionRef, number
from attunio.engines.params import ParamsBase, capped

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


HEURISTIC = "Heuristic default; no validated absolute cut-off exists (Mundt 2007, 2012; Yamamoto 2020)."


class DmseParams(ParamsBase, frozen=True):
    latency_borderline_s: Annotated[
        float, capped(0.5, 4.0, "Mean response latency from which delay is noted.", HEURISTIC, "s")
    ] = 1.5
    latency_clinical_s: Annotated[
        float,
        capped(
            1.0,
            6.0,
            "Mean latency judged markedly delayed; the reference fixes 2.6 s as marked.",
            HEURISTIC,
            "s",
        ),
    ] = 2.5
    psychomotor_borderline: Annotated[
        float,
        capped(1, 20, "Fidget episodes per session from which restlessness is noted.", HEURISTIC, "episodes"),
    ] = 3
    psychomotor_clinical: Annotated[
        float, capped(2, 50, "Fidget episodes per session judged marked restlessness.", HEURISTIC, "episodes")
    ] = 6
    speech_slow_borderline_wpm: Annotated[
        float,
        capped(
            80,
            140,
            "Rate below which speech is noted as slowed; conversation runs ≈150 wpm.",
            HEURISTIC,
            "wpm",
        ),
    ] = 110
    speech_slow_clinical_wpm: Annotated[
        float, capped(50, 120, "Rate below which speech is judged markedly slowed.", HEURISTIC, "wpm")
    ] = 90
    speech_fast_borderline_wpm: Annotated[
        float, capped(160, 240, "Rate above which speech is noted as rapid.", HEURISTIC, "wpm")
    ] = 190
    speech_fast_clinical_wpm: Annotated[
        float,
        capped(
            180,
            320,
            "Rate above which speech is judged markedly rapid (possible pressure).",
            HEURISTIC,
            "wpm",
        ),
    ] = 220
    attention_borderline_pct: Annotated[
        float, capped(40, 95, "On-screen share below which attention is noted as reduced.", HEURISTIC, "%")
    ] = 70
    attention_clinical_pct: Annotated[
        float,
        capped(20, 85, "On-screen share below which attention is judged markedly reduced.", HEURISTIC, "%"),
    ] = 50
    short_session_s: Annotated[
        float,
        capped(
            30,
            900,
            "Sessions shorter than this lower confidence one step: counts and means "
            "rest on too little speech and movement.",
            "Design choice; heuristic.",
            "s",
        ),
    ] = 180
    signals_for_high: Annotated[
        int, capped(2, 4, "Signals present for high overall confidence.", "Design choice.", "signals")
    ] = 3
    signals_for_moderate: Annotated[
        int, capped(1, 3, "Signals present for moderate overall confidence.", "Design choice.", "signals")
    ] = 2
    trend_sd_multiple: Annotated[
        float,
        capped(
            0.5,
            3.0,
            "A value this many sample SDs from the baseline mean is a trend.",
            "Jacobson & Truax 1991 (reliable change uses the spread of prior values).",
            "SD",
        ),
    ] = 1.0
    trend_min_relative: Annotated[
        float,
        capped(
            0.0,
            0.5,
            "Smallest change, as a share of the baseline mean, counted as a trend; "
            "guards against a near-zero SD.",
            "Design choice.",
            "fraction",
        ),
    ] = 0.05

    ORDERED = (
        ("latency_borderline_s", "latency_clinical_s"),
        ("psychomotor_borderline", "psychomotor_clinical"),
        ("speech_slow_clinical_wpm", "speech_slow_borderline_wpm"),
        ("speech_slow_borderline_wpm", "speech_fast_borderline_wpm"),
        ("speech_fast_borderline_wpm", "speech_fast_clinical_wpm"),
        ("attention_clinical_pct", "attention_borderline_pct"),
        ("signals_for_moderate", "signals_for_high"),
    )


Interpretation = Literal["within_normal_limits", "borderline", "clinical_attention"]
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


class _Reading(msgspec.Struct, frozen=True):
    interpretation: Interpretation
    detail: str
    mse_line: str


def _episodes(value: float) -> str:
    return f"{fmt(value)} fidget episode{'' if value == 1 else 's'} during session"


def _latency(v: float, p: DmseParams) -> _Reading:
    line = f"Speech: increased response latency (avg ~{fmt(v)}s)."
    if v >= p.latency_clinical_s:
        return _Reading("clinical_attention", f"Markedly delayed response latency (avg {fmt(v)}s).", line)
    if v >= p.latency_borderline_s:
        return _Reading("borderline", f"Mildly delayed response latency (avg {fmt(v)}s).", line)
    return _Reading(
        "within_normal_limits",
        f"Response latency within expected range (avg {fmt(v)}s).",
        f"Speech: response latency within normal limits (avg ~{fmt(v)}s).",
    )


def _psychomotor(v: float, p: DmseParams) -> _Reading:
    line = f"Psychomotor: psychomotor agitation ({_episodes(v)})."
    if v >= p.psychomotor_clinical:
        return _Reading("clinical_attention", f"Marked motor restlessness ({_episodes(v)}).", line)
    if v >= p.psychomotor_borderline:
        return _Reading("borderline", f"Mild motor restlessness ({_episodes(v)}).", line)
    return _Reading(
        "within_normal_limits",
        f"Motor activity within expected range ({_episodes(v)}).",
        f"Psychomotor: no psychomotor agitation observed ({_episodes(v)}).",
    )


def _speech(v: float, p: DmseParams) -> _Reading:
    wpm = f"{fmt(v)} wpm"
    if v < p.speech_slow_clinical_wpm:
        return _Reading(
            "clinical_attention", f"Markedly slowed speech rate ({wpm}).", f"Speech: slowed rate (~{wpm})."
        )
    if v < p.speech_slow_borderline_wpm:
        return _Reading("borderline", f"Mildly slowed speech rate ({wpm}).", f"Speech: slowed rate (~{wpm}).")
    if v > p.speech_fast_clinical_wpm:
        return _Reading(
            "clinical_attention",
            f"Markedly rapid speech rate ({wpm}).",
            f"Speech: rapid, possibly pressured rate (~{wpm}).",
        )
    if v > p.speech_fast_borderline_wpm:
        return _Reading("borderline", f"Mildly rapid speech rate ({wpm}).", f"Speech: rapid rate (~{wpm}).")
    return _Reading(
        "within_normal_limits",
        f"Speech rate within expected range ({wpm}).",
        f"Speech: normal rate (~{wpm}).",
    )


def _attention(v: float, p: DmseParams) -> _Reading:
    share = f"{fmt(v)}% of session on-screen"
    line = f"Attention: reduced sustained attention ({share})."
    if v < p.attention_clinical_pct:
        return _Reading("clinical_attention", f"Markedly reduced sustained attention ({share}).", line)
    if v < p.attention_borderline_pct:
        return _Reading("borderline", f"Mildly reduced sustained attention ({share}).", line)
    return _Reading(
        "within_normal_limits",
        f"Sustained attention within expected range ({share}).",
        f"Attention: sustained attention maintained ({share}).",
    )


class _Spec(msgspec.Struct, frozen=True):
    key: str
    label: str
    unit: str
    field: str
    read: Callable[[float, DmseParams], _Reading]


# The documented, fixed order of the four signals.
SIGNALS: tuple[_Spec, ...] = (
    _Spec("response_latency", "Response latency", "s", "responseLatencySeconds", _latency),
    _Spec("psychomotor", "Psychomotor activity", "episodes", "psychomotorFidgetEpisodes", _psychomotor),
    _Spec("speech_rate", "Speech rate", "wpm", "speechRateWpm", _speech),
    _Spec("sustained_attention", "Sustained attention", "%", "sustainedAttentionPct", _attention),
)
METRIC_FIELDS = tuple(spec.field for spec in SIGNALS)


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
    for spec in SIGNALS:
        value: float | None = getattr(request, spec.field)
        if value is None:
            signals.append(DmseSignal(signalKey=spec.key, label=spec.label, present=False))
            continue
        reading = spec.read(value, params)
        prior: list[float] | None = getattr(request.history, spec.key) if request.history else None
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
        narrative.append(reading.mse_line)
    present = len(narrative)
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

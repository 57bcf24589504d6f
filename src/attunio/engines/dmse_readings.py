"""How each Digital MSE metric is read: its interpretation, its detail and its MSE line.

Borderline lines say "possible"; clinical-attention lines state the finding (the reference's own
wording). The four signals come in the documented, fixed order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

from attunio.engines.common import fmt
from attunio.engines.dmse_params import DmseParams

MIN_RATE_SESSION_S = 60.0

Interpretation = Literal["within_normal_limits", "borderline", "clinical_attention"]


class Reading(msgspec.Struct, frozen=True):
    interpretation: Interpretation
    detail: str
    mse_line: str


def _episodes(value: float) -> str:
    return f"{fmt(value)} fidget episode{'' if value == 1 else 's'} during session"


def _latency(v: float, p: DmseParams, _: float | None) -> Reading:
    if v >= p.latency_clinical_s:
        return Reading(
            "clinical_attention",
            f"Markedly delayed response latency (avg {fmt(v)}s).",
            f"Speech: increased response latency (avg ~{fmt(v)}s).",
        )
    if v >= p.latency_borderline_s:
        return Reading(
            "borderline",
            f"Possible mild delay in response latency (avg {fmt(v)}s).",
            f"Speech: possibly increased response latency (avg ~{fmt(v)}s).",
        )
    return Reading(
        "within_normal_limits",
        f"Response latency within expected range (avg {fmt(v)}s).",
        f"Speech: response latency within normal limits (avg ~{fmt(v)}s).",
    )


def _psychomotor(v: float, p: DmseParams, duration_s: float | None) -> Reading:
    episodes = _episodes(v)
    if duration_s is not None and duration_s >= MIN_RATE_SESSION_S:
        # Judged as a rate: the same count means little over two hours and much over nine minutes.
        # Under a minute a rate would swing wildly on one episode, so the counts judge it instead.
        minutes = duration_s / 60
        rate = v / minutes
        said = f"{episodes}; {fmt(rate)} per minute over {fmt(minutes, 1)} min"
        marked, noted = rate >= p.psychomotor_clinical_per_min, rate >= p.psychomotor_borderline_per_min
    else:
        said = episodes
        marked, noted = v >= p.psychomotor_clinical, v >= p.psychomotor_borderline
    if marked:
        return Reading(
            "clinical_attention",
            f"Marked motor restlessness ({said}).",
            f"Psychomotor: psychomotor agitation ({episodes}).",
        )
    if noted:
        return Reading(
            "borderline",
            f"Possible mild motor restlessness ({said}).",
            f"Psychomotor: possible psychomotor agitation ({episodes}).",
        )
    return Reading(
        "within_normal_limits",
        f"Motor activity within expected range ({said}).",
        f"Psychomotor: no psychomotor agitation observed ({episodes}).",
    )


def _speech(v: float, p: DmseParams, _: float | None) -> Reading:
    wpm = f"{fmt(v)} wpm"
    if v < p.speech_slow_clinical_wpm:
        return Reading(
            "clinical_attention", f"Markedly slowed speech rate ({wpm}).", f"Speech: slowed rate (~{wpm})."
        )
    if v < p.speech_slow_borderline_wpm:
        return Reading(
            "borderline", f"Possibly slowed speech rate ({wpm}).", f"Speech: possibly slowed rate (~{wpm})."
        )
    if v > p.speech_fast_clinical_wpm:
        return Reading(
            "clinical_attention",
            f"Markedly rapid speech rate ({wpm}).",
            f"Speech: rapid, possibly pressured rate (~{wpm}).",
        )
    if v > p.speech_fast_borderline_wpm:
        return Reading(
            "borderline", f"Possibly rapid speech rate ({wpm}).", f"Speech: possibly rapid rate (~{wpm})."
        )
    return Reading(
        "within_normal_limits",
        f"Speech rate within expected range ({wpm}).",
        f"Speech: normal rate (~{wpm}).",
    )


def _attention(v: float, p: DmseParams, _: float | None) -> Reading:
    share = f"{fmt(v)}% of session on-screen"
    if v < p.attention_clinical_pct:
        return Reading(
            "clinical_attention",
            f"Markedly reduced sustained attention ({share}).",
            f"Attention: reduced sustained attention ({share}).",
        )
    if v < p.attention_borderline_pct:
        return Reading(
            "borderline",
            f"Possibly reduced sustained attention ({share}).",
            f"Attention: possibly reduced sustained attention ({share}).",
        )
    return Reading(
        "within_normal_limits",
        f"Sustained attention within expected range ({share}).",
        f"Attention: sustained attention maintained ({share}).",
    )


# A zero here is no measurement: nobody answers in 0 s (turn gaps run ≈ 200 ms, Stivers 2009), and
# 0 wpm means no speech reached the capture, which is either a failure or mutism to examine directly.
NOT_MEASURED = {
    "response_latency": "Not measured — check capture: a mean response latency of 0 s is not a measurement "
    "(conversational turn gaps run about 200 ms).",
    "speech_rate": "Not measured — check capture: 0 wpm means no speech was captured; if the patient did not "
    "speak, that is a finding to examine directly (mutism), not a slowed rate.",
}


class Spec(msgspec.Struct, frozen=True):
    key: str
    label: str
    unit: str
    field: str
    read: Callable[[float, DmseParams, float | None], Reading]


# The documented, fixed order of the four signals.
SIGNALS: tuple[Spec, ...] = (
    Spec("response_latency", "Response latency", "s", "responseLatencySeconds", _latency),
    Spec("psychomotor", "Psychomotor activity", "episodes", "psychomotorFidgetEpisodes", _psychomotor),
    Spec("speech_rate", "Speech rate", "wpm", "speechRateWpm", _speech),
    Spec("sustained_attention", "Sustained attention", "%", "sustainedAttentionPct", _attention),
)
METRIC_FIELDS = tuple(spec.field for spec in SIGNALS)

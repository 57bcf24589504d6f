"""Biomarker interpretation: abnormally flagged lab readings -> their psychiatric relevance.

The lab's own `flag` decides what is abnormal. A `critical` flag always yields the highest tone;
that floor is code, not a parameter, so no calibration can lower it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from attunio.engines.biomarker_table import Marker, Relevance, lookup
from attunio.engines.common import (
    HIGHEST_TONE,
    Confidence,
    ModelRef,
    Signal,
    Tone,
    default_model,
    echo,
    fmt,
    iso_ms,
    slug,
    tone_rank,
)
from attunio.engines.inputs import Request, SessionRef, text
from attunio.engines.params import ParamsBase, capped

KEY = "biomarker_interpretation"
MODULE = "biomarker"
DISCLAIMER = (
    "Deterministic, rules-based decision support mapping laboratory-flagged results to their known "
    "psychiatric relevance. The lab's own flags and reference ranges decide what is abnormal. Not a "
    "diagnosis. For clinician review only."
)

Flag = Literal["high", "low", "critical", "normal"]


class Biomarker(Request, frozen=True):
    name: Annotated[str, text(1, 120)]
    value: float | Annotated[str, text(0, 64)] | None
    unit: Annotated[str, text(0, 32)] | None = None
    flag: Flag | None = None
    referenceRange: Annotated[str, text(0, 64)] | None = None
    note: Annotated[str, text(0, 240)] | None = None


class Results(Request, frozen=True):
    biomarkers: Annotated[list[Biomarker], msgspec.Meta(max_length=200)] = msgspec.field(default_factory=list)


class Lab(Request, frozen=True):
    id: Annotated[str, text(1, 128)]
    labName: Annotated[str, text(1, 160)]
    results: Results
    observedAt: datetime | None = None


class BiomarkerRequest(Request, frozen=True):
    labs: Annotated[list[Lab], msgspec.Meta(min_length=1, max_length=100)]
    sessionRef: SessionRef | None = None


class BiomarkerParams(ParamsBase, frozen=True):
    # These only make the wording and tone of an already-abnormal reading stronger; none of them
    # can silence a flagged reading or lower the critical floor.
    lithium_toxic_mmol_l: Annotated[
        float,
        capped(
            1.0,
            2.0,
            "Lithium level from which a high reading is worded as toxic and raised to `elevated`.",
            "Lithium label; toxicity commonly above ~1.5 mmol/L.",
            "mmol/L",
        ),
    ] = 1.5
    sodium_marked_below_mmol_l: Annotated[
        float,
        capped(
            120,
            134,
            "Sodium below which a low reading is worded as marked hyponatraemia and raised to `elevated`.",
            "Hyponatraemia < 130 mmol/L is moderate-to-severe "
            "(European hyponatraemia guideline 2014); SSRI-SIADH reviews.",
            "mmol/L",
        ),
    ] = 130
    vitamin_d_deficient_below_ng_ml: Annotated[
        float,
        capped(
            10,
            30,
            "25-OH vitamin D below which a low reading is worded as deficiency.",
            "Endocrine Society 2011: < 20 ng/mL deficient.",
            "ng/mL",
        ),
    ] = 20
    valproate_toxic_ug_ml: Annotated[
        float,
        capped(
            100,
            175,
            "Valproate level from which a high reading is worded as toxic and raised to `elevated`.",
            "Trough window 50–100 µg/mL; toxicity rises above ~125.",
            "µg/mL",
        ),
    ] = 125


class BiomarkerAnalysis(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="object",
    tag="biomarker.analysis",
):
    model: ModelRef
    sessionRef: str | None = None
    generatedAt: str
    signalsPresent: int
    signals: list[Signal]
    disclaimer: str


_NUMBER = re.compile(r"^[<>≤≥=~]?\s*(-?\d+(?:\.\d+)?)\s*$")
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(-?\d+(?:\.\d+)?)\s*$")
_BOUND = re.compile(r"^\s*([<>≤≥]=?)\s*(-?\d+(?:\.\d+)?)\s*$")


def numeric(value: float | str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, float | int):
        return float(value)
    match = _NUMBER.match(value.strip())
    return float(match.group(1)) if match else None


def reference_bounds(reference: str | None) -> tuple[float | None, float | None]:
    """`0.4-4.0` -> (0.4, 4.0); `<5` -> (None, 5); unparseable -> (None, None)."""
    if not reference:
        return None, None
    if match := _RANGE.match(reference):
        return float(match.group(1)), float(match.group(2))
    if match := _BOUND.match(reference):
        bound = float(match.group(2))
        return (None, bound) if match.group(1).startswith(("<", "≤")) else (bound, None)
    return None, None


def direction(reading: Biomarker) -> Literal["high", "low"] | None:
    """High or low: from the flag, or for a critical flag from the value against its range."""
    if reading.flag in ("high", "low"):
        return reading.flag
    value = numeric(reading.value)
    low, high = reference_bounds(reading.referenceRange)
    if value is None:
        return None
    if high is not None and value > high:
        return "high"
    if low is not None and value < low:
        return "low"
    return None


def _severe(relevance: Relevance, reading: Biomarker, params: BiomarkerParams) -> tuple[str, Tone] | None:
    rule = relevance.severe
    value = numeric(reading.value)
    if rule is None or value is None or reading.unit is None:
        return None
    factor = rule.factors.get(reading.unit.strip().lower())
    if factor is None:
        return None
    threshold = float(getattr(params, rule.param))
    converted = value * factor
    if (converted >= threshold) if rule.above else (converted < threshold):
        return rule.text.format(threshold=fmt(threshold)), rule.tone
    return None


def _measured(reading: Biomarker) -> str:
    if reading.value is None or reading.value == "":
        return "no value reported"
    # Lab values can carry more decimals than scores do (TSH 0.005); keep up to four.
    shown = fmt(reading.value, 4) if isinstance(reading.value, float | int) else reading.value
    return f"{shown} {reading.unit}" if reading.unit else shown


def interpret(reading: Biomarker, lab: Lab, params: BiomarkerParams) -> Signal:
    marker: Marker | None = lookup(reading.name)
    side = direction(reading)
    if side is None and marker is not None and (marker.high is None) != (marker.low is None):
        # A marker that matters in one direction only (ammonia, CK) needs no range to say which.
        side = "high" if marker.high is not None else "low"
    relevance: Relevance | None = None if marker is None or side is None else getattr(marker, side)
    label = marker.label if marker else reading.name
    if relevance is not None:
        what, tone, action = relevance.text, relevance.tone, relevance.action
        if stronger := _severe(relevance, reading, params):
            what, tone = stronger
    else:
        what = f"abnormal {label} result"
        if marker is None:
            what += "; outside the psychiatric reference table"
        elif side is not None:
            what += f"; no specific psychiatric relevance is listed for a {side} value"
        tone = "watch"
        action = "review its clinical significance and any psychiatric relevance."
    if reading.flag == "critical":
        # The safety floor: fixed in code, never read from params.
        tone = HIGHEST_TONE
        action = "critical value — act on the lab's critical-result protocol now; " + action
    word = {"high": "elevated", "low": "low", None: "abnormal"}[side]
    if reading.flag == "critical":
        word = f"critically {'abnormal' if side is None else side}"
    value = numeric(reading.value)
    confidence: Confidence = "low"
    if reading.value is not None and reading.value != "":
        confidence = "high" if value is not None and reading.referenceRange else "moderate"
    if marker is None and confidence == "high":
        confidence = "moderate"
    measured = _measured(reading)
    ref = f" (ref {reading.referenceRange})" if reading.referenceRange else ""
    if value is not None:
        at = f"at {measured}"
    elif reading.value in (None, ""):
        at = f"({measured})"
    else:
        at = f"(reported as {measured})"
    metric: float | str | None = (
        echo(float(reading.value)) if isinstance(reading.value, int | float) else reading.value
    )
    return Signal(
        module=MODULE,
        signalKey=f"bio_{marker.key if marker else slug(reading.name)}",
        label=label,
        detail=f"{measured}{ref} — {what}.",
        tone=tone,
        metricValue=metric,
        metricUnit=reading.unit or None,
        confidence=confidence,
        summaryLine=f"{label} {word} {at}: {action}",
        sourceRef=lab.id,
        observedAt=iso_ms(lab.observedAt) if lab.observedAt else None,
    )


def analyze(
    request: BiomarkerRequest, params: BiomarkerParams, now: datetime, model: ModelRef | None = None
) -> BiomarkerAnalysis:
    signals = [
        interpret(reading, lab, params)
        for lab in request.labs
        for reading in lab.results.biomarkers
        if reading.flag is not None and reading.flag != "normal"
    ]
    # Most urgent first; equal tones keep request order.
    signals.sort(key=lambda s: -tone_rank(s.tone))
    return BiomarkerAnalysis(
        model=model or default_model(KEY),
        sessionRef=request.sessionRef,
        generatedAt=iso_ms(now),
        signalsPresent=len(signals),
        signals=signals,
        disclaimer=DISCLAIMER,
    )

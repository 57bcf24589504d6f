"""Biomarker interpretation: abnormally flagged lab readings -> their psychiatric relevance.

The lab's own `flag` decides what is abnormal. A `critical` flag always yields the highest tone;
that floor is code, not a parameter, so no calibration can lower it. Severity tiers grade how far
an abnormal value has gone (lithium 2.6 is not lithium 1.6); they only ever raise the tone. A
reading sent without any flag (an ECG's QTc, a feed that drops flags) still yields a signal when its
value crosses a tier of tone `elevated` or above: a dangerous value is never dropped for want of a
flag. `normal` is the lab's word and is respected.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from attunio.engines.biomarker_params import BiomarkerParams
from attunio.engines.biomarker_table import Marker, Relevance, Tier, lookup, lookup_code, unit_key
from attunio.engines.common import (
    HIGHEST_TONE,
    Confidence,
    ModelRef,
    Signal,
    default_model,
    echo,
    fmt,
    iso_ms,
    slug,
    tone_rank,
)
from attunio.engines.inputs import Request, SessionRef, text

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
    # A LOINC code identifies the test more surely than its printed name, so it is tried first.
    code: (
        Annotated[
            str,
            text(1, 64),
            msgspec.Meta(
                description="Optional LOINC code of the test, e.g. \"14334-7\" (lithium); when known it "
                "identifies the marker before the printed name does."
            ),
        ]
        | None
    ) = None
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


Side = Literal["high", "low"]


def marker_of(reading: Biomarker) -> Marker | None:
    """By `code` when it is a known LOINC code, else by name."""
    if reading.code is not None and (by_code := lookup_code(reading.code)) is not None:
        return by_code
    return lookup(reading.name)


def in_marker_unit(marker: Marker, reading: Biomarker) -> float | None:
    """The value in the unit the marker's tiers are written in; None when not numeric or in a unit
    the marker does not know (never guessed: a wrong conversion is worse than none)."""
    value = numeric(reading.value)
    if value is None or reading.unit is None:
        return None
    factor = marker.units.get(unit_key(reading.unit))
    return None if factor is None else value * factor


def tier_reached(relevance: Relevance, converted: float, params: BiomarkerParams) -> Tier | None:
    """The most urgent tier the value has crossed (ties go to the later, more extreme tier)."""
    reached: Tier | None = None
    for tier in relevance.tiers:
        threshold = float(getattr(params, tier.param))
        crossed = converted >= threshold if tier.above else converted < threshold
        if crossed and (reached is None or tone_rank(tier.tone) >= tone_rank(reached.tone)):
            reached = tier
    return reached


def _unflagged_side(marker: Marker, converted: float | None, params: BiomarkerParams) -> Side | None:
    """For a reading without a flag: the side whose tier of tone `elevated` or above it crosses."""
    if converted is None:
        return None
    for side in ("high", "low"):
        relevance: Relevance | None = getattr(marker, side)
        tier = None if relevance is None else tier_reached(relevance, converted, params)
        if tier is not None and tone_rank(tier.tone) >= tone_rank("elevated"):
            return side
    return None


def _side(reading: Biomarker, marker: Marker | None, converted: float | None, params: BiomarkerParams) -> Side | None:
    side = direction(reading)
    if side is None and marker is not None:
        if (marker.high is None) != (marker.low is None):
            # A marker that matters in one direction only (ammonia, CK) needs no range to say which.
            side = "high" if marker.high is not None else "low"
        else:
            side = _unflagged_side(marker, converted, params)
    return side


def raised(reading: Biomarker, params: BiomarkerParams) -> bool:
    """Whether a reading without a flag still crosses an urgent tier (and so yields a signal)."""
    marker = marker_of(reading)
    return marker is not None and _unflagged_side(marker, in_marker_unit(marker, reading), params) is not None


def _ungraded(marker: Marker, relevance: Relevance, reading: Biomarker) -> str:
    """Why a tiered reading was not graded, said in the answer so unit confusion is visible."""
    if not relevance.tiers or numeric(reading.value) is None:
        return ""
    said = f"the unit {reading.unit!r} is not one its severity grading converts" if reading.unit else "no unit was sent"
    return f"; {said}, so the level was not graded — check it against the tiers in {marker.unit}"


def _measured(reading: Biomarker) -> str:
    if reading.value is None or reading.value == "":
        return "no value reported"
    # Lab values can carry more decimals than scores do (TSH 0.005); keep up to four.
    shown = fmt(reading.value, 4) if isinstance(reading.value, float | int) else reading.value
    return f"{shown} {reading.unit}" if reading.unit else shown


def interpret(reading: Biomarker, lab: Lab, params: BiomarkerParams) -> Signal:
    marker = marker_of(reading)
    converted = None if marker is None else in_marker_unit(marker, reading)
    side = _side(reading, marker, converted, params)
    relevance: Relevance | None = None if marker is None or side is None else getattr(marker, side)
    label = marker.label if marker else reading.name
    if marker is not None and relevance is not None:
        what, tone, action = relevance.text, relevance.tone, relevance.action
        tier = None if converted is None else tier_reached(relevance, converted, params)
        if tier is not None:
            what = tier.text.format(threshold=fmt(float(getattr(params, tier.param)), 4))
            action = tier.action or action
            if tone_rank(tier.tone) > tone_rank(tone):
                tone = tier.tone
        elif converted is None:
            what += _ungraded(marker, relevance, reading)
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
    elif tone == HIGHEST_TONE:
        action = "critical level — " + action
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
        if (reading.flag is not None and reading.flag != "normal")
        or (reading.flag is None and raised(reading, params))
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

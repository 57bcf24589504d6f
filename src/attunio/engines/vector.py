"""Relapse and outcome scores for many requests at once, under any parameter set (numpy).

Scoring an evaluation set under two parameter sets splits into a part that does not depend on the
parameters (`*_features`: the engines' own series grouping, `scales.group`, runs once per request so
registry aliases, polarity and same-time ordering cannot drift from the engines; C-level maps read
the other fields and `instants.micros_of` turns the times into exact microseconds) and a part that
does (`*_scores`, array arithmetic with no Python-level step per request). The array code performs
the same IEEE operations in the same order as `relapse.analyze` and `outcome.analyze`, and rounds half away from
zero on the exact binary value exactly as `common.round_half_up` does, so its scores and levels are
equal, not merely close, to the per-request engine's (tests/calibration/test_vector.py proves it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from attunio.engines.inputs import Assessment
from attunio.engines.instants import micros, micros_of
from attunio.engines.items import safety_findings
from attunio.engines.outcome import OutcomeParams, OutcomeRequest
from attunio.engines.outcome_symptoms import symptom_change
from attunio.engines.relapse import RelapseParams, RelapseRequest, relapse_has_other_evidence
from attunio.engines.relapse_symptoms import FLOOR_RANK
from attunio.engines.scales import badness, floor_of, group

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
NAN = math.nan
_MICROS_PER_DAY = 86_400_000_000

RELAPSE_LEVELS = ("low", "moderate", "elevated", "high")
OUTCOME_DIRECTIONS = ("worsening", "stable", "improving")


def round_half_away(values: Floats) -> Ints:
    """`round_int` for arrays. Deciding on the float's exact value is what `Decimal(repr(x))` does:
    the shortest repr of a float lies on the same side of a .5 boundary as the float itself."""
    magnitude = np.abs(values)
    whole = np.floor(magnitude)
    rounded = whole + (magnitude - whole >= 0.5)
    result: Ints = np.copysign(rounded, values).astype(np.int64)
    return result


def _clamp(values: Floats, low: float, high: float) -> Floats:
    return np.minimum(high, np.maximum(low, values))


def _optional(values: Sequence[float | int | None]) -> Floats:
    """NaN where a value is None, else `float(value)` (`np.fromiter` converts a number as `float()`
    does; `dict.get(v, v)` swaps None for NaN without a Python-level loop)."""
    return np.fromiter(map(_NONE_AS_NAN.get, values, values), dtype=np.float64, count=len(values))


_NONE_AS_NAN: dict[object, float] = {None: NAN}


def _column(items: Sequence[object], name: str) -> list[Any]:
    """One attribute of every item, read in C (`map` of an `attrgetter`), not in a Python loop."""
    return list(map(attrgetter(name), items))


# -- relapse ----------------------------------------------------------------------------------


class RelapseFeatures(msgspec.Struct, frozen=True, kw_only=True):
    now: int  # exact microseconds of the `now` the answers are given at
    time: Ints  # per administration, grouped by series, oldest first: exact microseconds
    bad: Floats  # per administration: badness (share of the scale, 0 best)
    start: Ints  # per series: index of its oldest administration
    last: Ints  # per series: index of its latest administration
    row: Ints  # per series: the request it belongs to
    mcid: Floats  # per series: MCID as a share of the scale, NaN for an unknown instrument
    floor: Ints  # per request: the highest level floor of any series' latest band (0, 1, 2)
    safety: npt.NDArray[np.bool_]  # per request: a positive suicidality item
    sleep: Floats
    dmse: Floats
    med_days: Floats
    med_active: npt.NDArray[np.bool_]
    visit_days: Floats


def relapse_has_evidence(r: RelapseRequest) -> bool:
    """`relapse.missing_evidence(r) is None`, without building the answer's wording."""
    return bool(r.assessments) or relapse_has_other_evidence(r)


def relapse_features(requests: Sequence[RelapseRequest], now: datetime) -> RelapseFeatures:
    items: list[Assessment] = []
    bad: list[float] = []
    starts: list[int] = []
    lasts: list[int] = []
    rows: list[int] = []
    mcids: list[float] = []
    floor = np.zeros(len(requests), dtype=np.int64)
    for index, request in enumerate(requests):
        for series in group(request.assessments):
            starts.append(len(items))
            items.extend(series.points)
            bad.extend(badness(a, series.entry) for a in series.points)
            lasts.append(len(items) - 1)
            rows.append(index)
            entry = series.entry
            mcids.append(entry.mcid / entry.maximum if entry is not None else NAN)
            floor[index] = max(floor[index], FLOOR_RANK[floor_of(series.latest, entry)])
    safety = np.fromiter((bool(safety_findings(r.assessments)) for r in requests), np.bool_, count=len(requests))
    return RelapseFeatures(
        now=micros(now),
        time=micros_of(_column(items, "createdAt")) if items else np.zeros(0, dtype=np.int64),
        bad=np.array(bad, dtype=np.float64),
        start=np.array(starts, dtype=np.int64),
        last=np.array(lasts, dtype=np.int64),
        row=np.array(rows, dtype=np.int64),
        mcid=np.array(mcids, dtype=np.float64),
        floor=floor,
        safety=safety,
        sleep=_optional(_column(requests, "avgSleepHours")),
        dmse=_optional(_column(requests, "dmseLatencyPctChange")),
        med_days=_optional(_column(requests, "daysSinceMedChange")),
        med_active=np.fromiter(map(attrgetter("hasActiveMedication"), requests), np.bool_, count=len(requests)),
        visit_days=_optional(_column(requests, "daysSinceLastVisit")),
    )


def _symptom_points(f: RelapseFeatures, p: RelapseParams, count: int) -> Floats:
    """`relapse_symptoms.trajectory` for every series at once, the highest per request."""
    symptoms = np.full(count, -np.inf)
    if not len(f.last):
        return np.zeros(count)
    window_start = f.now - p.trajectory_window_days * _MICROS_PER_DAY
    counted = f.time >= window_start
    counted[f.last] = True
    best = np.minimum.reduceat(np.where(counted, f.bad, np.inf), f.start)
    latest = f.bad[f.last]
    full = np.where(np.isnan(f.mcid), p.velocity_full_rise, p.velocity_full_mcid * f.mcid)
    rise = latest - best
    points = p.symptoms_level_points * latest + p.symptoms_velocity_points * _clamp(rise / full, 0.0, 1.0)
    np.maximum.at(symptoms, f.row, points)
    result: Floats = np.where(np.isneginf(symptoms), 0.0, symptoms)
    return result


def relapse_scores(f: RelapseFeatures, p: RelapseParams) -> tuple[Ints, Ints]:
    """(score 0–100, level index into RELAPSE_LEVELS) per request."""
    with np.errstate(invalid="ignore"):
        symptoms = _symptom_points(f, p, len(f.sleep))

        hours = f.sleep
        steps = (
            (hours < p.sleep_suboptimal_h).astype(np.float64)
            + (hours < p.sleep_short_h)
            + (hours < p.sleep_very_short_h)
        )
        steps = np.where((steps == 0) & (hours > p.sleep_long_h), 1.0, steps)
        sleep = np.where(np.isnan(hours), 0.0, p.sleep_points * steps / 3)

        dmse = np.where(np.isnan(f.dmse), 0.0, p.dmse_points * _clamp(f.dmse / p.dmse_full_pct, 0.0, 1.0))

        share = np.maximum(0.0, 1.0 - f.med_days / p.medication_window_days)
        medication = np.where(np.isnan(f.med_days), 0.0, p.medication_points * share)

        span = p.cadence_full_days - p.cadence_grace_days
        cadence_share = _clamp((f.visit_days - p.cadence_grace_days) / span, 0.0, 1.0)
        cadence = np.where(np.isnan(f.visit_days), 0.0, p.cadence_points * cadence_share)

    total = (((symptoms + sleep) + dmse) + medication) + cadence
    score = round_half_away(_clamp(total, 0.0, 100.0))
    level = np.zeros(score.shape, dtype=np.int64)
    for index, edge in enumerate((p.moderate_from, p.elevated_from, p.high_from), start=1):
        level = np.where(score >= edge, index, level)
    # The level floors of `relapse.level_of`: the latest band of any instrument, then suicidality.
    level = np.maximum(level, f.floor)
    level = np.where(f.safety, 3, level)
    return score, level


# -- outcome ----------------------------------------------------------------------------------


class OutcomeFeatures(msgspec.Struct, frozen=True, kw_only=True):
    reduction: Floats  # relative symptom reduction of the series that speaks, NaN if none
    dmse: Floats
    medications: Floats
    biomarkers: Floats
    sleep: Floats


def _reduction(request: OutcomeRequest) -> float:
    chosen, _, _ = symptom_change(request.assessments)
    return NAN if chosen is None else chosen.reduction


def outcome_has_evidence(r: OutcomeRequest) -> bool:
    """`outcome.missing_evidence(r) is None`: some instrument given twice, or another source."""
    repeated = len(r.assessments) > 1 and any(len(s.points) >= 2 for s in group(r.assessments))
    return repeated or r.activeMedications > 0 or r.biomarkerWatchCount > 0 or any(
        value is not None for value in (r.dmseLatencyPctChange, r.avgSleepHours)
    )


def outcome_features(requests: Sequence[OutcomeRequest]) -> OutcomeFeatures:
    return OutcomeFeatures(
        reduction=np.fromiter(map(_reduction, requests), np.float64, count=len(requests)),
        dmse=_optional([r.dmseLatencyPctChange for r in requests]),
        medications=np.array([r.activeMedications for r in requests], dtype=np.float64),
        biomarkers=np.array([r.biomarkerWatchCount for r in requests], dtype=np.float64),
        sleep=_optional([r.avgSleepHours for r in requests]),
    )


def outcome_scores(f: OutcomeFeatures, p: OutcomeParams) -> tuple[Ints, Ints]:
    """(composite −100…100, direction index into OUTCOME_DIRECTIONS) per request."""
    with np.errstate(invalid="ignore"):
        symptoms = np.where(np.isnan(f.reduction), 0.0, p.symptoms_weight * _clamp(f.reduction, -1.0, 1.0))
        dmse = np.where(np.isnan(f.dmse), 0.0, p.dmse_weight * _clamp(-f.dmse / p.dmse_full_pct, -1.0, 1.0))
        engaged = (f.medications > 0) & (f.medications < p.polypharmacy_count)
        medication = np.where(engaged, float(p.medication_on_treatment), 0.0)
        biomarker = np.where(f.biomarkers > 0, -np.minimum(p.biomarker_max, p.biomarker_per_item * f.biomarkers),
                             0.0)
        hours = f.sleep
        below = np.maximum(-1.0, 1.0 - 2.0 * (p.sleep_healthy_low_h - hours) / p.sleep_span_h)
        above = np.maximum(-1.0, 1.0 - 2.0 * (hours - p.sleep_healthy_high_h) / p.sleep_span_h)
        score01 = np.where(hours < p.sleep_healthy_low_h, below, np.where(hours > p.sleep_healthy_high_h, above, 1.0))
        sleep = np.where(np.isnan(hours), 0.0, p.sleep_weight * score01)

    total = ((((0.0 + symptoms) + dmse) + medication) + biomarker) + sleep
    score = round_half_away(_clamp(total, -100.0, 100.0))
    # `outcome.direction_of`: only measured change (symptoms, latency) decides the direction.
    change = symptoms + dmse
    direction = np.ones(score.shape, dtype=np.int64)
    direction = np.where(change >= p.direction_threshold, 2, direction)
    direction = np.where((change < p.direction_threshold) & (change <= -p.direction_threshold), 0, direction)
    return score, direction

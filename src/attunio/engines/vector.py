"""Relapse and outcome scores for many requests at once, under any parameter set (numpy).

Scoring an evaluation set under two parameter sets splits into a part that does not depend on the
parameters (`*_features`: C-level maps read each field of every request and administration into
a flat list, `instants.micros_of` turns the times into exact microseconds, then numpy groups the
administrations into series as `scales.group` does) and a part that does (`*_scores`, array
arithmetic). No Python-level step runs per request or per administration. The array code performs
the same IEEE operations in the same order as `relapse.analyze` and `outcome.analyze`, and rounds half away from
zero on the exact binary value exactly as `common.round_half_up` does, so its scores and levels are
equal, not merely close, to the per-request engine's (tests/calibration/test_vector.py proves it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain, count
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from attunio.engines.inputs import Assessment
from attunio.engines.instants import micros_of
from attunio.engines.outcome import OutcomeParams, OutcomeRequest
from attunio.engines.relapse import RelapseParams, RelapseRequest

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
NAN = math.nan

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
    latest: Floats  # (n, k) latest administration as a share of its scale, NaN where no series
    rise: Floats  # (n, k) rise between the two latest administrations, 0.0 with one administration
    sleep: Floats
    dmse: Floats
    med_days: Floats
    med_active: npt.NDArray[np.bool_]
    visit_days: Floats


def relapse_has_evidence(r: RelapseRequest) -> bool:
    """`relapse.missing_evidence(r) is None`, without building the answer's wording."""
    return bool(r.assessments) or r.hasActiveMedication or any(
        value is not None
        for value in (r.avgSleepHours, r.dmseLatencyPctChange, r.daysSinceMedChange, r.daysSinceLastVisit)
    )


class _Series(msgspec.Struct, frozen=True, kw_only=True):
    """Every request's administrations grouped as `scales.group` groups them, as flat arrays: entries
    sorted by (request, instrument, time, position), one series per (request, instrument) run."""

    row: Ints  # per series: the request it belongs to
    code: Ints  # per series: instrument code, an index into `ids`
    first: Ints  # per series: index of its oldest administration in the sorted arrays
    last: Ints  # per series: index of its latest administration
    time: Ints  # sorted: administration time, exact microseconds
    score: Floats  # sorted
    top: Floats  # sorted: maxScore
    ids: list[str]


def _series(requests: Sequence[RelapseRequest | OutcomeRequest]) -> _Series | None:
    # No Python loop over the requests or their administrations: C-level maps pull each field into
    # a list, numpy does the rest.
    per_request: list[list[Assessment]] = _column(requests, "assessments")
    items = list(chain.from_iterable(per_request))
    total = len(items)
    if not total:
        return None
    counts = np.fromiter(map(len, per_request), dtype=np.int64, count=len(per_request))
    row_of = np.repeat(np.arange(len(per_request), dtype=np.int64), counts)
    # Instrument codes in order of first sight: `setdefault` keeps the position an id was first
    # seen at, which the lookup table then numbers 0, 1, 2…
    seen: dict[str, int] = {}
    first_seen = np.fromiter(map(seen.setdefault, map(attrgetter("instrumentId"), items), count()), np.int64,
                             count=total)
    number = np.zeros(total, dtype=np.int64)
    number[list(seen.values())] = np.arange(len(seen))
    code_of = number[first_seen]
    time_of = micros_of(_column(items, "createdAt"))
    order = _order(row_of, code_of, time_of)
    row_of, code_of = row_of[order], code_of[order]
    ends = np.ones(total, dtype=np.bool_)
    ends[:-1] = (row_of[1:] != row_of[:-1]) | (code_of[1:] != code_of[:-1])
    last = np.flatnonzero(ends)
    return _Series(
        row=row_of[last], code=code_of[last], first=np.concatenate(([0], last[:-1] + 1)), last=last,
        time=time_of[order], score=np.fromiter(map(attrgetter("score"), items), np.float64, count=total)[order],
        top=np.fromiter(map(attrgetter("maxScore"), items), np.float64, count=total)[order], ids=list(seen),
    )


def _order(row_of: Ints, code_of: Ints, time_of: Ints) -> Ints:
    """`np.lexsort((time_of, code_of, row_of))`: by request, instrument, time, then position (the
    sort is stable, so equal times keep request order as the engine's stable sort does).

    Rows ascend already. Times less their minimum, divided by the greatest common divisor of those
    differences (an exact division, so order and equality are kept), usually leave room to pack
    the three keys into one int64 below 2**62; one stable argsort of nearly sorted keys is then
    several times faster than lexsort's three passes.
    """
    span = time_of - time_of.min()
    step = int(np.gcd.reduce(span))
    if step > 1:
        span //= step
    width = int(span.max()) + 1
    groups = int(code_of.max()) + 1
    if (int(row_of[-1]) + 1) * groups * width < 2**62:
        order: Ints = np.argsort((row_of * groups + code_of) * width + span, kind="stable")
        return order
    return np.lexsort((time_of, code_of, row_of))


def _relapse_series(requests: Sequence[RelapseRequest]) -> tuple[Floats, Floats]:
    """Latest fraction and rise of every series, laid out as a (request, series) grid."""
    count = len(requests)
    grouped = _series(requests)
    if grouped is None:
        return np.full((count, 1), NAN), np.zeros((count, 1))
    frac = grouped.score / grouped.top
    last, first = grouped.last, grouped.first
    rise = np.where(last > first, frac[last] - frac[np.maximum(last - 1, 0)], 0.0)
    starts = np.ones(len(last), dtype=np.bool_)
    starts[1:] = grouped.row[1:] != grouped.row[:-1]
    index = np.arange(len(last))
    column = index - np.maximum.accumulate(np.where(starts, index, 0))
    latest = np.full((count, int(column.max()) + 1), NAN)
    rises = np.zeros_like(latest)
    latest[grouped.row, column] = frac[last]
    rises[grouped.row, column] = rise
    return latest, rises


def relapse_features(requests: Sequence[RelapseRequest]) -> RelapseFeatures:
    latest, rise = _relapse_series(requests)
    return RelapseFeatures(
        latest=latest,
        rise=rise,
        sleep=_optional(_column(requests, "avgSleepHours")),
        dmse=_optional(_column(requests, "dmseLatencyPctChange")),
        med_days=_optional(_column(requests, "daysSinceMedChange")),
        med_active=np.fromiter(map(attrgetter("hasActiveMedication"), requests), np.bool_, count=len(requests)),
        visit_days=_optional(_column(requests, "daysSinceLastVisit")),
    )


def relapse_scores(f: RelapseFeatures, p: RelapseParams) -> tuple[Ints, Ints]:
    """(score 0–100, level index into RELAPSE_LEVELS) per request."""
    with np.errstate(invalid="ignore"):
        velocity = _clamp(f.rise / p.velocity_full_rise, 0.0, 1.0)
        per_series = p.symptoms_level_points * f.latest + p.symptoms_velocity_points * velocity
        # The instrument signalling the most risk speaks for the factor (`relapse._symptoms`).
        per_series = np.where(np.isnan(f.latest), -np.inf, per_series)
        symptoms = per_series.max(axis=1)
        symptoms = np.where(np.isneginf(symptoms), 0.0, symptoms)

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
    return score, level


# -- outcome ----------------------------------------------------------------------------------


class OutcomeFeatures(msgspec.Struct, frozen=True, kw_only=True):
    reduction: Floats  # relative symptom reduction of the most covered series, NaN if none
    dmse: Floats
    medications: Floats
    biomarkers: Floats
    sleep: Floats


def _reductions(requests: Sequence[OutcomeRequest]) -> Floats:
    """Relative symptom reduction of each request's most covered series (`outcome._symptoms`), NaN
    where no instrument was given twice. The choice follows `scales.most_covered`: most
    administrations, then the latest administered, then the instrument whose negated code points
    compare highest."""
    reduction = np.full(len(requests), NAN)
    grouped = _series(requests)
    if grouped is None:
        return reduction
    size = grouped.last - grouped.first + 1
    eligible = np.flatnonzero(size >= 2)
    if not len(eligible):
        return reduction
    by_key = sorted(range(len(grouped.ids)), key=lambda c: tuple(-ord(ch) for ch in grouped.ids[c]))
    id_rank = np.empty(len(grouped.ids), dtype=np.int64)
    id_rank[by_key] = np.arange(len(by_key))
    rows = grouped.row[eligible]
    order = np.lexsort((id_rank[grouped.code[eligible]], grouped.time[grouped.last[eligible]], size[eligible], rows))
    chosen = eligible[order]
    is_best = np.ones(len(chosen), dtype=np.bool_)
    is_best[:-1] = rows[order][1:] != rows[order][:-1]
    best = chosen[is_best]
    first, last = grouped.score[grouped.first[best]], grouped.score[grouped.last[best]]
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (first - last) / first
    reduction[grouped.row[best]] = np.where(first > 0, relative, np.where(last == 0, 0.0, -1.0))
    return reduction


def outcome_has_evidence(r: OutcomeRequest) -> bool:
    """`outcome.missing_evidence(r) is None`: some instrument given twice, or another source."""
    repeated = len({a.instrumentId for a in r.assessments}) < len(r.assessments)
    return repeated or r.activeMedications > 0 or r.biomarkerWatchCount > 0 or any(
        value is not None for value in (r.dmseLatencyPctChange, r.avgSleepHours)
    )


def outcome_features(requests: Sequence[OutcomeRequest]) -> OutcomeFeatures:
    return OutcomeFeatures(
        reduction=_reductions(requests),
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
    direction = np.ones(score.shape, dtype=np.int64)
    direction = np.where(score >= p.direction_threshold, 2, direction)
    direction = np.where((score < p.direction_threshold) & (score <= -p.direction_threshold), 0, direction)
    return score, direction

"""Relapse and outcome scores for many requests at once, under any parameter set (numpy).

Scoring an evaluation set under two parameter sets splits into a part that does not depend on the
parameters (`*_features`: C-level maps read each field of every request and administration into a
flat list, msgspec and numpy turn the times into exact microseconds, then numpy groups the
administrations into series as `scales.group` does) and a part that does (`*_scores`, array
arithmetic). No Python-level step runs per request or per administration. The array code performs the same IEEE
operations in the same order as `relapse.analyze` and `outcome.analyze`, and rounds half away from
zero on the exact binary value exactly as `common.round_half_up` does, so its scores and levels are
equal, not merely close, to the per-request engine's (tests/calibration/test_vector.py proves it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import chain, count
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from attunio.engines.common import as_utc
from attunio.engines.inputs import Assessment
from attunio.engines.outcome import OutcomeParams, OutcomeRequest
from attunio.engines.relapse import RelapseParams, RelapseRequest

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
NAN = math.nan
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

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


def _micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (a float timestamp could tie two distinct times)."""
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


# Offsets of the digits of `YYYY-MM-DDTHH:MM:SS` in an RFC 3339 text, and of its separators.
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_SEPARATORS = np.array([4, 7, 10, 13, 16])
_SEPARATOR_CHARS = np.frombuffer(b"--T::", dtype=np.uint8)
_QUOTE, _ZULU, _DOT, _COLON, _PLUS, _MINUS, _ZERO = b'"Z.:+-0'
_WIDTH = 32  # the longest text: `YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM`


def _micros_of(moments: list[datetime]) -> Ints:
    """`_micros` of every moment, as one array, without a Python-level step per moment.

    msgspec writes a timezone-aware datetime to MessagePack as the exact UTC seconds and
    nanoseconds of its instant, whatever its offset; when every moment takes the same of the three
    timestamp layouts, numpy reads them all at once (`_unpack_timestamps`). Otherwise msgspec's
    RFC 3339 text is read (`_parse_rfc3339`), where offsets are written to the minute only, so a
    moment with any other offset, or any other shape, takes `_micros` one moment at a time.
    """
    if moments and set(map(type, moments)) <= {datetime}:
        try:
            fast = _unpack_timestamps(msgspec.msgpack.encode(moments), len(moments))
        except OverflowError:  # an instant past 9999 in UTC; refused below as `as_utc` refuses it
            fast = None
        if fast is None:
            zones = set(map(attrgetter("tzinfo"), moments))
            if all(zone is None or (type(zone) is timezone and _whole_minutes(zone)) for zone in zones):
                fast = _parse_rfc3339(msgspec.json.encode(moments), len(moments))
        # An instant before year 1 or after 9999 in UTC is one `as_utc` refuses (OverflowError); the
        # moment-by-moment path raises it as before.
        if fast is not None and int(fast.min()) >= _MICROS_MIN and int(fast.max()) <= _MICROS_MAX:
            return fast
    return np.fromiter(map(_micros, moments), dtype=np.int64, count=len(moments))


_MICROS_MIN = _micros(datetime.min)
_MICROS_MAX = _micros(datetime.max)


# MessagePack timestamps (extension type -1): marker bytes and size of each layout.
_TIMESTAMP32 = (b"\xd6\xff", 6)  # uint32 seconds
_TIMESTAMP64 = (b"\xd7\xff", 10)  # uint64: nanoseconds in the top 30 bits, seconds in the low 34
_TIMESTAMP96 = (b"\xc7\x0c\xff", 15)  # uint32 nanoseconds, int64 seconds
_SECONDS34 = np.uint64(2**34 - 1)


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes([0x90 | count])
    if count < 2**16:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def _unpack_timestamps(packed: bytes, count: int) -> Ints | None:
    """Exact microseconds since the epoch of a MessagePack array of `count` timestamps that all
    share one layout; None for anything else (naive datetimes are written as text)."""
    header = 1 if count < 16 else 3 if count < 2**16 else 5
    if packed[:header] != _array_header(count):
        return None
    body = np.frombuffer(packed, dtype=np.uint8, offset=header)
    for marker, size in (_TIMESTAMP32, _TIMESTAMP64, _TIMESTAMP96):
        if count and len(body) == count * size and packed[header:header + len(marker)] == marker:
            break
    else:
        return None
    rows = body.reshape(count, size)
    for position, byte in enumerate(marker):
        if not np.all(rows[:, position] == byte):
            return None
    data = np.ascontiguousarray(rows[:, len(marker):])
    if size == 6:
        seconds = data.view(">u4").ravel().astype(np.int64)
        result: Ints = seconds * 1_000_000
        return result
    if size == 10:
        word = data.view(">u8").ravel()
        seconds = (word & _SECONDS34).astype(np.int64)
        nanos = (word >> np.uint64(34)).astype(np.int64)
    else:
        nanos = np.ascontiguousarray(data[:, :4]).view(">u4").ravel().astype(np.int64)
        seconds = np.ascontiguousarray(data[:, 4:]).view(">i8").ravel().astype(np.int64)
    # msgspec writes a datetime's microseconds as whole thousands of nanoseconds.
    result = seconds * 1_000_000 + nanos // 1000
    return result


def _whole_minutes(zone: timezone) -> bool:
    offset = zone.utcoffset(None)
    return offset.seconds % 60 == 0 and offset.microseconds == 0


def _parse_rfc3339(text: bytes, count: int) -> Ints | None:
    """Exact microseconds since the epoch of a JSON list of msgspec's RFC 3339 datetimes, or None
    where the text is not of the expected shape."""
    padded = np.frombuffer(text + bytes(_WIDTH), dtype=np.uint8)
    quotes = np.flatnonzero(padded == _QUOTE)
    if not count or len(quotes) != 2 * count:
        return None
    start = quotes[0::2] + 1
    length = quotes[1::2] - start
    if int(length.min()) < 19 or int(length.max()) > _WIDTH:
        return None
    # One row of `_WIDTH` bytes per datetime, its text first: columns are then plain slices.
    rows = np.lib.stride_tricks.sliding_window_view(padded, _WIDTH)[start]
    at = np.arange(count)
    zulu = rows[at, length - 1] == _ZULU
    sign = rows[at, np.maximum(length - 6, 0)]
    offset = np.flatnonzero((sign == _PLUS) | (sign == _MINUS))
    fraction = length - 19 - np.where(zulu, 1, 0)
    fraction[offset] -= 6
    with_fraction = np.flatnonzero(fraction)
    digits = rows[:, _DIGITS] - np.uint8(_ZERO)  # a non-digit wraps round to 10 or more
    micros = rows[with_fraction, 20:26] - np.uint8(_ZERO)
    zone = rows[offset[:, None], (length[offset] - 5)[:, None] + np.array([0, 1, 3, 4])] - np.uint8(_ZERO)
    if (
        not np.all((fraction == 0) | (fraction == 7))
        or not np.array_equal(rows[:, _SEPARATORS], np.broadcast_to(_SEPARATOR_CHARS, (count, 5)))
        or not np.all(rows[with_fraction, 19] == _DOT)
        or not np.all(rows[offset, length[offset] - 3] == _COLON)
        or int(digits.max(initial=0)) > 9
        or int(micros.max(initial=0)) > 9
        or int(zone.max(initial=0)) > 9
    ):
        return None
    d = np.ascontiguousarray(digits.T, dtype=np.int32)  # one contiguous row per digit position
    year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]
    month = d[4] * 10 + d[5]
    day = d[6] * 10 + d[7]
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`); years
    # are 1 to 9999 here, so every floor division below is of a non-negative number.
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    seconds = days.astype(np.int64) * 86400 + (
        (d[8] * 10 + d[9]) * 3600 + (d[10] * 10 + d[11]) * 60 + (d[12] * 10 + d[13])
    )
    z = zone.astype(np.int64)
    zone_seconds = (z[:, 0] * 10 + z[:, 1]) * 3600 + (z[:, 2] * 10 + z[:, 3]) * 60
    seconds[offset] -= np.where(sign[offset] == _MINUS, -zone_seconds, zone_seconds)
    result: Ints = seconds * 1_000_000
    result[with_fraction] += micros.astype(np.int64) @ np.array([100_000, 10_000, 1000, 100, 10, 1])
    return result


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
    time_of = _micros_of(_column(items, "createdAt"))
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

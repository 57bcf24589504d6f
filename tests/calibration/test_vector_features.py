"""The bulk feature extraction of `engines/vector.py` (C-level field reads, times through msgspec and
numpy, one packed sort) gives exactly the arrays of the per-administration loop it replaced, kept
here as the reference."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from attunio.engines import instants, vector
from attunio.engines.inputs import Assessment
from attunio.engines.relapse import RelapseRequest
from attunio.engines.scales import badness, group

NAN = float("nan")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def reference_optional(values: Sequence[float | int | None]) -> np.ndarray[Any, Any]:
    return np.array([NAN if v is None else float(v) for v in values], dtype=np.float64)


def same_array(got: Any, want: Any) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    return bool(got.dtype == want.dtype and got.shape == want.shape
                and np.array_equal(got, want, equal_nan=got.dtype.kind == "f"))


# -- strategies -------------------------------------------------------------------------------

WHOLE_MINUTE_ZONES = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
ANY_ZONES = st.none() | st.just(UTC) | WHOLE_MINUTE_ZONES | st.builds(
    timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
)
MOMENTS = st.datetimes(timezones=ANY_ZONES)
# Times the way requests carry them: UTC, with or without microseconds, or one fixed offset.
TYPICAL = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC) | WHOLE_MINUTE_ZONES)


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def moment_lists() -> st.SearchStrategy[list[datetime]]:
    """Lists that each of the three ways of reading times will meet: one MessagePack layout for all
    (32-bit seconds, 64-bit with microseconds, 96-bit outside 1970–2514), mixed layouts and naive
    times (the RFC 3339 text), and offsets not in whole minutes (moment by moment)."""
    return st.one_of(
        st.lists(TYPICAL.map(_whole_seconds), max_size=40),
        st.lists(TYPICAL.filter(lambda m: m.microsecond != 0), max_size=40),
        st.lists(st.datetimes(max_value=datetime(1969, 12, 31), timezones=st.just(UTC)), max_size=40),
        st.lists(st.datetimes(timezones=st.none() | st.just(UTC) | WHOLE_MINUTE_ZONES), max_size=40),
        st.lists(MOMENTS, max_size=40),
    )


def assessments(moments: st.SearchStrategy[datetime]) -> st.SearchStrategy[Assessment]:
    return st.builds(
        lambda instrument, score, top, at: Assessment(instrumentId=instrument, instrumentName=instrument,
                                                      score=min(score, top), maxScore=top, createdAt=at),
        st.sampled_from(["phq9", "gad7", "phq", "Ω-scale", "a", "b\x00", "zz"]),
        st.floats(0, 1000) | st.integers(0, 27).map(float),
        st.floats(1, 1000) | st.sampled_from([21.0, 27.0]),
        moments,
    )


def relapse_requests(moments: st.SearchStrategy[datetime] = TYPICAL) -> st.SearchStrategy[RelapseRequest]:
    days = st.none() | st.integers(0, 3650)
    return st.builds(
        RelapseRequest,
        assessments=st.lists(assessments(moments), max_size=6),
        dmseLatencyPctChange=st.none() | st.floats(-100, 1000),
        avgSleepHours=st.none() | st.floats(0, 24),
        daysSinceMedChange=days,
        hasActiveMedication=st.booleans(),
        daysSinceLastVisit=days,
    )


# -- tests ------------------------------------------------------------------------------------


@given(moment_lists())
@SETTINGS
@example([datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))])  # before year 1 in UTC: raises
@example([datetime(9999, 12, 31, 23, 30, tzinfo=timezone(-timedelta(hours=1)))])  # after 9999: raises
@example([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)])
@example([datetime(2026, 1, 1, tzinfo=timezone(timedelta(seconds=30)))] * 3)
@example([datetime(2026, 1, 1, tzinfo=timezone(timedelta(microseconds=1)))] * 20)
@example([datetime(2106, 2, 7, 6, 28, 16, tzinfo=UTC)] * 17)  # 2**32 seconds: the 64-bit layout
@example([datetime(2514, 5, 30, 1, 53, 4, tzinfo=UTC)] * 2)  # 2**34 seconds: the 96-bit layout
@example([datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)])
def test_times_are_the_exact_microseconds(moments: list[datetime]) -> None:
    try:
        want = [instants.micros(m) for m in moments]
    except OverflowError:
        with pytest.raises(OverflowError):
            instants.micros_of(moments)
        return
    got = instants.micros_of(moments)
    assert got.dtype == np.int64 and got.tolist() == want


def test_times_of_every_layout_and_count_header() -> None:
    rng = random.Random(5)
    for count in (1, 15, 16, 65535, 65536):
        for low, high, fraction in ((0, 2**32 - 1, False), (0, 2**34 - 1, True), (-(2**34), 2**38, True)):
            moments = [datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
                seconds=rng.randint(low, min(high, 253402300799)),
                microseconds=rng.randint(0, 999_999) if fraction else 0) for _ in range(count)]
            assert instants.micros_of(moments).tolist() == [instants.micros(m) for m in moments]


@given(st.lists(relapse_requests(MOMENTS), max_size=12))
@SETTINGS
def test_series_arrays_follow_the_engines_grouping(requests: list[RelapseRequest]) -> None:
    """The features hold `scales.group`'s series in its order: times, badness and bounds."""
    features = vector.relapse_features(requests, NOW)
    flat = [(index, s) for index, r in enumerate(requests) for s in group(r.assessments)]
    assert features.row.tolist() == [index for index, _ in flat]
    points = [a for _, s in flat for a in s.points]
    assert features.time.tolist() == [instants.micros(a.createdAt) for a in points]
    assert features.bad.tolist() == [badness(a, s.entry) for _, s in flat for a in s.points]
    sizes = [len(s.points) for _, s in flat]
    assert features.last.tolist() == (np.cumsum(sizes) - 1).tolist()
    assert features.start.tolist() == (np.cumsum(sizes) - np.array(sizes, dtype=np.int64)).tolist()


@given(st.lists(relapse_requests(), max_size=30))
@SETTINGS
def test_relapse_features_equal_the_reference(requests: list[RelapseRequest]) -> None:
    features = vector.relapse_features(requests, NOW)
    assert same_array(features.sleep, reference_optional([r.avgSleepHours for r in requests]))
    assert same_array(features.dmse, reference_optional([r.dmseLatencyPctChange for r in requests]))
    assert same_array(features.med_days, reference_optional([r.daysSinceMedChange for r in requests]))
    assert same_array(features.visit_days, reference_optional([r.daysSinceLastVisit for r in requests]))
    assert same_array(features.med_active, np.array([r.hasActiveMedication for r in requests], dtype=np.bool_))


@given(st.lists(st.none() | st.floats(allow_nan=True) | st.integers(-(2**60), 2**60) | st.booleans(), max_size=50))
@SETTINGS
def test_optional_equals_the_reference(values: list[float | int | None]) -> None:
    assert same_array(vector._optional(values), reference_optional(values))


def test_seeded_benchmark_records_equal_the_reference() -> None:
    from benchmarks.relapse_vectorised import seeded_requests

    requests = seeded_requests(3000, seed=7)
    features = vector.relapse_features(requests, NOW)
    assert same_array(features.sleep, reference_optional([r.avgSleepHours for r in requests]))


def test_the_fast_paths_are_taken_for_ordinary_times() -> None:
    """Both bulk readers must answer (not fall back) for the times requests carry, so a change
    that silently sends every set through the per-moment loop is caught here, not in a benchmark."""
    base = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    aware = [base + timedelta(days=i, microseconds=i) for i in range(50)]
    packed = instants._unpack_timestamps(msgspec.msgpack.encode(aware), len(aware))
    assert packed is not None and packed.tolist() == [instants.micros(m) for m in aware]
    offsets = [m.astimezone(timezone(timedelta(hours=-5, minutes=-30))) for m in aware] + [m.replace(tzinfo=None)
                                                                                         for m in aware]
    parsed = instants._parse_rfc3339(msgspec.json.encode(offsets), len(offsets))
    assert parsed is not None and parsed.tolist() == [instants.micros(m) for m in offsets]

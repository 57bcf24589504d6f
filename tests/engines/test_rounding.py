"""The fast number and timestamp formatting in `engines.common` answers exactly as the reference
definitions it replaced, kept here verbatim: Decimal rounding of the repr text and strftime."""

from __future__ import annotations

import math
import os
import random
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from attunio.engines.common import as_utc, fmt, iso_ms, num, round_half_up, round_int

# ATTUNIO_ROUNDING_EXAMPLES=20000 for the long run the change was proven with (about 4 minutes).
EXAMPLES = int(os.environ.get("ATTUNIO_ROUNDING_EXAMPLES", "2000"))
MANY = settings(max_examples=EXAMPLES, deadline=None)
SOME = settings(max_examples=max(200, EXAMPLES // 10), deadline=None)


def reference_round_half_up(value: float, digits: int = 0) -> float:
    if not math.isfinite(value) or abs(value) >= 2.0**52:
        return value
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def reference_num(value: float, digits: int = 2) -> float | int:
    rounded = reference_round_half_up(value, digits)
    if math.isfinite(rounded) and rounded == int(rounded):
        return int(rounded)
    return rounded


def reference_fmt(value: float, digits: int = 2) -> str:
    shown = reference_num(value, digits)
    if isinstance(shown, int):
        return str(shown)
    return f"{shown:.{digits}f}".rstrip("0").rstrip(".")


def reference_iso_ms(moment: datetime) -> str:
    utc = as_utc(moment)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _outcome(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return "value", fn(*args)
    except Exception as exc:  # the reference's exceptions are part of its answer
        return "raises", type(exc)


def assert_same(fast: Callable[..., Any], reference: Callable[..., Any], *args: Any) -> None:
    """Same type, same value, same sign of zero, nan for nan, or the same exception type."""
    (kind, got), (want_kind, want) = _outcome(fast, *args), _outcome(reference, *args)
    assert (kind, type(got)) == (want_kind, type(want)), args
    if kind == "raises":
        assert got is want, args
    elif isinstance(want, float):
        if math.isnan(want):
            assert math.isnan(got), args
        else:
            assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want), (args, got, want)
    else:
        assert got == want, (args, got, want)


EDGES = [
    34.45, 34.444, 2.675, 0.125, 0.375, 1.005, 1.015, 1.025, 1.045, 8.345, 0.5, 1.5, 2.5, 0.05, 0.15,
    0.25, 0.35, 0.45, 0.005, 0.0005, 0.00005, 0.00015, 0.0001, 0.00009999, 0.49999999999999994,
    0.5000000000000001, 9.995, 99.995, 999.9995, 9999.99995, 0.9999999999999999, 1e-4, 1.0000000000000002e-4,
    9.999999999999999e-05, 1e15 + 0.5, 4503599627370495.5, 2.0**52 - 0.5, 2.0**52, 2.0**53, 1e16, 1e16 + 2,
    9.999999999999998e15, 1e22, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 1e-300,
    0.0, 123456789012.34567, 12345678901234.567, 68.044, 3.9e121, 1e300, 0.1 + 0.2, 1 / 3, 2 / 3,
    math.inf, math.nan,
]
EDGES += [-x for x in EDGES]


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize("digits", range(0, 5))
def test_round_half_up_edges(value: float, digits: int) -> None:
    assert_same(round_half_up, reference_round_half_up, value, digits)
    assert_same(num, reference_num, value, digits)
    assert_same(fmt, reference_fmt, value, digits)


@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(0, 4))
@MANY
@example(34.45, 1)
@example(2.675, 2)
@example(0.125, 2)
@example(-0.0, 0)
@example(-0.004, 2)
@example(5e-324, 4)
@example(1e16, 0)
def test_round_half_up_any_float(value: float, digits: int) -> None:
    assert_same(round_half_up, reference_round_half_up, value, digits)


# Values of at most a few fractional digits, and ones sitting on or next to a half boundary,
# are the engines' daily diet and where a text-based rounding could go wrong.
_DECIMAL_TEXT = st.builds(
    lambda whole, frac, neg: float(f"{'-' if neg else ''}{whole}.{frac}"),
    st.integers(0, 10**16),
    st.integers(0, 10**9).map(str)
    | st.builds(lambda zeros, digits: "0" * zeros + f"{digits}5", st.integers(0, 8), st.integers(0, 10**9)),
    st.booleans(),
)
_NEIGHBOUR = st.tuples(_DECIMAL_TEXT, st.sampled_from([-2, -1, 1, 2])).map(
    lambda pair: float(math.nextafter(pair[0], math.copysign(math.inf, pair[1]))) if abs(pair[1]) == 1
    else math.nextafter(math.nextafter(pair[0], math.copysign(math.inf, pair[1])),
                        math.copysign(math.inf, pair[1]))
)


@given(_DECIMAL_TEXT | _NEIGHBOUR | st.floats(-1e6, 1e6), st.integers(0, 4))
@MANY
def test_round_half_up_decimal_like_floats(value: float, digits: int) -> None:
    assert_same(round_half_up, reference_round_half_up, value, digits)
    assert_same(num, reference_num, value, digits)
    assert_same(fmt, reference_fmt, value, digits)


@given(st.integers(-(2**60), 2**60) | st.integers(-(2**53), 2**53) | st.integers(-1000, 1000), st.integers(0, 4))
@SOME
@example(2**52, 0)
@example(2**52 - 1, 2)
@example(-(2**52), 1)
@example(-(2**52) + 1, 3)
def test_round_half_up_ints(value: int, digits: int) -> None:
    assert_same(round_half_up, reference_round_half_up, value, digits)
    assert_same(num, reference_num, value, digits)
    assert_same(fmt, reference_fmt, value, digits)
    if digits == 0:
        assert_same(round_int, lambda v: int(reference_round_half_up(v, 0)), value)


@given(st.floats(allow_nan=False) | _DECIMAL_TEXT | st.integers(-(2**60), 2**60), st.integers(-4, 40))
@SOME
@example(1e15 + 0.5, 13)  # the Decimal reference raises here (29 digits); so must the fast function
@example(0.5, -1)
def test_round_half_up_other_digits(value: float, digits: int) -> None:
    assert_same(round_half_up, reference_round_half_up, value, digits)


def test_round_half_up_other_types_take_the_reference_path() -> None:
    class Sub(float):
        def __repr__(self) -> str:
            return "1.25"

    for value, digits in [(True, 1), (False, 0), (Sub(3.0), 1), (2.5, True), (1.25, 1.0), (Decimal("2.5"), 0)]:
        assert_same(round_half_up, reference_round_half_up, value, digits)


def test_round_half_up_seeded_sweep() -> None:
    """Every k / 10**p for |k| ≤ 10,000 and p ≤ 5, and 20,000 doubles from random bit patterns."""
    rng = random.Random(20260701)
    values = [k / 10**p for p in range(6) for k in range(-10_000, 10_001)]
    values += [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20_000)]
    for value in values:
        for digits in range(5):
            got, want = round_half_up(value, digits), reference_round_half_up(value, digits)
            if got != want or math.copysign(1.0, got) != math.copysign(1.0, want):
                assert math.isnan(got) and math.isnan(want), (value, digits, got, want)


_OFFSETS = st.none() | st.just(UTC) | st.builds(
    timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
)


@given(st.datetimes(timezones=_OFFSETS))
@MANY
@example(datetime(999, 12, 31, 23, 59, 59, 999999))
@example(datetime(1000, 1, 1, tzinfo=UTC))
@example(datetime(1, 1, 1))
@example(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))  # before year 1 in UTC: both raise
@example(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=1))))
@example(datetime(2026, 5, 15, 2, 0, 0, 987654, tzinfo=timezone(timedelta(hours=2))))
def test_iso_ms_matches_strftime(moment: datetime) -> None:
    assert_same(iso_ms, reference_iso_ms, moment)

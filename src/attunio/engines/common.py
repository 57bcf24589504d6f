"""Pieces every engine shares: the model block, tones, the signal shape and output formatting."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

# The appliance's one rule for instants (naive is UTC), re-exported for the engines' modules.
from attunio.utc import as_utc as as_utc  # noqa: PLC0414  # an explicit re-export
from attunio.utc import iso_ms as iso_ms  # noqa: PLC0414

ModelSource = Literal["default", "calibrated"]
Confidence = Literal["low", "moderate", "high"]

# Ordered mildest to most urgent; the order is what "highest tone" means.
Tone = Literal["positive", "neutral", "watch", "elevated", "critical"]
TONE_ORDER: tuple[Tone, ...] = ("positive", "neutral", "watch", "elevated", "critical")
HIGHEST_TONE: Tone = TONE_ORDER[-1]

CONFIDENCE_ORDER: tuple[Confidence, ...] = ("low", "moderate", "high")


class ModelRef(msgspec.Struct, frozen=True, kw_only=True):
    """Which parameter set produced an answer; `version` is None for the shipped defaults."""

    key: str
    version: int | None
    source: ModelSource


def default_model(key: str) -> ModelRef:
    return ModelRef(key=key, version=None, source="default")


class Signal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One explainable finding of the Medication or Biomarker engine."""

    module: str
    signalKey: str
    label: str
    detail: str
    tone: Tone
    metricValue: float | str | None
    metricUnit: str | None
    confidence: Confidence
    summaryLine: str
    sourceRef: str | None = None
    observedAt: str | None = None


def tone_rank(tone: Tone) -> int:
    return TONE_ORDER.index(tone)


def lower_confidence(conf: Confidence, steps: int = 1) -> Confidence:
    return CONFIDENCE_ORDER[max(0, CONFIDENCE_ORDER.index(conf) - steps)]




# Powers of ten by `digits` for which `round_half_up` takes its fast path. Up to 12 digits the
# Decimal reference never exceeds its 28-digit precision for |value| < 2**52 (16 + 12 digits).
_POW10: tuple[int, ...] = tuple(10**d for d in range(13))


def round_half_up(value: float, digits: int = 0) -> float:
    """Round the decimal text of `value`, so 34.45 rounds up as a reader expects, not down as
    its binary form would.

    The answer is `float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))`
    (`_round_half_up_decimal`); the fast path computes the same from the repr text itself. Its
    positional form `[-]int.frac` is cut after `digits` fractional digits and the magnitude goes
    up by one unit in the last kept place when the first dropped digit is 5 or more (half away
    from zero, as ROUND_HALF_UP). The kept digits form an integer n, and `n / 10**digits` is
    correctly rounded by Python's int division exactly as `float()` of the quantized Decimal is,
    so both give the nearest double to the same decimal number; the sign is applied afterwards,
    which keeps a negative value that rounds to zero at -0.0 as Decimal does. Exponent reprs
    (|value| < 1e-4 or ≥ 1e16), inf, nan, ints of 2**52 or more and any other type or `digits`
    take the Decimal path (tests/engines/test_rounding.py compares the two over all floats).
    """
    kind = type(value)
    if kind is float and type(digits) is int and 0 <= digits <= 12:
        text = repr(value)
        point = text.find(".")
        if point > 0 and "e" not in text:
            cut = point + 1 + digits
            if len(text) <= cut:  # no more fractional digits than asked for: nothing to round
                return value
            negative = text[0] == "-"
            kept = int(text[negative:point] + text[point + 1:cut])
            if text[cut] >= "5":
                kept += 1
            result = kept / _POW10[digits]
            return -result if negative else result
    elif kind is int and type(digits) is int and 0 <= digits <= 12 and -(2**52) < value < 2**52:
        return float(value)  # a whole number below 2**52 is exact as a double
    return _round_half_up_decimal(value, digits)


def _round_half_up_decimal(value: float, digits: int) -> float:
    """The reference definition of `round_half_up`, used for what its fast path leaves aside."""
    if not math.isfinite(value) or abs(value) >= 2.0**52:
        # Such doubles carry no fractional part to round, and their decimal text would exceed the
        # default Decimal precision (quantize would raise instead of answering).
        return value
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def round_int(value: float) -> int:
    if not math.isfinite(value):  # a ratio over a vanishing baseline; int() of it would raise
        return int(math.copysign(2**53, value)) if math.isinf(value) else 0
    return int(round_half_up(value, 0))


def clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def num(value: float, digits: int = 2) -> float | int:
    """A number for JSON output: whole values as integers, others rounded to `digits`."""
    rounded = round_half_up(value, digits)
    if type(rounded) is float:  # the usual answer; is_integer() is False for inf and nan
        return int(rounded) if rounded.is_integer() else rounded
    if math.isfinite(rounded) and rounded == int(rounded):
        return int(rounded)
    return rounded


def echo(value: float) -> float | int:
    """An input number as given, with whole values written without a fraction."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def fmt(value: float, digits: int = 2) -> str:
    """A number for prose: `2.6`, `98`, `0.25`; never exponent notation."""
    shown = num(value, digits)
    if isinstance(shown, int):
        return str(shown)
    if type(digits) is int and 0 <= digits < len(_FIXED):
        return format(shown, _FIXED[digits]).rstrip("0").rstrip(".")  # spares parsing a nested spec
    return f"{shown:.{digits}f}".rstrip("0").rstrip(".")


_FIXED = tuple(f".{d}f" for d in range(13))


def signed(value: float, digits: int = 2) -> str:
    text = fmt(value, digits)
    return text if text.startswith("-") or text == "0" else f"+{text}"


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """`Vitamin D` -> `vitamin_d`; used to build stable signal keys."""
    cleaned = _SLUG_RE.sub("_", text.lower()).strip("_")
    return cleaned or "unnamed"

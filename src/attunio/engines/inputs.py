"""Request building blocks shared by several engines, with the documented ranges and lengths."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

import msgspec


def text(min_length: int, max_length: int) -> msgspec.Meta:
    return msgspec.Meta(min_length=min_length, max_length=max_length)


def number(low: float, high: float) -> msgspec.Meta:
    return msgspec.Meta(ge=low, le=high)


# Lengths the reference names are used as given; the rest are generous limits that keep a
# single request bounded.
SessionRef = Annotated[str, text(1, 128)]
PctChange = Annotated[float, number(-100, 1000)]
SleepHours = Annotated[float, number(0, 24)]
Days = Annotated[int, number(0, 3650)]
Count100 = Annotated[int, number(0, 100)]

MAX_ASSESSMENTS = 500


class Request(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of request Structs: strict, no unknown keys, immutable once decoded.

    `NOT_ABOVE` lists `(field, limit_field, message)` rules msgspec cannot express on its own:
    the value of `field` must not exceed that of `limit_field`.
    """

    NOT_ABOVE: ClassVar[tuple[tuple[str, str, str], ...]] = ()


class Assessment(Request, frozen=True):
    # A score above its scale's maximum is invalid input, never a value to clamp.
    NOT_ABOVE = (("score", "maxScore", "score must be ≤ maxScore"),)

    instrumentId: Annotated[str, text(1, 64)]
    instrumentName: Annotated[str, text(1, 120)]
    score: Annotated[float, number(0, 1000)]
    maxScore: Annotated[float, number(1, 1000)]
    createdAt: datetime
    severity: Annotated[str, text(1, 64)] | None = None


Assessments = Annotated[list[Assessment], msgspec.Meta(max_length=MAX_ASSESSMENTS)]

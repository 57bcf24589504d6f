"""Request building blocks shared by several engines, with the documented ranges and lengths."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

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
MAX_ITEMS = 50

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _InstantType(type):
    # msgspec checks a decoding hook's result with isinstance: a plain datetime is accepted.
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, datetime)


if TYPE_CHECKING:
    Instant = datetime
else:

    class Instant(metaclass=_InstantType):
        """An ISO-8601 moment: an RFC 3339 date-time, or a date alone read as midnight UTC."""


def parse_instant(raw: object) -> datetime:
    """What an `Instant` field accepts; raises `msgspec.ValidationError` with msgspec's wording."""
    if isinstance(raw, str) and _DATE_ONLY.match(raw):
        day = msgspec.convert(raw, type=date, strict=True)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return msgspec.convert(raw, type=datetime, strict=True)


def dec_hook(kind: type, raw: Any) -> Any:
    """Decoding hook every request decoder is built with (`validation.decoder_for`)."""
    if kind is Instant:
        try:
            return parse_instant(raw)
        except msgspec.ValidationError as exc:
            raise ValueError(str(exc)) from None
    raise NotImplementedError(f"{kind!r} is not a request type")


def schema_hook(kind: type) -> dict[str, Any]:
    """JSON Schema of the request types msgspec cannot describe on its own (the OpenAPI document)."""
    if kind is Instant:
        return {
            "type": "string",
            "anyOf": [{"format": "date-time"}, {"format": "date"}],
            "description": "ISO-8601: an RFC 3339 date-time (no zone is read as UTC), or a date alone "
            "(`2026-03-01`), read as midnight UTC.",
        }
    raise NotImplementedError(f"{kind!r} has no schema")


class Request(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of request Structs: strict, no unknown keys, immutable once decoded.

    `NOT_ABOVE` lists `(field, limit_field, message)` rules msgspec cannot express on its own:
    the value of `field` must not exceed that of `limit_field`.
    """

    NOT_ABOVE: ClassVar[tuple[tuple[str, str, str], ...]] = ()


class Item(Request, frozen=True):
    """One item's answer in an administration: `itemId` as printed on the form ("9"), or its LOINC
    code ("44260-8" for PHQ-9 item 9)."""

    itemId: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=32,
            description='Item number as printed on the form ("9"), or its LOINC code ("44260-8").',
        ),
    ]
    score: Annotated[float, msgspec.Meta(ge=0, le=100, description="The item's answer, e.g. 0–3 on PHQ-9.")]


class Assessment(Request, frozen=True):
    # A score above its scale's maximum is invalid input, never a value to clamp.
    NOT_ABOVE = (("score", "maxScore", "score must be ≤ maxScore"),)

    instrumentId: Annotated[str, text(1, 64)]
    instrumentName: Annotated[str, text(1, 120)]
    score: Annotated[float, number(0, 1000)]
    maxScore: Annotated[float, number(1, 1000)]
    createdAt: Instant
    severity: Annotated[str, text(1, 64)] | None = None
    items: (
        Annotated[
            list[Item],
            msgspec.Meta(
                max_length=MAX_ITEMS,
                description="Optional item answers. A positive suicidality item (PHQ-9 item 9 / "
                "LOINC 44260-8, EPDS item 10, any C-SSRS screener item) puts a `safety` entry on the "
                "answer. Up to 50.",
            ),
        ]
        | None
    ) = None


Assessments = Annotated[list[Assessment], msgspec.Meta(max_length=MAX_ASSESSMENTS)]


def convert(data: Any, kind: type[Any]) -> Any:
    """`msgspec.convert` of a request mapping with the request decoding hook (tests, tools)."""
    return msgspec.convert(data, kind, strict=True, dec_hook=dec_hook)

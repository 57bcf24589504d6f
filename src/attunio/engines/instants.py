"""Exact microseconds since the epoch for many datetimes at once, for the vectorised engines.

An engine orders administrations by time; the vectorised path needs the same order for a whole
evaluation set, as integers (a float timestamp could tie two distinct times). `micros_of` reads them
without a Python-level step per datetime where msgspec's encodings allow, and one at a time where
they do not, with the same result and the same errors as `micros`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from operator import attrgetter

import msgspec
import numpy as np
import numpy.typing as npt

from attunio.engines.common import as_utc

Ints = npt.NDArray[np.int64]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (a float timestamp could tie two distinct times)."""
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


# Offsets of the digits of `YYYY-MM-DDTHH:MM:SS` in an RFC 3339 text, and of its separators.
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_SEPARATORS = np.array([4, 7, 10, 13, 16])
_SEPARATOR_CHARS = np.frombuffer(b"--T::", dtype=np.uint8)
_QUOTE, _ZULU, _DOT, _COLON, _PLUS, _MINUS, _ZERO = b'"Z.:+-0'
_WIDTH = 32  # the longest text: `YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM`


def micros_of(moments: list[datetime]) -> Ints:
    """`micros` of every moment, as one array, without a Python-level step per moment.

    msgspec writes a timezone-aware datetime to MessagePack as the exact UTC seconds and
    nanoseconds of its instant, whatever its offset; when every moment takes the same of the three
    timestamp layouts, numpy reads them all at once (`_unpack_timestamps`). Otherwise msgspec's
    RFC 3339 text is read (`_parse_rfc3339`), where offsets are written to the minute only, so a
    moment with any other offset, or any other shape, takes `micros` one moment at a time.
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
        # moment-by-moment path below raises it.
        if fast is not None and int(fast.min()) >= _MICROS_MIN and int(fast.max()) <= _MICROS_MAX:
            return fast
    return np.fromiter(map(micros, moments), dtype=np.int64, count=len(moments))


_MICROS_MIN = micros(datetime.min)
_MICROS_MAX = micros(datetime.max)


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
    fraction_digits = rows[with_fraction, 20:26] - np.uint8(_ZERO)
    zone = rows[offset[:, None], (length[offset] - 5)[:, None] + np.array([0, 1, 3, 4])] - np.uint8(_ZERO)
    if (
        not np.all((fraction == 0) | (fraction == 7))
        or not np.array_equal(rows[:, _SEPARATORS], np.broadcast_to(_SEPARATOR_CHARS, (count, 5)))
        or not np.all(rows[with_fraction, 19] == _DOT)
        or not np.all(rows[offset, length[offset] - 3] == _COLON)
        or int(digits.max(initial=0)) > 9
        or int(fraction_digits.max(initial=0)) > 9
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
    result[with_fraction] += fraction_digits.astype(np.int64) @ np.array([100_000, 10_000, 1000, 100, 10, 1])
    return result

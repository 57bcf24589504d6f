"""One rule for instants everywhere: a naive datetime is UTC, whatever the host's time zone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attunio import clock, utc
from attunio.engines import common


@pytest.fixture(autouse=True)
def far_from_utc() -> Iterator[None]:
    """A host zone far from UTC, so reading a naive datetime as local time shows."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_the_clock_and_the_engines_format_with_the_same_function() -> None:
    assert clock.iso_ms is common.iso_ms is utc.iso_ms
    assert common.as_utc is utc.as_utc


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_a_naive_datetime_is_read_as_utc(moment: datetime) -> None:
    assert utc.iso_ms(moment) == utc.iso_ms(moment.replace(tzinfo=UTC))
    assert utc.as_utc(moment) == moment.replace(tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_an_aware_datetime_is_converted_to_utc(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    expected = aware.astimezone(UTC)
    assert utc.iso_ms(aware) == f"{expected:%Y-%m-%dT%H:%M:%S}.{expected.microsecond // 1000:03d}Z"

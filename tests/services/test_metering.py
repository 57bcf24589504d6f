"""The request path's cached UTC day gives exactly what the plain definitions give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from attunio.services.request_path.metering import UtcDay, seconds_to_next_utc_day, utc_day

zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=14)),
                         timezone(timedelta(hours=5, minutes=30))])
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=zones)


@settings(max_examples=300, deadline=None)
@given(st.lists(instants, min_size=1, max_size=40))
def test_a_stream_of_instants_gets_each_ones_own_day_and_seconds_left(moments: list[datetime]) -> None:
    days = UtcDay()
    for moment in moments:
        assert days.day(moment) == utc_day(moment)
        assert days.seconds_left(moment) == seconds_to_next_utc_day(moment)
        assert days.day_and_seconds_left(moment) == (utc_day(moment), seconds_to_next_utc_day(moment))


def test_the_last_microsecond_of_a_day_and_the_first_of_the_next() -> None:
    days = UtcDay()
    midnight = datetime(2026, 3, 11, tzinfo=UTC)
    before, after = midnight - timedelta(microseconds=1), midnight
    assert (days.day(before), days.seconds_left(before)) == ("2026-03-10", 1)
    assert (days.day(after), days.seconds_left(after)) == ("2026-03-11", 86400)
    assert days.day(before) == "2026-03-10"  # and back: a wound-back clock is not stuck on the later day

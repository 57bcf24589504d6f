"""Log lines: one ASCII JSON object per line, the same bytes as `json` with compact separators
would write (floats aside: `1e-05` may read `0.00001`, the same number), and the time as
`datetime.isoformat(timespec="milliseconds")` in UTC would show it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from attunio.logs import JsonFormatter, encode_line

_reference = json.JSONEncoder(separators=(",", ":")).encode
values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                   st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=12), values, max_size=8))
def test_a_line_is_what_json_writes_and_always_ascii(line: dict[str, Any]) -> None:
    encoded = encode_line(line)
    assert encoded.isascii()
    assert json.loads(encoded) == line
    if all(not isinstance(v, float) for v in line.values()):  # floats: same value, spelling may differ
        assert encoded == _reference(line)


def test_every_ascii_character_is_written_as_json_writes_it() -> None:
    for code in range(128):
        assert encode_line({"message": f"a{chr(code)}b"}) == _reference({"message": f"a{chr(code)}b"}), code


def test_integers_past_64_bits_still_make_a_line() -> None:
    assert encode_line({"n": 2**70}) == '{"n":1180591620717411303424}'


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))  # up to 2100
def test_the_time_reads_as_datetime_would_show_it(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert JsonFormatter().timestamp(created) == expected


def test_a_record_becomes_one_json_line_with_its_access_fields() -> None:
    record = logging.LogRecord("attunio.access", logging.INFO, __file__, 0, "request", (), None)
    record.created, record.process = 1_780_000_000.4567, 4242
    record.__dict__.update(request_id="req_1", status=200, duration_ms=1.25, key_prefix="att_sk_live_")
    line = JsonFormatter().format(record)
    assert line == ('{"time":"2026-05-28T20:26:40.456+00:00","level":"info","logger":"attunio.access",'
                    '"pid":4242,"message":"request","request_id":"req_1","status":200,"duration_ms":1.25,'
                    '"key_prefix":"att_sk_live_"}')

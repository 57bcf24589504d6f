"""Log lines: one ASCII JSON object per line, the same bytes as `json` with compact separators
would write (floats aside: `1e-05` may read `0.00001`, the same number), and the time as
`datetime.isoformat(timespec="milliseconds")` in UTC would show it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunio.logs import AccessLog, JsonFormatter, JsonLinesHandler, configure, encode_line

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


# -- writing: the lines of one loop turn in one write; the access line without a LogRecord ---------


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


Configured = tuple[JsonLinesHandler, CountingStream]

FIELDS = {"request_id": "req_1", "method": "POST", "path": "/v1/dmse/analyze", "status": 200,
          "duration_ms": 1.25, "app": "app_1", "key_prefix": "att_sk_live_"}


@pytest.fixture
def configured() -> Iterator[Configured]:
    """The appliance's own logging set-up (`log_config`), writing to a stream the test reads; the
    loggers it touches are put back as they were afterwards."""
    names = ("", "attunio", "uvicorn", "uvicorn.access")  # "" is the root logger
    before = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).level,
                     logging.getLogger(name).propagate) for name in names}
    configure("info")
    handler = logging.getLogger("attunio").handlers[0]
    assert isinstance(handler, JsonLinesHandler)
    stream = CountingStream()
    handler.setStream(stream)
    yield handler, stream
    for name, (handlers, level, propagate) in before.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_access_lines_of_one_loop_turn_leave_together_in_order(configured: Configured) -> None:
    _, stream = configured
    access = AccessLog("attunio.access")

    async def main() -> None:
        for n in range(3):
            access.write({**FIELDS, "request_id": f"req_{n}"})
        assert stream.getvalue() == ""  # still this turn
        await asyncio.sleep(0)
        assert [line["request_id"] for line in _lines(stream)] == ["req_0", "req_1", "req_2"]
        assert stream.writes == 1

    asyncio.run(main())


def test_a_warning_is_written_at_once_after_what_is_pending(configured: Configured) -> None:
    _, stream = configured
    log = logging.getLogger("attunio.test")

    async def main() -> None:
        AccessLog("attunio.access").write(FIELDS)
        log.warning("trouble")
        assert [line["message"] for line in _lines(stream)] == ["request", "trouble"]

    asyncio.run(main())


def test_any_line_but_an_access_line_is_written_at_once_with_what_is_pending(configured: Configured) -> None:
    """The server's own lines at shutdown (`Finished server process`) are the last a worker logs
    before uvicorn re-raises the signal that stopped it: they, and the access lines before them,
    must be on the stream by then, not waiting for a loop turn that never ends."""
    _, stream = configured

    async def main() -> None:
        AccessLog("attunio.access").write(FIELDS)
        logging.getLogger("uvicorn.error").info("Finished server process [1]")
        assert [line["message"] for line in _lines(stream)] == ["request", "Finished server process [1]"]
        assert stream.writes == 1

    asyncio.run(main())


def test_outside_an_event_loop_every_line_is_written_at_once(configured: Configured) -> None:
    _, stream = configured
    logging.getLogger("attunio.test").info("from a command")
    assert [line["message"] for line in _lines(stream)] == ["from a command"]


def test_flush_writes_lines_whose_loop_turn_never_ended(configured: Configured) -> None:
    handler, stream = configured
    loop = asyncio.new_event_loop()

    async def log_and_stop() -> None:
        AccessLog("attunio.access").write(FIELDS)
        loop.stop()  # the loop stops before the turn's flush runs, as at shutdown

    task = loop.create_task(log_and_stop())
    loop.run_forever()
    assert task.done()
    loop.close()
    assert stream.getvalue() == ""
    handler.flush()  # what logging.shutdown does at exit
    assert [line["request_id"] for line in _lines(stream)] == ["req_1"]


def test_the_access_line_is_the_line_a_log_record_gives(configured: Configured,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, stream = configured
    monkeypatch.setattr(time, "time", lambda: 1_780_000_000.4567)  # both paths read the time here
    AccessLog("attunio.access").write(FIELDS)
    log = logging.getLogger("attunio.access")
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "request", (), None, extra=FIELDS))
    direct, from_record = stream.getvalue().splitlines()
    assert direct == from_record
    assert json.loads(direct)["time"] == "2026-05-28T20:26:40.456+00:00"
    assert json.loads(direct)["pid"] == os.getpid()


def test_any_other_logging_set_up_gets_a_real_record(configured: Configured) -> None:
    _, stream = configured
    log = logging.getLogger("attunio.access")
    seen: list[logging.LogRecord] = []
    extra = logging.Handler()
    extra.emit = seen.append  # type: ignore[method-assign]
    log.addHandler(extra)
    try:
        AccessLog("attunio.access").write(FIELDS)
    finally:
        log.removeHandler(extra)
    assert len(seen) == 1 and seen[0].request_id == "req_1"  # type: ignore[attr-defined]
    assert _lines(stream)[0]["request_id"] == "req_1"  # and the JSON line all the same

    class DropAll(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return False

    log.addFilter(DropAll())
    try:
        AccessLog("attunio.access").write(FIELDS)
    finally:
        log.filters.clear()
    assert len(_lines(stream)) == 1  # the filter was honoured


def test_a_library_warning_is_a_json_line_too(configured: Configured) -> None:
    _, stream = configured
    logging.getLogger("psycopg.pool").warning("reconnection attempt in pool %r failed", "attunio")
    logging.getLogger("psycopg.pool").info("not below WARNING")
    [line] = _lines(stream)
    assert line["logger"] == "psycopg.pool" and line["level"] == "warning", line
    assert line["message"] == "reconnection attempt in pool 'attunio' failed"


def test_no_access_line_below_its_level(configured: Configured) -> None:
    _, stream = configured
    configure("warning")
    handler = logging.getLogger("attunio").handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    AccessLog("attunio.access").write(FIELDS)
    assert stream.getvalue() == ""


def _pids(out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from attunio.logs import _ThisProcess

    out.put((_ThisProcess.pid, os.getpid()))


def test_a_forked_worker_logs_its_own_pid() -> None:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_pids, args=(out,))
    child.start()
    logged, actual = out.get(timeout=30)
    child.join(timeout=30)
    assert logged == actual != os.getpid()

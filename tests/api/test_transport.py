"""CoalescingTransport: a write waits for the next one, never past the end of its loop turn."""

from __future__ import annotations

import asyncio
from typing import Any

from attunio.api.transport import CoalescingTransport


class Recording:
    """A transport that records what would go out, and in how many writes."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False
        self.reading = True

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("10.0.0.7", 51000)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.limits = (high, low)


def run(scenario: Any) -> Recording:
    real = Recording()

    async def main() -> None:
        await scenario(CoalescingTransport(real, asyncio.get_running_loop()), real)  # type: ignore[arg-type]

    asyncio.run(main())
    return real


def test_head_and_body_leave_in_one_write() -> None:
    async def scenario(transport: CoalescingTransport, real: Recording) -> None:
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert real.writes == []  # held for the body
        transport.write(b"{}")
        assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]  # sent at once, not at the end of the turn

    assert run(scenario).writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]


def test_a_lone_write_leaves_at_the_end_of_its_turn() -> None:
    async def scenario(transport: CoalescingTransport, real: Recording) -> None:
        transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0)  # one loop turn
        assert real.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
        transport.write(b"a")
        transport.write(b"b")
        transport.write(b"c")  # a third write is held again, for the next one or the turn's end
        await asyncio.sleep(0)
        assert real.writes[1:] == [b"ab", b"c"]

    run(scenario)


def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    async def closing(transport: CoalescingTransport, real: Recording) -> None:
        transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        transport.close()
        assert real.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"] and real.closed

    async def aborting(transport: CoalescingTransport, real: Recording) -> None:
        transport.write(b"partial")
        transport.abort()
        await asyncio.sleep(0)

    assert run(closing).closed
    aborted = run(aborting)
    assert aborted.aborted and aborted.writes == []


def test_everything_else_is_the_real_transport() -> None:
    async def scenario(transport: CoalescingTransport, real: Recording) -> None:
        assert transport.get_extra_info("peername") == ("10.0.0.7", 51000)
        transport.pause_reading()
        assert not real.reading
        transport.resume_reading()
        assert real.reading
        transport.set_write_buffer_limits(high=1024)  # not wrapped: passed through
        assert real.limits == (1024, None)
        transport.write(b"12345")
        assert transport.get_write_buffer_size() == 5  # held bytes count as buffered for flow control
        await asyncio.sleep(0)
        assert transport.get_write_buffer_size() == 0

    run(scenario)

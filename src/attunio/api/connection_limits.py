"""Limits on every connection: head size and header count, time to send the head, open connections.

uvicorn's httptools protocol has none of these (`h11_max_incomplete_event_size` is for h11 only),
and httptools itself accumulates a header value that arrives in pieces by concatenating bytes: an
endless header costs quadratic CPU and unbounded memory in the worker, stalling every other
connection it serves. So the head is capped before the parser sees it: while a request's head is
being read, at most `max_header_bytes` of it are fed to the parser, and a head still incomplete at
that point is answered `431` and the connection closed, the rest never read. The header count is
checked as each header completes. A head must also arrive within `header_timeout` seconds of the
connection opening (or of its first byte, on a kept-alive connection), or the connection is closed
(`408` if part of a head had come). Past `max_connections` open connections in one worker, a new
one is answered `503` and closed, and a warning is logged (at most one every few seconds).

Head bytes are counted per read: a read that finishes one request and begins the next counts the
next head from the following read, so a pipelined head can exceed the cap by at most one read
(256 KiB); that bounds memory all the same and never refuses a head within the cap.

`ConnectionLimits` is what uvicorn is given as its `http` protocol: a small picklable callable
(uvicorn hands its config to spawned workers) that builds a protocol with the limits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from asyncio import TimerHandle
from dataclasses import dataclass
from typing import Any

import msgspec
from uvicorn.config import Config
from uvicorn.server import ServerState

from attunio.api.transport import CoalescingHttpToolsProtocol
from attunio.config import ServerSettings

log = logging.getLogger("attunio.connections")
WARN_EVERY_S = 10.0  # an attack repeats a refusal thousands of times; the log says so once a while
# After a refusal the rest of what the client sends is read and dropped for a moment before closing
# (nginx's lingering close): closing with unread data makes the kernel send a reset, which can
# destroy the answer before the client reads it. Bounded in time and bytes, never stored.
LINGER_S = 2.0
LINGER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout: float
    max_connections: int

    @classmethod
    def from_settings(cls, server: ServerSettings) -> ConnectionLimits:
        return cls(max_header_bytes=server.max_header_bytes, max_headers=server.max_headers,
                   header_timeout=server.header_timeout, max_connections=server.max_connections)

    def __call__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> LimitedHttpToolsProtocol:
        return LimitedHttpToolsProtocol(config, server_state, app_state, _loop, limits=self)


class _Warnings:
    """One warning per kind every WARN_EVERY_S seconds in a worker, with how many it stands for."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._count: dict[str, int] = {}

    def note(self, kind: str, message: str, **fields: Any) -> None:
        self._count[kind] = self._count.get(kind, 0) + 1
        now = time.monotonic()
        if now - self._last.get(kind, -WARN_EVERY_S) >= WARN_EVERY_S:
            log.warning(message, extra={"limit": kind, "events": self._count.pop(kind), **fields})
            self._last[kind] = now


WARNINGS = _Warnings()


def envelope_response(status: int, phrase: str, code: str, message: str) -> bytes:
    """A complete `Connection: close` answer in the documented error envelope."""
    body = msgspec.json.encode({"ok": False, "error": {"code": code, "message": message}})
    return (f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "cache-control: no-store\r\nconnection: close\r\n\r\n").encode("ascii") + body


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing; httptools reports it as a parser error."""


class LimitedHttpToolsProtocol(CoalescingHttpToolsProtocol):
    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None, *, limits: ConnectionLimits) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = limits
        self._in_head = True  # reading (or waiting for) a request head
        self._head_bytes = 0
        self._header_count = 0
        self._messages_done = 0
        self._head_timer: TimerHandle | None = None
        self._refusal: bytes | None = None  # set when a limit turned a parser stop into our answer
        self._lingering = -1  # bytes dropped since a refusal; -1 while not refusing

    # --- connection ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections:
            WARNINGS.note("max_connections", "connection limit reached; new connections answered 503",
                          max_connections=self._limits.max_connections)
            self._close_with(envelope_response(503, "Service Unavailable", "service_unavailable",
                                               "The appliance has too many open connections; retry shortly."))
            return
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _close_with(self, answer: bytes) -> None:
        self._cancel_head_timer()
        if self.transport.is_closing() or self._lingering >= 0:
            return
        self.transport.write(answer)
        self._lingering = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    # --- head size ----------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._lingering >= 0:
            self._lingering += len(data)
            if self._lingering > LINGER_BYTES:
                self.transport.close()
            return
        if not self._in_head or self.transport.is_closing():
            super().data_received(data)
            return
        if self._head_timer is None:
            self._start_head_timer()
        room = self._limits.max_header_bytes - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        done_before = self._messages_done
        self._head_bytes += room
        super().data_received(data[:room])
        if self.transport.is_closing() or self._lingering >= 0:
            return
        if self._in_head and self._messages_done == done_before:
            self._refuse_head(f"The request head exceeds the {self._limits.max_header_bytes}-byte limit "
                              "of this appliance.")
            return
        self.data_received(data[room:])

    def _refuse_head(self, message: str) -> None:
        WARNINGS.note("max_header_bytes", "request head over its limit; answered 431",
                      max_header_bytes=self._limits.max_header_bytes, max_headers=self._limits.max_headers)
        self._close_with(envelope_response(431, "Request Header Fields Too Large",
                                           "request_header_fields_too_large", message))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self._limits.max_headers:
            self._refusal = b"headers"
            raise _HeadTooLarge
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers every parser stop with 400; a stop we caused gets its own answer.
        if self._refusal is not None:
            self._refusal = None
            self._refuse_head(f"The request has more than {self._limits.max_headers} header fields, "
                              "the limit of this appliance.")
            return
        super().send_400_response(msg)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._messages_done += 1
        super().on_message_complete()

    # --- head time ----------------------------------------------------------------------------
    def _start_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self._limits.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        WARNINGS.note("header_timeout", "request head not received in time; connection closed",
                      header_timeout=self._limits.header_timeout)
        if self._head_bytes == 0:
            self.transport.close()  # nothing was asked: nothing to answer
            return
        message = f"The request head did not arrive within {self._limits.header_timeout:g} s."
        self._close_with(envelope_response(408, "Request Timeout", "request_timeout", message))


FD_RESERVE = 64  # descriptors a worker needs besides connections: store, WAL, logs, listening socket


def ensure_file_limit(max_connections: int) -> str | None:
    """Raise the soft open-file limit to fit `max_connections` (as nginx's `worker_rlimit_nofile`
    does); a warning if the hard limit is too low, because then descriptors run out before the cap
    is reached and the kernel, not the appliance, refuses connections, silently."""
    import resource

    needed = max_connections + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        return (f"the open-file limit ({soft}) is below server.max_connections + {FD_RESERVE} ({needed}); "
                "lower server.max_connections or raise the limit (ulimit -n)")
    return None

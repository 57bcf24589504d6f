"""The event loop uvicorn serves on, with a TLS handshake time limit of our choosing.

A TLS connection reaches the HTTP protocol only once its handshake is done, so a client that
opens TCP and never starts TLS is invisible to every HTTP-level limit; only the loop's
`ssl_handshake_timeout` closes it, and uvicorn 0.54 never passes one to `create_server`, leaving
the 60 s default of asyncio and uvloop. uvicorn accepts any callable returning a loop as its
`loop` setting, so this one returns uvloop's loop (what uvicorn's "auto" would pick) with
`create_server` filling in the configured handshake timeout. Picklable, as uvicorn hands its
config to spawned workers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import uvloop


class _HandshakeTimeoutLoop(uvloop.Loop):
    ssl_handshake_timeout = 60.0

    async def create_server(self, protocol_factory: Any, host: Any = None, port: Any = None,
                            **kwargs: Any) -> Any:
        if kwargs.get("ssl") is not None:
            kwargs.setdefault("ssl_handshake_timeout", self.ssl_handshake_timeout)
        return await super().create_server(protocol_factory, host, port, **kwargs)


@dataclass(frozen=True)
class HandshakeTimeoutLoop:
    """uvicorn's `loop`: builds a uvloop loop whose TLS handshakes end after `timeout` seconds."""

    timeout: float

    def __call__(self) -> asyncio.AbstractEventLoop:
        loop = _HandshakeTimeoutLoop()
        loop.ssl_handshake_timeout = self.timeout
        return loop

"""Serve a trivial ASGI app over TLS as the appliance wires TLS: settings from ATTUNIO_CONFIG /
ATTUNIO_* variables and the appliance's context factory. (The real app is served over TLS in
tests/e2e; this one keeps the handshake tests independent of the store.)

Usage: python tests/tls/_serve.py PORT
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

from attunio.config import load_settings
from attunio.tls.context import ServerContextFactory


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b'{"status":"ok"}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    settings = load_settings()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        ssl_context_factory=ServerContextFactory.from_settings(settings),
        server_header=False,
        log_level="warning",
        lifespan="on",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()

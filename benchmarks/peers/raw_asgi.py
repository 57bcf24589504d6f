"""The server's own floor: uvicorn with no framework at all, reading the body, decoding it strictly
into the same Struct and answering the same fixed bytes as the bare Litestar peer. What remains of a
request's cost here is HTTP parsing, the event loop and the socket.

    uvicorn benchmarks.peers.raw_asgi:app
"""

from __future__ import annotations

from typing import Any

from benchmarks.peers.bare_litestar import FIXED, _decode

_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(FIXED)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    if scope["method"] != "POST":
        await send({"type": "http.response.start", "status": 405, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    _decode(b"".join(chunks))
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": FIXED})

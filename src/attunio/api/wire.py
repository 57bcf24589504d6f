"""Reading a request off the wire: its headers and its body, for every route that needs them.

One reader for each, so the size cap, the answer to a client that leaves mid-body and the rule for
repeated headers are the same wherever a request is read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from attunio.errors import ApiError

Receive = Callable[[], Awaitable[dict[str, Any]]]


class RequestHeaders(dict[str, str]):
    """Header names (lower case, as ASGI servers give them) to their first value, and the names the
    client sent more than once, so a rule that must not pick one of two values can refuse instead."""

    __slots__ = ("repeated",)

    def __init__(self) -> None:
        super().__init__()
        self.repeated: frozenset[str] = frozenset()


def read_headers(raw: Iterable[tuple[bytes, bytes]]) -> RequestHeaders:
    """The first value of each name, as other readers of headers keep. ASGI servers give names in
    lower case already (the specification asks it of them)."""
    headers = RequestHeaders()
    repeated: set[str] | None = None
    for name, value in raw:
        key = name.decode("latin-1")
        if key in headers:
            repeated = repeated or set()
            repeated.add(key)
        else:
            headers[key] = value.decode("latin-1")
    if repeated:
        headers.repeated = frozenset(repeated)
    return headers


class ClientDisconnected(Exception):
    """The client closed the connection before its body was complete: nobody is left to answer."""


def too_large(limit: int) -> ApiError:
    return ApiError("payload_too_large", f"Request body exceeds the {limit}-byte limit of this appliance.")


async def read_body(headers: RequestHeaders, receive: Receive, limit: int) -> bytes:
    """The body under the size cap: refused at once on an announced length over it, else as soon as
    what arrived passes it, so an over-size body is never held in memory whole."""
    announced = headers.get("content-length")
    if announced is not None:
        if not announced.isdigit():
            raise ApiError("invalid_request", "Content-Length must be a whole number of bytes.")
        if int(announced) > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)

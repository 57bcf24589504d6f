"""What the request path knows about one request, handed from layer to layer as one value.

The edge makes it when a request arrives and the handlers fill it in; it reaches a handler in the
ASGI scope because ASGI has no other way to pass anything down, under one key read by
`context_of` alone. Everything below a handler gets it as an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attunio.services.request_path.access import Principal

SCOPE_KEY = "attunio.context"


@dataclass(slots=True)
class RequestContext:
    request_id: str
    principal: Principal | None = None
    """Set once the key is authenticated, even if the request is then refused: the access log names it."""
    cors_origin: str | None = None
    """The browser origin let through for a publishable key: its answers, errors included, carry CORS."""
    disconnected: bool = False
    """The client went away before its body arrived, so no answer was sent."""


def context_of(scope: Mapping[str, Any]) -> RequestContext:
    context: RequestContext = scope[SCOPE_KEY]
    return context

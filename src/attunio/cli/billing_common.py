"""What the license, usage and instance commands share: the license registry on an open store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from attunio.cli.common import Context, fail, vendor_trust
from attunio.config import Settings
from attunio.services.license_registry import LicenseRegistry


@contextmanager
def registry(ctx: Context) -> Iterator[LicenseRegistry]:
    trust = vendor_trust(ctx.settings)
    with ctx.store() as store:
        try:
            yield LicenseRegistry(store, trust, ctx.clock)
        except LookupError as exc:
            fail(str(exc).strip("'\""))


def check_vendor_trust(settings: Settings, _server: dict[str, Any]) -> None:
    """A serve step, before the port is bound: an unusable extra key stops start-up. A usable one is announced
    by every worker as a JSON log line (Billing), so the server's log stays JSON lines only."""
    vendor_trust(settings, announce=False)


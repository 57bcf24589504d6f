"""What the license, usage and instance commands share: the license registry on an open store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from attunio.cli.common import Context, clear_errors, vendor_trust
from attunio.cli.exits import BAD_STATE, OK, WARN
from attunio.config import Settings
from attunio.crypto.license_file import LicenseFileError, read_license
from attunio.services.licensing.evaluate import LicenseState
from attunio.services.licensing.registry import LicenseRegistry


@contextmanager
def registry(ctx: Context) -> Iterator[LicenseRegistry]:
    trust = vendor_trust(ctx.settings)
    with ctx.store() as store, clear_errors():  # a store without an instance id names `attunio init`
        yield LicenseRegistry(store, trust, ctx.clock)


def check_vendor_trust(settings: Settings, _server: dict[str, Any]) -> None:
    """A serve step, before the port is bound: an unusable extra key stops start-up. A usable one is announced
    by every worker as a JSON log line (Billing), so the server's log stays JSON lines only."""
    vendor_trust(settings, announce=False)




class Untrusted(msgspec.Struct, frozen=True, kw_only=True):
    """An installed license that no longer verifies against the trusted vendor keys."""

    license_id: str
    kid: str
    installed_at: str
    problem: str


def untrusted_licenses(licenses: LicenseRegistry) -> list[Untrusted]:
    """Installed licenses the state ignores because they do not verify (a withdrawn or foreign
    vendor key); without this an operator would read "No license is installed"."""
    found = []
    for license_id, kid, installed_at, raw in licenses.store.query(
            "SELECT license_id, kid, installed_at, raw FROM licenses ORDER BY installed_at"):
        try:
            read_license(bytes(raw), licenses.trust.keys)
        except LicenseFileError as exc:
            found.append(Untrusted(license_id=str(license_id), kid=str(kid), installed_at=str(installed_at),
                                   problem=exc.message))
    return found


def state_message(state: LicenseState, untrusted: list[Untrusted]) -> str:
    if state.reason == "no_license" and untrusted:
        names = ", ".join(f"{u.license_id} (signed by vendor key {u.kid})" for u in untrusted)
        return (f"A license is installed but not trusted: {names} does not verify against this appliance's "
                f"vendor keys ({untrusted[0].problem}). Install a license signed by a current vendor key.")
    return state.message


def state_exit(state: LicenseState) -> int:
    """The exit code that carries the license state: 0 valid, 4 in grace, 5 refused (exits.py)."""
    return {"valid": OK, "grace": WARN}.get(state.status, BAD_STATE)

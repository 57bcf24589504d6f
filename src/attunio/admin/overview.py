"""The appliance at a glance: health, license, certificate, store, last backup, version, vendor keys."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

from litestar import Request, Response, get

from attunio import __version__
from attunio.admin.http import answer, runtime_of
from attunio.api.health import readiness
from attunio.clock import iso_ms
from attunio.crypto.ed25519 import raw_public
from attunio.services.operations.backup import last_backup
from attunio.tls.inspect import summarize_configured


def _license(runtime: Any) -> dict[str, Any]:
    state = runtime.billing.license_state()
    installed = {v.claims.license_id: v.claims for v in runtime.billing.licenses.installed()}
    claims = installed.get(state.license_id) if state.license_id else None
    grace_until = None
    if claims is not None:
        grace_until = iso_ms(claims.expires_at + timedelta(days=claims.grace_days))
    return {"state": state.status, "reason": state.reason, "message": state.message, "licenseId": state.license_id,
            "plan": None if claims is None else claims.plan, "licensee": None if claims is None else claims.licensee,
            "allowance": state.allowance, "expiresAt": None if state.expires_at is None else iso_ms(state.expires_at),
            "graceUntil": grace_until, "graceDaysLeft": state.grace_days_left,
            "productionAccess": bool(claims and claims.production_access), "clockBehind": state.clock_behind}


def _certificate(runtime: Any, warnings: list[str]) -> dict[str, Any] | None:
    settings = runtime.settings
    if not settings.tls.enabled:
        return None
    try:
        cert = summarize_configured(settings.tls, settings.data_dir)
    except (OSError, ValueError) as exc:
        warnings.append(f"the serving certificate cannot be read: {type(exc).__name__}")
        return None
    now = runtime.clock.now()
    return {"notAfter": iso_ms(cert.not_after), "daysLeft": int(cert.days_left(now)), "subject": cert.subject,
            "selfSigned": cert.self_signed}


@get("/overview")
async def overview(request: Request[Any, Any, Any]) -> Response[bytes]:
    runtime = runtime_of(request)
    ready, checks, warnings, _ = readiness(runtime)
    backup = last_backup(runtime.store)
    trust = runtime.billing.licenses.trust
    vendor_keys = [{"id": kid, "fingerprint": hashlib.sha256(raw_public(key)).hexdigest(),
                    "publicKey": base64.b64encode(raw_public(key)).decode(), "extra": kid in trust.extra}
                   for kid, key in sorted(trust.keys.items())]
    warnings = list(warnings)
    if backup is None:
        warnings.append("no backup recorded: schedule `attunio backup` nightly")
    certificate = _certificate(runtime, warnings)
    return answer({
        "health": {"status": "ready" if ready else "not_ready", "checks": checks},
        "license": _license(runtime),
        "certificate": certificate,
        "store": {"kind": "sqlcipher", "path": str(runtime.store.path)},
        "lastBackup": None if backup is None else {"at": backup[0], "file": backup[1]},
        "version": __version__,
        "vendorKeys": vendor_keys,
        "warnings": warnings,
    })


ROUTES = [overview]

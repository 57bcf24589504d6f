"""Installed licenses: verified before anything is stored, re-verified whenever they are loaded.

Several licenses may be installed (a renewal ahead of time, say); the best one decides the state
(see `licensing.evaluate_installed`). Every install bumps a generation number in the settings table
so each worker notices a new license with one small read per live request.
"""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from attunio.clock import Clock, iso_ms
from attunio.crypto.license_file import MAX_FILE_BYTES, LicenseFileError, VerifiedLicense, read_license
from attunio.crypto.trust import VendorTrust
from attunio.refusals import InvalidInput
from attunio.services.licensing.clock_mark import HIGH_WATER, advance_mark, parse, read_mark
from attunio.services.licensing.evaluate import LicenseState, evaluate_installed, install_refusal
from attunio.services.operations import audit
from attunio.services.operations.instance import get_setting, instance_id, put_setting
from attunio.store import Store

GENERATION = "license_generation"
log = logging.getLogger("attunio.licensing")


class LicenseRefused(InvalidInput):
    """An install refused before anything was stored; `reason` is a stable code."""

    reason: str  # always given by the raiser

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason)


class LicenseRegistry:
    def __init__(self, store: Store, trust: VendorTrust, clock: Clock) -> None:
        self.store = store
        self.trust = trust
        self.clock = clock
        self.instance_id = instance_id(store)

    def installed(self) -> list[VerifiedLicense]:
        verified = []
        for license_id, raw in self.store.query("SELECT license_id, raw FROM licenses ORDER BY installed_at"):
            try:
                verified.append(read_license(bytes(raw), self.trust.keys))
            except LicenseFileError as exc:
                # A stored license that no longer verifies (a key withdrawn from trust) is not used.
                log.warning("installed license %s is not used: %s", license_id, exc.message)
        return verified

    def generation_and_mark(self) -> tuple[str, datetime | None]:
        rows = dict(
            self.store.query("SELECT key, value FROM settings WHERE key IN (?, ?)", (GENERATION, HIGH_WATER))
        )
        return str(rows.get(GENERATION, "0")), parse(rows.get(HIGH_WATER))

    def state(self, now: datetime) -> LicenseState:
        claims = [v.claims for v in self.installed()]
        return evaluate_installed(claims, now, read_mark(self.store), self.instance_id)

    def install(self, data: bytes, *, actor: str) -> tuple[VerifiedLicense, LicenseState]:
        """Every check runs before the write; a refusal leaves the store exactly as it was."""
        if len(data) > MAX_FILE_BYTES:
            raise LicenseRefused("malformed", "the file is too large to be a license")
        try:
            verified = read_license(data, self.trust.keys)
        except LicenseFileError as exc:
            raise LicenseRefused(exc.reason, exc.message) from None
        now = self.clock.now()
        with self.store.write():
            advance_mark(self.store, now)
            mark = read_mark(self.store)
            refusal = install_refusal(verified.claims, now, mark, self.instance_id)
            if refusal is not None:
                raise LicenseRefused("not_installable", refusal)
            existing = self.store.one(
                "SELECT raw FROM licenses WHERE license_id = ?", (verified.claims.license_id,)
            )
            if existing is not None and bytes(existing[0]) != data:
                raise LicenseRefused(
                    "duplicate_id",
                    f"a different license with id {verified.claims.license_id} is already installed",
                )
            self.store.conn.execute(
                "INSERT INTO licenses (license_id, kid, raw, claims, installed_at, installed_by)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(license_id) DO NOTHING",
                (
                    verified.claims.license_id,
                    verified.kid,
                    data,
                    msgspec.json.encode(verified.claims).decode(),
                    iso_ms(now),
                    actor,
                ),
            )
            generation = int(get_setting(self.store, GENERATION) or "0") + 1
            put_setting(self.store, GENERATION, str(generation))
            claims = verified.claims
            audit.record(
                self.store,
                self.clock,
                actor=actor,
                action="license.install",
                object_type="license",
                object_id=claims.license_id,
                detail={
                    "kid": verified.kid,
                    "plan": claims.plan,
                    "licensee": claims.licensee,
                    "production_access": claims.production_access,
                    "valid_from": iso_ms(claims.valid_from),
                    "expires_at": iso_ms(claims.expires_at),
                    "grace_days": claims.grace_days,
                    "monthly_allowance": claims.monthly_allowance,
                    "instance_id": claims.instance_id,
                },
            )
        return verified, self.state(now)

"""Throw-away vendor keys and licenses for the licensing tests (never trusted in production)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from attunio.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, key_id, public_pem
from attunio.crypto.license_file import LicenseClaims, sign_license

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INSTANCE = "inst_0123456789abcdef0123456789abcdef"


def claims(**overrides: Any) -> LicenseClaims:
    fields: dict[str, Any] = {
        "license_id": "LIC-2026-0001",
        "licensee": "St. Example Hospital",
        "plan": "growth",
        "monthly_allowance": 100_000,
        "production_access": True,
        "issued_at": T0,
        "valid_from": T0,
        "expires_at": datetime(2027, 1, 1, tzinfo=UTC),
        "grace_days": 14,
        "instance_id": None,
    }
    fields.update(overrides)
    return msgspec.convert(fields, LicenseClaims)


def trusted(*keys: Ed25519PrivateKey) -> dict[str, Ed25519PublicKey]:
    return {key_id(k.public_key()): k.public_key() for k in keys}


def license_bytes(key: Ed25519PrivateKey, **overrides: Any) -> bytes:
    return sign_license(claims(**overrides), key)


class FakeClock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def write_public_key(key: Ed25519PrivateKey, path: Path) -> Path:
    path.write_bytes(public_pem(key.public_key()))
    return path


def trust_env(pub_path: Path) -> dict[str, str]:
    return {"ATTUNIO_TRUST_EXTRA_VENDOR_KEYS": json.dumps([str(pub_path)])}

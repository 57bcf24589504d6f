"""Which vendor keys the appliance believes: the pinned production keys, plus extras by configuration.

The pinned keys are the only ones a shipped appliance trusts. `trust.extra_vendor_keys` adds keys
for development and tests; every extra key is announced at start-up (see `startup_warnings`) so an
appliance that trusts more than the vendor is never silent about it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from pathlib import Path

from msgspec import Struct

from attunio.crypto.ed25519 import Ed25519PublicKey, KeyFormatError, key_id, load_public_key, public_from_raw
from attunio.refusals import NotSetUp

# key id -> raw Ed25519 public key (base64). Rotation adds a key here before licenses use it and
# removes the old one only after every license it signed has expired (docs/licensing.md, "Rotating
# the vendor key"). 0d9b3b7d50bff613 was removed in 2026-12: its private half was lost and no
# license or bundle it signed is in the field.
PINNED_VENDOR_KEYS: Mapping[str, str] = {
    "bbf5799ffc036af1": "D+N7g37ZC5+dZuEk1Zuzc1fhAxW57t7ZtmTvdS9/WF0=",
}


class TrustError(NotSetUp, ValueError):
    """A configured extra key cannot be used; start-up stops rather than trusting less than asked."""


class VendorTrust(Struct, frozen=True, kw_only=True):
    keys: dict[str, Ed25519PublicKey]
    extra: dict[str, str]
    """Key id -> path of each key trusted only because configuration named it."""


def pinned_keys() -> dict[str, Ed25519PublicKey]:
    keys = {}
    for kid, raw in PINNED_VENDOR_KEYS.items():
        key = public_from_raw(base64.b64decode(raw, validate=True))
        if key_id(key) != kid:
            raise TrustError(f"pinned vendor key {kid} does not match its id")
        keys[kid] = key
    return keys


def load_vendor_trust(extra_paths: Iterable[str] = ()) -> VendorTrust:
    keys = pinned_keys()
    extra: dict[str, str] = {}
    for path in extra_paths:
        try:
            key = load_public_key(Path(path).read_bytes())
        except OSError as exc:
            raise TrustError(f"trust.extra_vendor_keys: cannot read {path}: {exc.strerror}") from None
        except KeyFormatError as exc:
            raise TrustError(f"trust.extra_vendor_keys: {path}: {exc}") from None
        kid = key_id(key)
        if kid not in keys:
            keys[kid] = key
            extra[kid] = path
    return VendorTrust(keys=keys, extra=extra)


def startup_warnings(trust: VendorTrust) -> list[str]:
    return [
        f"trusting extra vendor key {kid} from {path} (trust.extra_vendor_keys: development and tests only)"
        for kid, path in trust.extra.items()
    ]

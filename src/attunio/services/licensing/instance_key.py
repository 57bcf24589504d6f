"""The instance's own Ed25519 signing key (it signs usage reports), kept in the encrypted store.

Created once at `attunio init`; stores made before this key existed get it on first use. Only the
public half ever leaves the appliance (`attunio instance show`), for the vendor to register.
"""

from __future__ import annotations

from attunio.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, load_private_key, private_pem
from attunio.refusals import NotSetUp
from attunio.services.operations.instance import get_setting, put_setting
from attunio.store import Store

SIGNING_KEY = "instance_signing_key"


def ensure_signing_key(store: Store) -> bool:
    """Create the key once; True when it was created now. Like the instance id it is part of the
    instance's identity, made by `init`, so it is not an audited admin action."""
    with store.write():
        if get_setting(store, SIGNING_KEY) is not None:
            return False
        key = Ed25519PrivateKey.generate()
        # The store is encrypted at rest with the store key (on PostgreSQL the value is sealed under
        # it: store/sealing.py), so the PEM needs no second passphrase.
        put_setting(store, SIGNING_KEY, private_pem(key).decode("ascii"))
        return True


def signing_key(store: Store) -> Ed25519PrivateKey:
    value = get_setting(store, SIGNING_KEY)
    if value is None:
        raise NotSetUp("the store has no instance signing key; run `attunio init`")
    return load_private_key(value.encode("ascii"))


def public_key(store: Store) -> Ed25519PublicKey:
    return signing_key(store).public_key()

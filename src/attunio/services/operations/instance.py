"""Per-instance values kept in the store's settings table (created once, at init)."""

from __future__ import annotations

import secrets
import uuid

from attunio.refusals import NotSetUp
from attunio.store import Store

HMAC_SECRET = "hmac_secret"  # noqa: S105 - the settings row name, not a secret
INSTANCE_ID = "instance_id"
# Settings that are secrets: sealed by the appliance where the store does not encrypt its pages.
SECRET_SETTINGS = frozenset({HMAC_SECRET, "instance_signing_key"})


def get_setting(store: Store, key: str) -> str | None:
    row = store.one("SELECT value FROM settings WHERE key = ?", (key,))
    if row is None:
        return None
    return store.unseal(key, str(row[0])) if key in SECRET_SETTINGS else str(row[0])


def put_setting(store: Store, key: str, value: str) -> None:
    """Caller holds the write transaction."""
    store.conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, store.seal(key, value) if key in SECRET_SETTINGS else value),
    )


def ensure_instance(store: Store) -> bool:
    """Create the instance id and key-hashing secret once; True when they were created now."""
    with store.write():
        if get_setting(store, INSTANCE_ID) is not None:
            return False
        put_setting(store, INSTANCE_ID, "inst_" + uuid.uuid4().hex)
        put_setting(store, HMAC_SECRET, secrets.token_hex(32))
        return True


def instance_id(store: Store) -> str:
    value = get_setting(store, INSTANCE_ID)
    if value is None:
        raise NotSetUp("the store has no instance id; run `attunio init`")
    return value


def hmac_secret(store: Store) -> bytes:
    value = get_setting(store, HMAC_SECRET)
    if value is None:
        raise NotSetUp("the store has no key-hashing secret; run `attunio init`")
    return bytes.fromhex(value)

"""Secrets sealed by the appliance itself, for a store that does not encrypt its own pages.

On PostgreSQL the database sees every value it holds, so the instance signing key and the
key-hashing secret are stored as AES-256-GCM ciphertext under a key derived (HKDF-SHA256) from the
store key file the appliance already requires. A `pg_dump`, a replica or a DBA sees only the
ciphertext; the setting's name is the associated data, so a sealed value moved to another row
does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from attunio.store.errors import StoreError

PREFIX = "sealed:v1:"
_INFO = b"attunio store secret columns v1"


class Sealer:
    def __init__(self, key_hex: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(bytes.fromhex(key_hex))
        self._aead = AESGCM(derived)

    def seal(self, name: str, value: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), name.encode("utf-8"))
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, name: str, stored: str) -> str:
        if not stored.startswith(PREFIX):
            raise StoreError(f"setting {name} is not sealed in the database; it was written by something other "
                             "than the appliance")
        raw = base64.b64decode(stored[len(PREFIX):])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], name.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise StoreError(f"setting {name} does not open with the key in the store key file: wrong key file "
                             "for this database, or the value was altered") from None

"""Ed25519 keys for licenses, calibration bundles and usage reports: ids, file formats, verification.

All primitives come from `cryptography`; this module only fixes the formats the appliance and the
vendor tool agree on. Public keys travel as PEM (SubjectPublicKeyInfo), private keys as PKCS#8 PEM.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from attunio.refusals import InvalidInput

ALGORITHM = "Ed25519"
SIGNATURE_SIZE = 64
KEY_ID_HEX_CHARS = 16

__all__ = [
    "ALGORITHM",
    "SIGNATURE_SIZE",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "KeyFormatError",
    "key_id",
    "load_private_key",
    "load_public_key",
    "private_pem",
    "public_from_raw",
    "public_pem",
    "raw_public",
    "verify",
]


class KeyFormatError(InvalidInput):
    """A key file is not an Ed25519 key in the expected format."""


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_from_raw(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex characters of SHA-256 over the raw public key: short, stable, not secret."""
    return hashlib.sha256(raw_public(key)).hexdigest()[:KEY_ID_HEX_CHARS]


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def private_pem(key: Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError("not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError("the public key is not an Ed25519 key")
    return key


def load_private_key(data: bytes, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError) as exc:
        # The library's message may say whether a passphrase was wrong or missing; nothing secret.
        raise KeyFormatError(f"cannot load the private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("the private key is not an Ed25519 key")
    return key


def verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True

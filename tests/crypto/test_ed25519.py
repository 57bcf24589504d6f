from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from attunio.crypto.ed25519 import (
    Ed25519PrivateKey,
    KeyFormatError,
    key_id,
    load_private_key,
    load_public_key,
    private_pem,
    public_from_raw,
    public_pem,
    raw_public,
    verify,
)


def test_key_id_is_first_16_hex_of_sha256_of_raw_key() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    assert key_id(key) == hashlib.sha256(raw_public(key)).hexdigest()[:16]


def test_pem_round_trip_keeps_the_key() -> None:
    key = Ed25519PrivateKey.generate()
    assert raw_public(load_public_key(public_pem(key.public_key()))) == raw_public(key.public_key())
    again = load_private_key(private_pem(key))
    assert verify(key.public_key(), again.sign(b"m"), b"m")


def test_encrypted_private_key_needs_its_passphrase() -> None:
    key = Ed25519PrivateKey.generate()
    pem = private_pem(key, b"correct horse")
    assert b"ENCRYPTED" in pem
    with pytest.raises(KeyFormatError):
        load_private_key(pem)
    with pytest.raises(KeyFormatError):
        load_private_key(pem, b"wrong")
    assert key_id(load_private_key(pem, b"correct horse").public_key()) == key_id(key.public_key())


def test_non_ed25519_keys_are_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    pub = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyFormatError):
        load_public_key(pub)
    with pytest.raises(KeyFormatError):
        load_public_key(b"not a key")
    with pytest.raises(KeyFormatError):
        public_from_raw(b"\x00" * 31)


def test_verify_rejects_wrong_message_and_wrong_length() -> None:
    key = Ed25519PrivateKey.generate()
    sig = key.sign(b"message")
    assert verify(key.public_key(), sig, b"message")
    assert not verify(key.public_key(), sig, b"messagf")
    assert not verify(key.public_key(), sig[:-1], b"message")
    assert not verify(Ed25519PrivateKey.generate().public_key(), sig, b"message")

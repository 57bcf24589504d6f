from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.billing_helpers import claims, license_bytes, trusted

from attunio.crypto.ed25519 import Ed25519PrivateKey, key_id
from attunio.crypto.license_file import (
    DOMAIN,
    LicenseFileError,
    _armour,
    read_license,
    sign_license,
)

VENDOR = Ed25519PrivateKey.generate()
TRUST = trusted(VENDOR)
LICENSE = license_bytes(VENDOR, instance_id="inst_abc")


def test_a_signed_license_reads_back_with_its_claims() -> None:
    verified = read_license(LICENSE, TRUST)
    assert verified.claims == claims(instance_id="inst_abc")
    assert verified.kid == key_id(VENDOR.public_key())
    assert verified.raw == LICENSE
    assert LICENSE.startswith(b"-----BEGIN ATTUNIO LICENSE-----\nAlg: Ed25519\nKid: ")
    assert LICENSE.endswith(b"\n-----END ATTUNIO LICENSE-----\n")


def test_the_signature_is_over_the_domain_separated_payload() -> None:
    lines = LICENSE.split(b"\n")
    sig = base64.b64decode(lines[3].removeprefix(b"Sig: "))
    payload = base64.b64decode(b"".join(lines[5:-2]))
    VENDOR.public_key().verify(sig, DOMAIN + payload)
    assert DOMAIN == b"attunio-license/v1\n"


def _variants(byte: int) -> set[int]:
    # Low bit, case bit, high bit, and a few structural characters, at every position.
    return {byte ^ 0x01, byte ^ 0x20, byte ^ 0x80, ord("\n"), ord("="), ord("A")} - {byte}


def test_every_single_byte_change_anywhere_is_refused() -> None:
    checked = 0
    for position in range(len(LICENSE)):
        for value in _variants(LICENSE[position]):
            altered = LICENSE[:position] + bytes([value]) + LICENSE[position + 1 :]
            with pytest.raises(LicenseFileError):
                read_license(altered, TRUST)
            checked += 1
    assert checked > 5 * len(LICENSE)


@pytest.mark.slow
def test_every_possible_byte_value_at_every_position_is_refused() -> None:
    # Exhaustive (about 150,000 files); the fast test above covers the same positions with fewer values.
    for position in range(len(LICENSE)):
        head, tail = LICENSE[:position], LICENSE[position + 1 :]
        for value in range(256):
            if value != LICENSE[position]:
                with pytest.raises(LicenseFileError):
                    read_license(head + bytes([value]) + tail, TRUST)


@settings(max_examples=300, deadline=None)
@given(position=st.integers(0, len(LICENSE) - 1), value=st.integers(0, 255))
def test_any_replacement_byte_is_refused(position: int, value: int) -> None:
    if LICENSE[position] == value:
        return
    with pytest.raises(LicenseFileError):
        read_license(LICENSE[:position] + bytes([value]) + LICENSE[position + 1 :], TRUST)


@pytest.mark.parametrize("cut", [1, 2, 30, len(LICENSE) // 2])
def test_truncated_or_extended_files_are_refused(cut: int) -> None:
    with pytest.raises(LicenseFileError):
        read_license(LICENSE[:-cut], TRUST)
    with pytest.raises(LicenseFileError):
        read_license(LICENSE + b"\n" * cut, TRUST)
    with pytest.raises(LicenseFileError):
        read_license(b" " * cut + LICENSE, TRUST)


def test_a_consistent_crlf_file_is_accepted_but_stray_carriage_returns_are_not() -> None:
    crlf = LICENSE.replace(b"\n", b"\r\n")
    assert read_license(crlf, TRUST).claims == claims(instance_id="inst_abc")
    with pytest.raises(LicenseFileError):
        read_license(crlf.replace(b"\r\n", b"\n", 1), TRUST)


def _resigned(alg: str, kid: str, key: Ed25519PrivateKey, payload: bytes) -> bytes:
    return _armour(alg, kid, key.sign(DOMAIN + payload), payload)


PAYLOAD = b'{"v":1,"license_id":"X"}'


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_resigned("EdDSA", key_id(VENDOR.public_key()), VENDOR, PAYLOAD), "unsupported_algorithm"),
        (_resigned("ed25519", key_id(VENDOR.public_key()), VENDOR, PAYLOAD), "unsupported_algorithm"),
        (_resigned("none", key_id(VENDOR.public_key()), VENDOR, b"not json"), "unsupported_algorithm"),
        (_resigned("Ed25519", "00000000deadbeef", VENDOR, b"not json"), "unknown_key"),
        (license_bytes(Ed25519PrivateKey.generate()), "unknown_key"),
        (_resigned("Ed25519", key_id(VENDOR.public_key()), VENDOR, PAYLOAD), "invalid_claims"),
        (_resigned("Ed25519", key_id(VENDOR.public_key()), VENDOR, b"{not json"), "invalid_claims"),
        (b"", "malformed"),
        (b"hello\n", "malformed"),
    ],
)
def test_refusals_name_their_reason(data: bytes, reason: str) -> None:
    with pytest.raises(LicenseFileError) as caught:
        read_license(data, TRUST)
    assert caught.value.reason == reason


def test_algorithm_and_key_are_checked_before_the_payload_is_parsed() -> None:
    # A payload that would fail to decode never gets that far when the header is wrong.
    garbage = b"\xff" * 40
    with pytest.raises(LicenseFileError) as caught:
        read_license(_armour("RS256", key_id(VENDOR.public_key()), b"\0" * 64, garbage), TRUST)
    assert caught.value.reason == "unsupported_algorithm"


def test_a_signature_by_another_key_under_a_trusted_kid_is_refused() -> None:
    forged = _resigned("Ed25519", key_id(VENDOR.public_key()), Ed25519PrivateKey.generate(), PAYLOAD)
    with pytest.raises(LicenseFileError) as caught:
        read_license(forged, TRUST)
    assert caught.value.reason == "bad_signature"


def test_naive_times_and_inverted_windows_are_refused_at_signing() -> None:
    with pytest.raises(ValueError):
        sign_license(claims(expires_at=claims().valid_from), VENDOR)


def test_oversized_files_are_refused_before_parsing() -> None:
    with pytest.raises(LicenseFileError) as caught:
        read_license(LICENSE + b"A" * 70_000, TRUST)
    assert caught.value.reason == "malformed"

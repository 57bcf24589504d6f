from __future__ import annotations

import base64
import json

import pytest
from tests.billing_helpers import trusted

from attunio.crypto.ed25519 import Ed25519PrivateKey, key_id
from attunio.crypto.envelope import (
    CALIBRATION_PAYLOAD_TYPE,
    EnvelopeError,
    pae,
    sign_envelope,
    verify_envelope,
)

VENDOR = Ed25519PrivateKey.generate()
TRUST = trusted(VENDOR)
PAYLOAD = b'{"engine":"relapse_risk","version":3}'
SIGNED = sign_envelope(PAYLOAD, CALIBRATION_PAYLOAD_TYPE, VENDOR)


def test_pae_matches_the_dsse_specification_example() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert pae("t", b"") == b"DSSEv1 1 t 0 "


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("é", b"x") == b"DSSEv1 2 \xc3\xa9 1 x"


def test_a_signed_envelope_verifies_and_returns_its_payload() -> None:
    doc = json.loads(SIGNED)
    assert doc["payloadType"] == CALIBRATION_PAYLOAD_TYPE
    assert doc["signatures"][0]["keyid"] == key_id(VENDOR.public_key())
    assert verify_envelope(SIGNED, CALIBRATION_PAYLOAD_TYPE, TRUST) == PAYLOAD


def _edit(**changes: object) -> bytes:
    doc = json.loads(SIGNED)
    doc.update(changes)
    return json.dumps(doc).encode()


def _sig(keyid: str, sig: bytes) -> list[dict[str, str]]:
    return [{"keyid": keyid, "sig": base64.b64encode(sig).decode()}]


KID = key_id(VENDOR.public_key())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (sign_envelope(PAYLOAD, "application/json", VENDOR), "wrong_payload_type"),
        (_edit(payloadType="application/vnd.attunio.usage-report+json;v=1"), "wrong_payload_type"),
        (_edit(payload=base64.b64encode(PAYLOAD + b" ").decode()), "bad_signature"),
        (sign_envelope(PAYLOAD, CALIBRATION_PAYLOAD_TYPE, Ed25519PrivateKey.generate()), "unknown_key"),
        (
            _edit(
                signatures=_sig(
                    KID, Ed25519PrivateKey.generate().sign(pae(CALIBRATION_PAYLOAD_TYPE, PAYLOAD))
                )
            ),
            "bad_signature",
        ),
        (_edit(signatures=_sig(KID, VENDOR.sign(PAYLOAD))), "bad_signature"),
        (_edit(signatures=[]), "malformed"),
        (_edit(payload="not base64!"), "malformed"),
        (_edit(extra=1), "malformed"),
        (b"[]", "malformed"),
        (b"{", "malformed"),
        (b'{"payloadType": "\xff"}', "malformed"),  # invalid UTF-8 inside a string
    ],
)
def test_refusals_name_their_reason(data: bytes, reason: str) -> None:
    with pytest.raises(EnvelopeError) as caught:
        verify_envelope(data, CALIBRATION_PAYLOAD_TYPE, TRUST)
    assert caught.value.reason == reason


def test_non_canonical_base64_is_refused() -> None:
    # "QQ==" and "QR==" both decode to b"A"; only the canonical spelling is accepted.
    payload = b"A"
    good = sign_envelope(payload, CALIBRATION_PAYLOAD_TYPE, VENDOR)
    assert verify_envelope(good, CALIBRATION_PAYLOAD_TYPE, TRUST) == payload
    doc = json.loads(good)
    assert doc["payload"] == "QQ=="
    doc["payload"] = "QR=="
    with pytest.raises(EnvelopeError):
        verify_envelope(json.dumps(doc).encode(), CALIBRATION_PAYLOAD_TYPE, TRUST)


def test_one_trusted_valid_signature_among_others_is_enough() -> None:
    other = Ed25519PrivateKey.generate()
    doc = json.loads(SIGNED)
    doc["signatures"].insert(0, {"keyid": key_id(other.public_key()), "sig": "AAAA"})
    assert verify_envelope(json.dumps(doc).encode(), CALIBRATION_PAYLOAD_TYPE, TRUST) == PAYLOAD


def test_every_single_byte_change_of_the_payload_field_is_refused() -> None:
    doc = json.loads(SIGNED)
    encoded = doc["payload"]
    for position in range(len(encoded)):
        for replacement in {"A", "B", "/", "+"} - {encoded[position]}:
            doc["payload"] = encoded[:position] + replacement + encoded[position + 1 :]
            with pytest.raises(EnvelopeError):
                verify_envelope(json.dumps(doc).encode(), CALIBRATION_PAYLOAD_TYPE, TRUST)

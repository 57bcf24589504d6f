"""DSSE-style signed envelopes (calibration bundles, usage reports).

    {"payloadType": "...", "payload": "<base64>", "signatures": [{"keyid": "...", "sig": "<base64>"}]}

The signature covers PAE(payloadType, payload), the DSSE pre-authentication encoding, so the type
is bound to the bytes and a payload can never be replayed as another kind of document. Verification
returns the payload bytes; callers decode them only after it succeeds.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from attunio.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, key_id, verify
from attunio.refusals import InvalidInput

CALIBRATION_PAYLOAD_TYPE = "application/vnd.attunio.calibration+json;v=1"
USAGE_REPORT_PAYLOAD_TYPE = "application/vnd.attunio.usage-report+json;v=1"
MAX_SIGNATURES = 8


class Signature(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    keyid: Annotated[str, Meta(min_length=1, max_length=128)]
    sig: str


class Envelope(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, rename="camel"):
    payload_type: Annotated[str, Meta(min_length=1, max_length=256)]
    payload: str
    signatures: Annotated[list[Signature], Meta(min_length=1, max_length=MAX_SIGNATURES)]


class EnvelopeError(InvalidInput):
    reason: str  # always given by the raiser

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason)


_decoder = msgspec.json.Decoder(Envelope)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSEv1 pre-authentication encoding: lengths are ASCII decimal byte counts."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def sign_envelope(payload: bytes, payload_type: str, private_key: Ed25519PrivateKey) -> bytes:
    signature = private_key.sign(pae(payload_type, payload))
    envelope = Envelope(
        payload_type=payload_type,
        payload=base64.b64encode(payload).decode("ascii"),
        signatures=[
            Signature(keyid=key_id(private_key.public_key()), sig=base64.b64encode(signature).decode())
        ],
    )
    return serialize(envelope)


def serialize(envelope: Envelope) -> bytes:
    """The one byte form the appliance writes; documents that must not change by a byte (usage
    reports, which are chained by file hash) are required to be in exactly this form."""
    return msgspec.json.format(msgspec.json.encode(envelope), indent=2) + b"\n"


def _strict_b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise EnvelopeError("malformed", f"the envelope's {what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        # Non-canonical padding bits would let two spellings carry one signature.
        raise EnvelopeError("malformed", f"the envelope's {what} is not canonical base64")
    return raw


def parse_envelope(data: bytes) -> Envelope:
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise EnvelopeError("malformed", f"not a signed envelope: {exc}") from None


def verify_envelope(
    data: bytes, expected_payload_type: str, trusted_keys: Mapping[str, Ed25519PublicKey]
) -> bytes:
    """Return the payload when a trusted key signed it under the expected type; raise otherwise."""
    envelope = parse_envelope(data)
    if envelope.payload_type != expected_payload_type:
        raise EnvelopeError(
            "wrong_payload_type",
            f"the envelope holds {envelope.payload_type!r}, expected {expected_payload_type!r}",
        )
    payload = _strict_b64(envelope.payload, "payload")
    message = pae(envelope.payload_type, payload)
    known = [s for s in envelope.signatures if s.keyid in trusted_keys]
    if not known:
        raise EnvelopeError("unknown_key", "no signature on the envelope is by a trusted key")
    for signature in known:
        if verify(trusted_keys[signature.keyid], _strict_b64(signature.sig, "signature"), message):
            return payload
    raise EnvelopeError("bad_signature", "the envelope signature does not verify; it was altered")

"""The armoured license file: vendor claims signed with Ed25519 under a domain-separated message.

    -----BEGIN ATTUNIO LICENSE-----
    Alg: Ed25519
    Kid: <16 hex: key id of the signing vendor key>
    Sig: <base64 of the 64-byte signature over b"attunio-license/v1\\n" + payload>

    <base64 of the JSON payload, 64 characters a line>
    -----END ATTUNIO LICENSE-----

Checks run in a fixed order and nothing of the payload is parsed before the signature holds:
size, armour, canonical form, algorithm, key id, signature, then the claims. The canonical-form
check (the file must re-encode to exactly its own bytes) is what makes every byte of the file
matter, including whitespace and base64 padding bits that a lenient decoder would ignore.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from attunio.crypto.ed25519 import ALGORITHM, Ed25519PrivateKey, Ed25519PublicKey, key_id, verify
from attunio.refusals import InvalidInput

DOMAIN = b"attunio-license/v1\n"
BEGIN = b"-----BEGIN ATTUNIO LICENSE-----"
END = b"-----END ATTUNIO LICENSE-----"
MAX_FILE_BYTES = 64 * 1024
LINE_WIDTH = 64

UtcTime = Annotated[datetime, Meta(tz=True)]
Ident = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Text = Annotated[str, Meta(min_length=1, max_length=256)]


class LicenseClaims(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    v: Annotated[int, Meta(ge=1, le=1)] = 1
    license_id: Ident
    licensee: Text
    plan: Ident
    monthly_allowance: Annotated[int, Meta(ge=0, le=10**12)]
    production_access: bool
    issued_at: UtcTime
    valid_from: UtcTime
    expires_at: UtcTime
    grace_days: Annotated[int, Meta(ge=0, le=365)]
    instance_id: Ident | None = None


class VerifiedLicense(Struct, frozen=True, kw_only=True):
    claims: LicenseClaims
    kid: str
    raw: bytes
    """The file exactly as verified, so the store can keep it and re-verify it later."""


class LicenseFileError(InvalidInput):
    """Refusal with a stable reason code (for scripts and tests) and a message for a person."""

    reason: str  # always given by the raiser

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason)


def signed_message(payload: bytes) -> bytes:
    return DOMAIN + payload


def _wrap(text: bytes) -> list[bytes]:
    return [text[i : i + LINE_WIDTH] for i in range(0, len(text), LINE_WIDTH)]


def _armour(alg: str, kid: str, signature: bytes, payload: bytes) -> bytes:
    lines = [
        BEGIN,
        b"Alg: " + alg.encode("ascii"),
        b"Kid: " + kid.encode("ascii"),
        b"Sig: " + base64.b64encode(signature),
        b"",
        *_wrap(base64.b64encode(payload)),
        END,
    ]
    return b"\n".join(lines) + b"\n"


def sign_license(claims: LicenseClaims, private_key: Ed25519PrivateKey) -> bytes:
    if claims.expires_at <= claims.valid_from:
        raise InvalidInput("expires_at must be after valid_from")
    payload = msgspec.json.encode(claims)
    signature = private_key.sign(signed_message(payload))
    return _armour(ALGORITHM, key_id(private_key.public_key()), signature, payload)


def _b64(text: bytes, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LicenseFileError("malformed", f"the license file's {what} is not valid base64") from None


def _split(data: bytes) -> tuple[dict[str, bytes], bytes]:
    """Armour to (header fields, payload base64); structure only, nothing is trusted yet."""
    if b"\r" in data:
        # Files that crossed a Windows share arrive with CRLF; accept that only when it is consistent.
        if data.count(b"\r\n") != data.count(b"\n") or data.count(b"\r") != data.count(b"\n"):
            raise LicenseFileError("malformed", "the license file has stray carriage returns")
        data = data.replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    if len(lines) < 7 or lines[0] != BEGIN or lines[-1] != b"" or lines[-2] != END:
        raise LicenseFileError("malformed", "not an Attunio license file (armour lines missing or altered)")
    headers: dict[str, bytes] = {}
    for line in lines[1:4]:
        name, sep, value = line.partition(b": ")
        if not sep or name not in (b"Alg", b"Kid", b"Sig") or name.decode() in headers:
            raise LicenseFileError("malformed", "the license file's header lines are altered")
        headers[name.decode()] = value
    if list(headers) != ["Alg", "Kid", "Sig"] or lines[4] != b"":
        raise LicenseFileError("malformed", "the license file's header lines are altered")
    return headers, b"".join(lines[5:-2])


def read_license(data: bytes, trusted_keys: Mapping[str, Ed25519PublicKey]) -> VerifiedLicense:
    """Verify a license file against the trusted vendor keys; raise LicenseFileError on any doubt."""
    if len(data) > MAX_FILE_BYTES:
        raise LicenseFileError("malformed", "the license file is too large")
    headers, body = _split(data)
    alg = headers["Alg"].decode("ascii", "replace")
    if alg != ALGORITHM:
        raise LicenseFileError("unsupported_algorithm", f"the license uses algorithm {alg!r}; only Ed25519")
    kid = headers["Kid"].decode("ascii", "replace")
    key = trusted_keys.get(kid)
    if key is None:
        raise LicenseFileError("unknown_key", f"the license is signed by key {kid!r}, which is not trusted")
    signature = _b64(headers["Sig"], "signature")
    payload = _b64(body, "payload")
    if _armour(alg, kid, signature, payload) != data.replace(b"\r\n", b"\n"):
        raise LicenseFileError("malformed", "the license file is not in canonical form (it was altered)")
    if not verify(key, signature, signed_message(payload)):
        raise LicenseFileError("bad_signature", "the license signature does not verify; the file was altered")
    try:
        claims = msgspec.json.decode(payload, type=LicenseClaims)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # Signed but unusable: a vendor tool defect, not tampering.
        raise LicenseFileError("invalid_claims", f"the license claims are invalid: {exc}") from None
    if claims.expires_at <= claims.valid_from:
        raise LicenseFileError("invalid_claims", "the license expires before it becomes valid")
    return VerifiedLicense(claims=claims, kid=kid, raw=data)

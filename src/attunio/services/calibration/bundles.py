"""Calibration bundles: a signed envelope around one engine's parameter set, checked in full before
anything is written.

Payload (JSON, inside a DSSE-style envelope of type `application/vnd.attunio.calibration+json;v=1`):

    {"engine": "relapse_risk", "version": 4, "params": {...every parameter...},
     "metrics": {"datasetSize": 18240, "concordance": {"auc": 0.81, "brier": 0.12}},
     "created": "2026-05-01T00:00:00Z", "expires": "2027-05-01T00:00:00Z", "notes": "..."}

A bundle must carry every parameter of its engine, so a version means the same thing on every
release even if a later release ships different defaults. Every refusal is a `BundleRefused` with a
stable `reason` code and a message naming exactly what is wrong.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from attunio.crypto.ed25519 import Ed25519PublicKey
from attunio.crypto.envelope import CALIBRATION_PAYLOAD_TYPE, EnvelopeError, parse_envelope, verify_envelope
from attunio.engines import ENGINES, EngineSpec, ParamsBase, check_caps, describe_params
from attunio.engines.safety_floors import floor_violations
from attunio.refusals import InvalidInput

__all__ = [
    "CALIBRATION_PAYLOAD_TYPE",
    "REFUSAL_REASONS",
    "BundleRefused",
    "CalibrationPayload",
    "Metrics",
    "VerifiedBundle",
    "check_params",
    "read_bundle",
]


# Every `BundleRefused.reason`, in the order the checks run (docs/calibration.md lists each).
REFUSAL_REASONS = (
    "too_large",
    "malformed",
    "wrong_payload_type",
    "unknown_key",
    "bad_signature",
    "bad_payload",
    "unknown_engine",
    "unknown_param",
    "missing_param",
    "bad_param_type",
    "param_out_of_cap",
    "safety_floor",
    "version_not_newer",
    "expired",
)


class Metrics(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, rename="camel"):
    dataset_size: Annotated[int, Meta(ge=1)]
    concordance: dict[Annotated[str, Meta(min_length=1, max_length=64)], float]


class CalibrationPayload(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    engine: Annotated[str, Meta(min_length=1, max_length=64)]
    version: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    params: dict[str, Any]
    metrics: Metrics
    created: datetime
    expires: datetime
    notes: Annotated[str, Meta(max_length=4000)] = ""


class BundleRefused(InvalidInput):
    """A bundle that must not be imported; `reason` is a stable code, the message says what and why."""

    reason: str  # always given by the raiser

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason)


class VerifiedBundle(Struct, frozen=True, kw_only=True):
    payload: CalibrationPayload
    params: ParamsBase
    signer: str
    raw: bytes
    sha256: str


_payload_decoder = msgspec.json.Decoder(CalibrationPayload, strict=True)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise BundleRefused("bad_payload", "the bundle's timestamps must carry a UTC offset")
    return moment.astimezone(UTC)


def _number_issue(name: str, value: object, is_int: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} must be a number, not {type(value).__name__}"
    if is_int and not isinstance(value, int):
        return f"{name} must be a whole number, not {value!r}"
    return None


def check_params(spec: EngineSpec, raw: Mapping[str, Any]) -> ParamsBase:
    """Decode a full parameter set strictly against the engine's params Struct and its safety caps,
    refusing with every problem named (parameter, value, cap)."""
    docs = describe_params(spec.params_type)
    names = [doc.name for doc in docs]
    unknown = sorted(set(raw) - set(names))
    if unknown:
        raise BundleRefused(
            "unknown_param", f"{spec.key} has no parameter {', '.join(unknown)}; only {', '.join(names)} exist"
        )
    missing = [name for name in names if name not in raw]
    if missing:
        raise BundleRefused(
            "missing_param", f"{spec.key}: the bundle must set every parameter; missing {', '.join(missing)}"
        )
    int_fields = {
        f.name
        for f in msgspec.structs.fields(spec.params_type)
        if f.type is int or getattr(f.type, "__origin__", None) is int
    }
    issues = [issue for doc in docs if (issue := _number_issue(doc.name, raw[doc.name], doc.name in int_fields))]
    if issues:
        raise BundleRefused("bad_param_type", f"{spec.key}: " + "; ".join(issues))
    outside = [
        f"{doc.name}={raw[doc.name]!r} is outside its safety cap [{doc.low:g}, {doc.high:g}]"
        for doc in docs
        if not doc.low <= raw[doc.name] <= doc.high
    ]
    if outside:
        raise BundleRefused("param_out_of_cap", f"{spec.key}: " + "; ".join(outside))
    try:
        params = msgspec.convert(dict(raw), spec.params_type, strict=True)
    except msgspec.ValidationError as exc:
        raise BundleRefused("bad_param_type", f"{spec.key}: {exc}") from None
    rules = check_caps(params)
    if rules:
        raise BundleRefused("param_out_of_cap", f"{spec.key}: " + "; ".join(v.message for v in rules))
    floors = floor_violations(spec.key, params)
    if floors:
        raise BundleRefused("safety_floor", f"{spec.key}: " + "; ".join(floors))
    return params


def _signer(data: bytes, trusted_keys: Mapping[str, Ed25519PublicKey]) -> str:
    """The trusted key whose signature verifies (not merely the first trusted key id listed), so the
    recorded signer is the one that vouched for the bundle."""
    for kid in dict.fromkeys(s.keyid for s in parse_envelope(data).signatures if s.keyid in trusted_keys):
        try:
            verify_envelope(data, CALIBRATION_PAYLOAD_TYPE, {kid: trusted_keys[kid]})
        except EnvelopeError:
            continue
        return kid
    raise BundleRefused("bad_signature", "the envelope signature does not verify; it was altered")


def read_bundle(
    data: bytes,
    trusted_keys: Mapping[str, Ed25519PublicKey],
    *,
    max_bytes: int,
    now: datetime,
    newest_version: Mapping[str, int],
) -> VerifiedBundle:
    """Every check, in order, on the bundle's bytes; nothing here writes. `now` is the later of the
    wall clock and the store's clock high-water mark; `newest_version` maps engine to the highest
    version ever imported."""
    if len(data) > max_bytes:
        raise BundleRefused(
            "too_large",
            f"the bundle is {len(data)} bytes; calibration.max_bundle_bytes allows {max_bytes}",
        )
    try:
        payload_bytes = verify_envelope(data, CALIBRATION_PAYLOAD_TYPE, trusted_keys)
    except EnvelopeError as exc:
        raise BundleRefused(exc.reason, exc.message) from None
    except UnicodeDecodeError:
        # msgspec reports invalid UTF-8 inside an object key this way, not as a DecodeError.
        raise BundleRefused("malformed", "not a signed envelope: the file is not valid UTF-8 JSON") from None
    signer = _signer(data, trusted_keys)
    try:
        payload = _payload_decoder.decode(payload_bytes)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BundleRefused("bad_payload", f"the signed payload is not a calibration payload: {exc}") from None
    spec = ENGINES.get(payload.engine)
    if spec is None:
        raise BundleRefused(
            "unknown_engine", f"no engine {payload.engine!r} on this appliance; known: {', '.join(ENGINES)}"
        )
    params = check_params(spec, payload.params)
    newest = newest_version.get(payload.engine)
    if newest is not None and payload.version <= newest:
        raise BundleRefused(
            "version_not_newer",
            f"{payload.engine} version {payload.version} is not higher than version {newest}, the highest "
            "ever imported; the vendor must issue a new version (an earlier one is re-activated with rollback)",
        )
    created, expires = _utc(payload.created), _utc(payload.expires)
    if expires <= created:
        raise BundleRefused("bad_payload", "the bundle expires before it was created")
    if now >= expires:
        raise BundleRefused(
            "expired", f"{payload.engine} version {payload.version} expired at {expires.isoformat()}"
        )
    return VerifiedBundle(
        payload=payload, params=params, signer=signer, raw=data, sha256=hashlib.sha256(data).hexdigest()
    )

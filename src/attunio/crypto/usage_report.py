"""The signed monthly usage report the hospital carries to the vendor.

A DSSE envelope (`USAGE_REPORT_PAYLOAD_TYPE`) signed by the instance's own Ed25519 key. Reports
form a chain per instance: each carries a sequence number and the SHA-256 of the previous report
file, so a withheld or replaced report shows up as a gap or a broken link at the vendor.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from attunio.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, key_id, public_from_raw, raw_public
from attunio.crypto.envelope import (
    USAGE_REPORT_PAYLOAD_TYPE,
    EnvelopeError,
    parse_envelope,
    serialize,
    sign_envelope,
    verify_envelope,
)
from attunio.refusals import InvalidInput

GENESIS_HASH = "0" * 64
Count = Annotated[int, Meta(ge=0)]


class DayCount(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    day: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    calls: Count


class EndpointCount(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    endpoint: Annotated[str, Meta(min_length=1, max_length=128)]
    calls: Count


class UsageReport(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    v: Annotated[int, Meta(ge=1, le=1)] = 1
    instance_id: str
    instance_key: str
    """Base64 of the raw instance public key, so a report names the key that must have signed it."""
    license_id: str | None
    month: Annotated[str, Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    sequence: Annotated[int, Meta(ge=1)]
    previous_hash: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
    generated_at: Annotated[datetime, Meta(tz=True)]
    allowance: Count
    days: list[DayCount]
    endpoints: list[EndpointCount]
    total: Count
    overage: Count


class ReportError(InvalidInput):
    reason: str  # always given by the raiser

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason)


def report_hash(data: bytes) -> str:
    """What the next report's `previous_hash` must be: SHA-256 of the exact file bytes."""
    return hashlib.sha256(data).hexdigest()


def instance_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(key)).decode("ascii")


def sign_report(report: UsageReport, private_key: Ed25519PrivateKey) -> bytes:
    if report.instance_key != instance_key_text(private_key.public_key()):
        raise InvalidInput("the report names a different instance key from the one signing it")
    return sign_envelope(msgspec.json.encode(report), USAGE_REPORT_PAYLOAD_TYPE, private_key)


def _claimed_key(data: bytes) -> Ed25519PublicKey:
    """The key the report says signed it; only used to pick the key, the signature decides."""
    envelope = parse_envelope(data)
    try:
        claimed = msgspec.json.decode(base64.b64decode(envelope.payload, validate=True)).get("instance_key")
        return public_from_raw(base64.b64decode(claimed, validate=True))
    except (ValueError, TypeError, AttributeError, msgspec.DecodeError):
        raise ReportError("malformed", "the report does not name a valid instance key") from None


def read_report(data: bytes, instance_key: Ed25519PublicKey | None = None) -> UsageReport:
    """Verify the signature (against `instance_key` when the vendor has it registered) and decode."""
    try:
        if serialize(parse_envelope(data)) != data:
            raise ReportError("malformed", "the report file is not in its canonical form (it was edited)")
        key = instance_key if instance_key is not None else _claimed_key(data)
        payload = verify_envelope(data, USAGE_REPORT_PAYLOAD_TYPE, {key_id(key): key})
    except EnvelopeError as exc:
        raise ReportError(exc.reason, exc.message) from None
    try:
        report = msgspec.json.decode(payload, type=UsageReport)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ReportError("malformed", f"the report payload is invalid: {exc}") from None
    if report.instance_key != instance_key_text(key):
        raise ReportError("bad_signature", "the report was signed by a key other than the one it names")
    return report


def month_days(month: str) -> list[str]:
    year, number = (int(part) for part in month.split("-"))
    last = calendar.monthrange(year, number)[1]
    return [date(year, number, day).isoformat() for day in range(1, last + 1)]


def check_sums(report: UsageReport) -> list[str]:
    """Arithmetic and calendar consistency; empty when the report adds up."""
    problems = []
    days = [d.day for d in report.days]
    allowed = set(month_days(report.month))
    if days != sorted(set(days)):
        problems.append("days are not unique and in order")
    if not set(days) <= allowed:
        problems.append(f"days fall outside {report.month}")
    if sum(d.calls for d in report.days) != report.total:
        problems.append("per-day counts do not add up to the total")
    endpoints = [e.endpoint for e in report.endpoints]
    if len(endpoints) != len(set(endpoints)):
        problems.append("an endpoint is listed twice")
    if sum(e.calls for e in report.endpoints) != report.total:
        problems.append("per-endpoint counts do not add up to the total")
    if report.overage != max(0, report.total - report.allowance):
        problems.append("overage is not the total beyond the allowance")
    return problems


def check_chain(report: UsageReport, previous: UsageReport | None, previous_data: bytes | None) -> list[str]:
    """Link to the previous report; with none given, the report must be the first of its chain."""
    if previous is None or previous_data is None:
        if report.sequence == 1 and report.previous_hash == GENESIS_HASH:
            return []
        return ["not the first report; pass the previous report to check the chain"]
    problems = []
    if previous.instance_key != report.instance_key or previous.instance_id != report.instance_id:
        problems.append("the previous report is from another instance")
    if report.sequence != previous.sequence + 1:
        problems.append(f"sequence {report.sequence} does not follow {previous.sequence}")
    if report.previous_hash != report_hash(previous_data):
        problems.append("previous_hash is not the hash of the previous report")
    return problems

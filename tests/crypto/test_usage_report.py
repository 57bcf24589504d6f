from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.crypto.usage_report import (
    GENESIS_HASH,
    DayCount,
    EndpointCount,
    ReportError,
    UsageReport,
    check_chain,
    check_sums,
    instance_key_text,
    read_report,
    report_hash,
    sign_report,
)

INSTANCE = Ed25519PrivateKey.generate()


def report(**overrides: Any) -> UsageReport:
    fields: dict[str, Any] = {
        "instance_id": "inst_1",
        "instance_key": instance_key_text(INSTANCE.public_key()),
        "license_id": "LIC-1",
        "month": "2026-02",
        "sequence": 1,
        "previous_hash": GENESIS_HASH,
        "generated_at": datetime(2026, 3, 1, tzinfo=UTC),
        "allowance": 10,
        "days": [DayCount(day="2026-02-01", calls=7), DayCount(day="2026-02-28", calls=5)],
        "endpoints": [EndpointCount(endpoint="dmse.analyze", calls=12)],
        "total": 12,
        "overage": 2,
    }
    fields.update(overrides)
    return msgspec.convert(fields, UsageReport, from_attributes=True)


def test_a_signed_report_reads_back_and_adds_up() -> None:
    data = sign_report(report(), INSTANCE)
    assert read_report(data) == report()
    assert read_report(data, INSTANCE.public_key()) == report()
    assert check_sums(report()) == []
    assert check_chain(report(), None, None) == []


def test_a_report_signed_by_another_key_is_refused() -> None:
    data = sign_report(report(), INSTANCE)
    with pytest.raises(ReportError):
        read_report(data, Ed25519PrivateKey.generate().public_key())
    other = Ed25519PrivateKey.generate()
    with pytest.raises(ValueError):
        sign_report(report(), other)


def test_every_edit_of_the_payload_fails_verification() -> None:
    data = sign_report(report(), INSTANCE)
    doc = json.loads(data)
    for field, value in [("total", 11), ("overage", 0), ("sequence", 2), ("allowance", 12)]:
        payload = json.loads(base64.b64decode(doc["payload"]))
        payload[field] = value
        edited = dict(doc, payload=base64.b64encode(json.dumps(payload).encode()).decode())
        with pytest.raises(ReportError):
            read_report(json.dumps(edited).encode())


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"total": 13}, "per-day counts"),
        ({"overage": 0}, "overage"),
        ({"days": [DayCount(day="2026-02-28", calls=5), DayCount(day="2026-02-01", calls=7)]}, "in order"),
        ({"days": [DayCount(day="2026-03-01", calls=12)]}, "outside"),
        (
            {"endpoints": [EndpointCount(endpoint="a", calls=6), EndpointCount(endpoint="a", calls=6)]},
            "twice",
        ),
    ],
)
def test_sums_and_calendar_are_checked(overrides: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in check_sums(report(**overrides)))


def test_the_chain_links_each_report_to_the_previous_file() -> None:
    first = sign_report(report(), INSTANCE)
    second = report(sequence=2, previous_hash=report_hash(first), month="2026-03", days=[])
    assert check_chain(second, read_report(first), first) == []
    assert check_chain(second, None, None) != []
    skipped = report(sequence=3, previous_hash=report_hash(first))
    assert any("sequence" in p for p in check_chain(skipped, read_report(first), first))
    wrong_link = report(sequence=2, previous_hash="1" * 64)
    assert any("previous_hash" in p for p in check_chain(wrong_link, read_report(first), first))

"""Monthly usage: the summary an admin reads and the signed, chained report carried to the vendor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from msgspec import Struct

from attunio.clock import Clock, iso_ms
from attunio.crypto.usage_report import (
    GENESIS_HASH,
    DayCount,
    EndpointCount,
    UsageReport,
    instance_key_text,
    report_hash,
    sign_report,
)
from attunio.refusals import InvalidInput
from attunio.services.licensing.clock_mark import read_mark
from attunio.services.licensing.evaluate import effective_time, evaluate_installed
from attunio.services.licensing.instance_key import signing_key
from attunio.services.licensing.registry import LicenseRegistry
from attunio.services.operations import audit
from attunio.services.request_path.metering import MonthUsage, month_usage
from attunio.store import Store

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class UsageSummary(Struct, frozen=True, kw_only=True):
    month: str
    license_id: str | None
    allowance: int
    used: int
    remaining: int
    overage: int
    by_app: dict[str, int]
    by_endpoint: dict[str, int]
    by_day: dict[str, int]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    if not MONTH.match(month) or month.startswith("0000"):  # year 0 is no date
        raise InvalidInput(f"{month!r} is not a month like 2026-03")
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def current_month(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def _governing_license(registry: LicenseRegistry, month: str, now: datetime) -> tuple[str | None, int]:
    """The license that covered the month: the best one at the month's last moment (or now)."""
    start, end = month_bounds(month)
    at = min(effective_time(now, read_mark(registry.store)), end - timedelta(microseconds=1))
    claims = [v.claims for v in registry.installed()]
    state = evaluate_installed(claims, max(at, start), None, registry.instance_id)
    return state.license_id, state.allowance or 0


def summarize(registry: LicenseRegistry, month: str, now: datetime) -> UsageSummary:
    usage = month_usage(registry.store, month)
    license_id, allowance = _governing_license(registry, month, now)
    return _summary(usage, license_id, allowance)


def _summary(usage: MonthUsage, license_id: str | None, allowance: int) -> UsageSummary:
    used = usage.total
    return UsageSummary(
        month=usage.month,
        license_id=license_id,
        allowance=allowance,
        used=used,
        remaining=max(0, allowance - used),
        overage=max(0, used - allowance),
        by_app=usage.by_app(),
        by_endpoint=usage.by_endpoint(),
        by_day=usage.by_day(),
    )


def create_report(registry: LicenseRegistry, clock: Clock, month: str, *, actor: str) -> tuple[bytes, UsageReport]:
    """Sign the month's report as the next link of this instance's chain and record it."""
    store: Store = registry.store
    now = clock.now()
    start, _ = month_bounds(month)
    if start > effective_time(now, read_mark(store)):
        raise InvalidInput(f"{month} has not started yet")
    key = signing_key(store)
    with store.write():
        summary = summarize(registry, month, now)
        last = store.one("SELECT sequence, hash FROM usage_reports ORDER BY sequence DESC LIMIT 1")
        sequence, previous = (1, GENESIS_HASH) if last is None else (int(last[0]) + 1, str(last[1]))
        report = UsageReport(
            instance_id=registry.instance_id,
            instance_key=instance_key_text(key.public_key()),
            license_id=summary.license_id,
            month=month,
            sequence=sequence,
            previous_hash=previous,
            generated_at=now.astimezone(UTC),
            allowance=summary.allowance,
            days=[DayCount(day=day, calls=calls) for day, calls in summary.by_day.items()],
            endpoints=[EndpointCount(endpoint=e, calls=calls) for e, calls in summary.by_endpoint.items()],
            total=summary.used,
            overage=summary.overage,
        )
        data = sign_report(report, key)
        digest = report_hash(data)
        store.conn.execute(
            "INSERT INTO usage_reports (sequence, month, hash, generated_at, license_id, total, overage, report)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sequence, month, digest, iso_ms(now), summary.license_id, summary.used, summary.overage, data),
        )
        audit.record(
            store,
            clock,
            actor=actor,
            action="usage.report",
            object_type="usage_report",
            object_id=str(sequence),
            detail={"month": month, "total": summary.used, "overage": summary.overage, "hash": digest},
        )
    return data, report

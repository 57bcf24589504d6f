"""The appliance's state as gauges, read when a scrape asks: license, certificate, store, backup,
sandbox quota and live allowance. Nothing here is on the request path."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from datetime import datetime

from attunio import __version__
from attunio.api.runtime import Runtime
from attunio.services.licensing.usage_reports import current_month, summarize
from attunio.services.request_path.metering import utc_day
from attunio.tls.context import TlsError
from attunio.tls.inspect import summarize_configured

LICENSE_STATES = ("valid", "grace", "refused")


@dataclass
class Gauge:
    name: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> Gauge:
        self.samples.append((labels, value))
        return self


def appliance_state(runtime: Runtime, now: datetime) -> list[Gauge]:
    gauges = [Gauge("attunio_build_info", "The running release (always 1).").add(1, version=__version__)]
    gauges += _license(runtime, now)
    gauges += _certificate(runtime, now)
    gauges += _store(runtime, now)
    gauges += _plan(runtime, now)
    return gauges


def _license(runtime: Runtime, now: datetime) -> list[Gauge]:
    state = runtime.billing.license_state(now)
    states = Gauge("attunio_license_state",
                   "1 for the license state in force (valid, grace or refused), 0 for the others.")
    for name in LICENSE_STATES:
        states.add(1 if state.status == name else 0, state=name)
    gauges = [states]
    if state.expires_at is not None:
        days = (state.expires_at - state.effective_now).total_seconds() / 86400
        gauges.append(Gauge("attunio_license_days_left",
                            "Days until the license in force expires (negative in its grace period).").add(days))
    if state.grace_days_left is not None:
        gauges.append(Gauge("attunio_license_grace_days_left", "Days of grace left after expiry.")
                      .add(state.grace_days_left))
    return gauges


def _certificate(runtime: Runtime, now: datetime) -> list[Gauge]:
    settings = runtime.settings
    if not settings.tls.enabled:
        return []
    try:
        summary = summarize_configured(settings.tls, settings.data_dir)
    except TlsError:
        return []  # /readyz reports an unreadable certificate; a missing gauge alerts as absent
    return [Gauge("attunio_certificate_days_left", "Days until the serving certificate expires.")
            .add(summary.days_left(now))]


def _store(runtime: Runtime, now: datetime) -> list[Gauge]:
    path = runtime.settings.store_path
    size = Gauge("attunio_store_size_bytes", "Size of the encrypted store on disk, per file.")
    for suffix in ("", "-wal"):
        with contextlib.suppress(FileNotFoundError):
            size.add(path.with_name(path.name + suffix).stat().st_size, file="db" if not suffix else "wal")
    row = runtime.store.one("SELECT at FROM audit WHERE action = 'backup.create' ORDER BY seq DESC LIMIT 1")
    age = math.inf if row is None else (now - datetime.fromisoformat(row[0].replace("Z", "+00:00"))).total_seconds()
    backup = Gauge("attunio_backup_age_seconds", "Seconds since the last `attunio backup` (+Inf if there was none).")
    return [size, backup.add(age)]


def _plan(runtime: Runtime, now: datetime) -> list[Gauge]:
    quota = runtime.settings.billing.sandbox_daily_quota
    used = Gauge("attunio_sandbox_requests_today", "Sandbox (test key) requests counted today (UTC) per app.")
    for app_id, count in runtime.store.query("SELECT app_id, count FROM sandbox_daily WHERE day = ? ORDER BY app_id",
                                              (utc_day(now),)):
        used.add(count, app=app_id)
    month = summarize(runtime.billing.licenses, current_month(now), now)
    return [
        Gauge("attunio_sandbox_daily_quota", "Sandbox requests allowed per app per UTC day.").add(quota),
        used,
        Gauge("attunio_live_allowance_calls", "Live calls included this month by the governing license.")
        .add(month.allowance),
        Gauge("attunio_live_calls_this_month", "Live calls counted this month (UTC).").add(month.used),
        Gauge("attunio_live_overage_calls", "Live calls this month beyond the allowance (billed as overage).")
        .add(month.overage),
    ]

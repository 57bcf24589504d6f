"""Billing on the request path against a real encrypted store, with a clock the test moves."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.billing_helpers import FakeClock, license_bytes, trust_env, write_public_key
from tests.conftest import init_store, make_settings

from attunio.config import Settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.services.licensing.clock_mark import read_mark
from attunio.services.licensing.registry import LicenseRefused
from attunio.services.operations.instance import instance_id
from attunio.services.request_path.access import Principal
from attunio.services.request_path.billing import (
    Billing,
    LiveAdmitted,
    LiveRefused,
    QuotaUsedUp,
    SandboxAdmitted,
    Verdict,
    license_report,
)
from attunio.services.request_path.metering import month_usage, sandbox_used, take_sandbox, take_sandbox_many
from attunio.store import Store

VENDOR = Ed25519PrivateKey.generate()
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def principal(mode: str = "test", app: str = "app_1", key: str = "key_1") -> Principal:
    return Principal(
        key_id=key,
        app_id=app,
        key_type="secret",
        mode=mode,
        prefix="att_sk_" + mode,  # type: ignore[arg-type]
        allowed_origins=(),
    )


@pytest.fixture
def billing_settings(tmp_path: Path) -> Settings:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    return make_settings(tmp_path, ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA="500", **trust_env(pub))


@pytest.fixture
def billing_store(billing_settings: Settings) -> Iterator[Store]:
    store = init_store(billing_settings)
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def billing(billing_store: Store, billing_settings: Settings, clock: FakeClock) -> Billing:
    return Billing(billing_store, billing_settings, clock)


async def verdict_of(billing: Billing, who: Principal) -> Verdict:
    """A call's verdict as the request path awaits it: a sandbox call's once its write is committed."""
    verdict = billing.admit(who, billing.clock.now())
    return await verdict if isinstance(verdict, asyncio.Future) else verdict


def admit(billing: Billing, who: Principal) -> Verdict:
    """One call's admission, committed before it returns (its own event-loop turn)."""
    return asyncio.run(verdict_of(billing, who))


def record(billing: Billing, who: Principal, endpoint: str) -> None:
    async def counted() -> None:
        future = billing.record(who, endpoint, billing.clock.now())
        if future is not None:
            await future
    asyncio.run(counted())


def remaining(verdict: Verdict) -> int:
    assert isinstance(verdict, SandboxAdmitted), verdict
    return verdict.remaining


def install(billing: Billing, **claims: object) -> None:
    billing.licenses.install(license_bytes(VENDOR, **claims), actor="test")


# -- sandbox quota ----------------------------------------------------------------------------------


def test_the_500th_sandbox_request_is_served_the_501st_refused_and_the_next_day_serves(
    billing: Billing, clock: FakeClock
) -> None:
    for number in range(1, 501):
        verdict = admit(billing, principal())
        assert remaining(verdict) == 500 - number
    assert verdict == SandboxAdmitted(limit=500, remaining=0, reset_seconds=12 * 3600)
    assert admit(billing, principal()) == QuotaUsedUp(limit=500, reset_seconds=12 * 3600)
    # Another app has its own quota the same day.
    assert remaining(admit(billing, principal(app="app_2"))) == 499
    clock.moment = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    assert remaining(admit(billing, principal())) == 499


def test_retry_after_counts_down_to_utc_midnight(billing: Billing, billing_store: Store, clock: FakeClock) -> None:
    clock.moment = datetime(2026, 3, 10, 23, 59, 30, tzinfo=UTC)
    billing_store.conn.execute("INSERT INTO sandbox_daily VALUES ('app_1', '2026-03-10', 500)")
    assert admit(billing, principal()) == QuotaUsedUp(limit=500, reset_seconds=30)


def _hammer(root: Path, attempts: int, start: Any, results: Any) -> None:
    settings = make_settings(root, **trust_env(root / "vendor.pub"))
    store = Store.open(settings)
    billing = Billing(store, settings, FakeClock(START))
    served = 0
    start.wait()  # both processes begin together, so their writes really interleave
    for _ in range(attempts):
        served += isinstance(admit(billing, principal()), SandboxAdmitted)
    store.close()
    results.put(served)


def in_two_processes(target: Any, root: Path, attempts: int) -> list[Any]:
    """Run `target(root, attempts, start, results)` in two forked processes that begin together; the
    two results."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=target, args=(root, attempts, start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    return answers


def test_the_quota_is_exact_with_two_processes_hammering_at_once(billing: Billing, tmp_path: Path) -> None:
    served = in_two_processes(_hammer, tmp_path, 400)
    assert sum(served) == 500
    assert min(served) > 0
    assert billing.store.one("SELECT count FROM sandbox_daily")[0] == 500


def test_live_calls_do_not_use_the_sandbox_quota(billing: Billing) -> None:
    install(billing)
    assert admit(billing, principal("live")) == LiveAdmitted(grace=None)
    assert billing.store.one("SELECT count(*) FROM sandbox_daily")[0] == 0


# -- live keys and the license ----------------------------------------------------------------------


def refusal(billing: Billing) -> str:
    verdict = admit(billing, principal("live"))
    assert isinstance(verdict, LiveRefused) and verdict.state.status == "refused"
    return verdict.state.message


def test_a_live_key_without_a_license_gets_402_saying_so(billing: Billing) -> None:
    assert "No license is installed" in refusal(billing)


def test_a_license_without_production_access_gets_402_saying_so(billing: Billing) -> None:
    install(billing, production_access=False)
    assert "production access" in refusal(billing)


def test_a_license_not_yet_valid_gets_402_saying_so(billing: Billing) -> None:
    install(billing, valid_from=datetime(2026, 4, 1, tzinfo=UTC))
    assert "not valid until 2026-04-01" in refusal(billing)


def test_a_license_bound_to_another_instance_is_refused_at_install_and_at_request(
    billing: Billing, billing_store: Store, billing_settings: Settings
) -> None:
    with pytest.raises(LicenseRefused, match="another instance"):
        install(billing, instance_id="inst_someone_else")
    assert billing_store.one("SELECT count(*) FROM licenses")[0] == 0
    # A store restored onto another appliance carries its license along; requests still refuse.
    install(billing, instance_id=instance_id(billing_store))
    with billing_store.write():
        billing_store.conn.execute("UPDATE settings SET value = 'inst_new' WHERE key = 'instance_id'")
        billing_store.conn.execute("UPDATE settings SET value = '99' WHERE key = 'license_generation'")
    rebuilt = Billing(billing_store, billing_settings, billing.clock)
    assert "bound to another instance" in refusal(rebuilt)


def test_grace_serves_with_a_warning_header_then_expiry_refuses(billing: Billing, clock: FakeClock) -> None:
    install(billing, expires_at=datetime(2026, 3, 12, tzinfo=UTC), grace_days=5)
    assert admit(billing, principal("live")) == LiveAdmitted(grace=None)
    clock.moment = datetime(2026, 3, 13, tzinfo=UTC)
    verdict = admit(billing, principal("live"))
    assert isinstance(verdict, LiveAdmitted) and verdict.grace is not None
    assert (verdict.grace.grace_days_left, verdict.grace.expires_at) == (4, datetime(2026, 3, 12, tzinfo=UTC))
    info, warnings = license_report(billing.license_state())
    assert info["status"] == "grace" and info["graceDaysLeft"] == 4 and warnings
    clock.moment = datetime(2026, 3, 17, tzinfo=UTC)
    assert "grace period has ended" in refusal(billing)


def test_setting_the_clock_back_does_not_extend_a_license(billing: Billing, clock: FakeClock,
                                                         billing_settings: Settings) -> None:
    install(billing, expires_at=datetime(2026, 3, 12, tzinfo=UTC), grace_days=1)
    clock.moment = datetime(2026, 3, 14, tzinfo=UTC)
    assert "grace period has ended" in refusal(billing)
    admit(billing, principal("test"))  # any write moves the persisted mark
    clock.moment = datetime(2026, 3, 11, tzinfo=UTC)
    assert "grace period has ended" in refusal(billing)
    # A fresh worker (restart) reads the mark from the store and still refuses.
    restarted = Billing(billing.store, billing_settings, clock)
    assert "grace period has ended" in refusal(restarted)
    assert read_mark(billing.store) == datetime(2026, 3, 14, tzinfo=UTC)


def test_a_clock_found_behind_the_mark_is_reported_in_readiness_and_the_audit_trail(
    billing: Billing, clock: FakeClock
) -> None:
    install(billing)
    admit(billing, principal("test"))
    clock.moment = START.replace(hour=10)
    info, warnings = license_report(billing.license_state())
    assert info["clockBehind"] is True
    assert any("clock" in w for w in warnings)
    actions = [row[0] for row in billing.store.query("SELECT action FROM audit ORDER BY seq")]
    assert actions.count("clock.behind") == 1
    billing.license_state()
    assert [row[0] for row in billing.store.query("SELECT action FROM audit")].count("clock.behind") == 1


def test_a_renewal_installed_early_takes_over_when_the_current_license_ends(billing: Billing, clock: FakeClock) -> None:
    install(billing, license_id="LIC-OLD", expires_at=datetime(2026, 4, 1, tzinfo=UTC), grace_days=0)
    install(
        billing,
        license_id="LIC-NEW",
        valid_from=datetime(2026, 4, 1, tzinfo=UTC),
        expires_at=datetime(2027, 4, 1, tzinfo=UTC),
    )
    assert billing.license_state().license_id == "LIC-OLD"
    clock.moment = datetime(2026, 4, 2, tzinfo=UTC)
    assert admit(billing, principal("live")) == LiveAdmitted(grace=None)
    assert billing.license_state().license_id == "LIC-NEW"


# -- metering ---------------------------------------------------------------------------------------


def test_live_calls_are_metered_per_app_key_endpoint_and_day_and_overage_is_never_blocked(
    billing: Billing, clock: FakeClock
) -> None:
    install(billing, monthly_allowance=3)
    for _ in range(5):
        admit(billing, principal("live"))
        record(billing, principal("live"), "dmse_signals")
    record(billing, principal("live", key="key_2"), "relapse_risk")
    clock.advance(days=1)
    record(billing, principal("live"), "dmse_signals")
    record(billing, principal("test"), "dmse_signals")  # sandbox calls are counted at admission only
    usage = month_usage(billing.store, "2026-03")
    assert usage.total == 7
    assert usage.by_day() == {"2026-03-10": 6, "2026-03-11": 1}
    assert usage.by_endpoint() == {"dmse_signals": 6, "relapse_risk": 1}
    assert [(r.key_id, r.count) for r in usage.rows if r.day == "2026-03-10"] == [("key_1", 5), ("key_2", 1)]


def test_install_refuses_altered_files_and_stores_nothing(billing: Billing, billing_store: Store) -> None:
    data = bytearray(license_bytes(VENDOR))
    data[200] ^= 1
    with pytest.raises(LicenseRefused):
        billing.licenses.install(bytes(data), actor="test")
    with pytest.raises(LicenseRefused) as unknown:
        billing.licenses.install(license_bytes(Ed25519PrivateKey.generate()), actor="test")
    assert unknown.value.reason == "unknown_key"
    assert billing_store.one("SELECT count(*) FROM licenses")[0] == 0
    assert "license.install" not in [r[0] for r in billing_store.query("SELECT action FROM audit")]


def test_a_worker_started_on_a_wound_back_clock_uses_the_persisted_mark_for_sandbox_days(
    billing: Billing, billing_store: Store, billing_settings: Settings
) -> None:
    admit(billing, principal())  # persists the mark at START
    wound_back = FakeClock(START.replace(day=1))
    restarted = Billing(billing_store, billing_settings, wound_back)
    admit(restarted, principal())
    days = [row[0] for row in billing_store.query("SELECT day FROM sandbox_daily")]
    assert days == ["2026-03-10"]


# -- the request path's grouped forms: merged per row, each call still counted exactly ------------


def _admit_all(billing: Billing, calls: int, app: str = "app_1") -> list[Verdict]:
    async def main() -> list[Verdict]:
        return await asyncio.gather(*(verdict_of(billing, principal(app=app)) for _ in range(calls)))
    return asyncio.run(main())


def test_one_turn_of_sandbox_calls_is_one_merged_write_and_stops_exactly_at_the_quota(
    billing: Billing, billing_store: Store
) -> None:
    assert len([a for a in _admit_all(billing, 480) if isinstance(a, SandboxAdmitted)]) == 480
    results = _admit_all(billing, 40)  # the quota of 500 falls inside this turn
    served = [r for r in results if isinstance(r, SandboxAdmitted)]
    refused = [r for r in results if isinstance(r, QuotaUsedUp)]
    assert [v.remaining for v in served] == [19 - i for i in range(20)]  # in order
    assert len(refused) == 20
    assert billing_store.one("SELECT count FROM sandbox_daily WHERE app_id = 'app_1'")[0] == 500
    assert billing.group.batches == 2


def _hammer_grouped(root: Path, turns: int, start: Any, results: Any) -> None:
    settings = make_settings(root, **trust_env(root / "vendor.pub"))
    store = Store.open(settings)
    billing = Billing(store, settings, FakeClock(START))
    start.wait()
    numbers: list[int] = []
    for _ in range(turns):
        for answer in _admit_all(billing, 25):
            if isinstance(answer, SandboxAdmitted):
                numbers.append(500 - answer.remaining)
    store.close()
    results.put(numbers)


def test_grouped_sandbox_calls_from_two_processes_number_every_served_call_once(
    billing: Billing, tmp_path: Path
) -> None:
    numbers = in_two_processes(_hammer_grouped, tmp_path, 16)
    assert sorted(numbers[0] + numbers[1]) == list(range(1, 501))  # 800 tried; each number served once
    assert min(len(n) for n in numbers) > 0
    assert billing.store.one("SELECT count FROM sandbox_daily")[0] == 500


@pytest.mark.parametrize("before", [None, 0, 1, 7, 497, 498, 499, 500])
@pytest.mark.parametrize("calls", [1, 2, 3, 10])
def test_counting_n_sandbox_calls_at_once_is_counting_them_one_by_one(
    billing_store: Store, before: int | None, calls: int
) -> None:
    quota = 500
    with billing_store.write():
        if before is not None:
            for app in ("merged", "single"):
                billing_store.conn.execute("INSERT INTO sandbox_daily VALUES (?, '2026-03-10', ?)", (app, before))
        merged = take_sandbox_many(billing_store, "merged", "2026-03-10", quota, calls)
        single = [take_sandbox(billing_store, "single", "2026-03-10", quota) for _ in range(calls)]
    assert merged == single
    assert sandbox_used(billing_store, "merged", "2026-03-10") == sandbox_used(billing_store, "single", "2026-03-10")


def test_one_turn_of_live_calls_is_metered_per_key_endpoint_and_day(billing: Billing, billing_store: Store) -> None:
    install(billing)
    group = billing.group
    calls = [(principal("live"), "dmse_signals")] * 30 + [(principal("live", key="key_2"), "dmse_signals")] * 4 \
        + [(principal("live"), "relapse_risk")] * 2

    async def main() -> None:
        await asyncio.gather(*(billing.record(who, endpoint, billing.clock.now()) for who, endpoint in calls))

    asyncio.run(main())
    usage = month_usage(billing_store, "2026-03")
    assert {(r.key_id, r.endpoint): r.count for r in usage.rows} == {
        ("key_1", "dmse_signals"): 30, ("key_2", "dmse_signals"): 4, ("key_1", "relapse_risk"): 2}
    assert group.batches == 1 and group.writes == 36

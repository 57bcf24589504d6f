"""Finding 4 of issue 14 against a served process: a command run once with the clock years ahead
does not raise the clock mark for good; an operator can lower a mark a wrong clock set (audited,
with a reason) or confirm a real jump; `restore` keeps the later of the restored and current mark.

The wrong clock is that of one `attunio` process: the command runs with `SystemClock.now`
replaced by a fixed time, as `faketime` would do, so the test does not depend on libfaketime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.billing_helpers import license_bytes, write_public_key
from tests.conftest import REPO, Served

from attunio.config import load_settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.services.licensing.clock_mark import read_mark
from attunio.store import Store

pytestmark = pytest.mark.e2e
VENDOR = Ed25519PrivateKey.generate()
AT = ("import datetime, sys; import attunio.clock as c; t = datetime.datetime.fromisoformat(sys.argv.pop(1)); "
      "c.SystemClock.now = lambda self: t; sys.argv[0] = 'attunio'; from attunio.cli.main import main; main()")


def cli_at(served: Served, moment: datetime, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **served.env, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-c", AT, moment.isoformat(), *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=REPO, check=False)


def mark_of(served: Served) -> datetime | None:
    store = Store.open(load_settings(REPO / "config" / "attunio.toml", served.env))
    try:
        return read_mark(store)
    finally:
        store.close()


def licensed(serve_appliance: Callable[..., Served], tmp_path: Path) -> tuple[Served, str]:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    served = serve_appliance(ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=json.dumps([str(pub)]))
    now = datetime.now(UTC)
    production = tmp_path / "production.license"
    production.write_bytes(license_bytes(VENDOR, license_id="LIC-PROD", valid_from=now - timedelta(days=1),
                                         expires_at=now + timedelta(days=30), grace_days=14))
    served.cli("license", "install", str(production))
    return served, served.new_key(mode="live")


def live_status(served: Served, key: str) -> int:
    return httpx.post(served.base_url + "/v1/dmse/analyze", json={"responseLatencySeconds": 2.6},
                      headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code


def evaluation_license(tmp_path: Path, name: str) -> Path:
    """Valid for years, without production access: installable under any of the clocks used here."""
    now = datetime.now(UTC)
    path = tmp_path / f"{name}.license"
    path.write_bytes(license_bytes(VENDOR, license_id=f"LIC-{name}", production_access=False,
                                   valid_from=now - timedelta(days=1), expires_at=datetime(2032, 1, 1, tzinfo=UTC)))
    return path


def test_a_command_run_with_the_clock_years_ahead_does_not_expire_the_license(
    serve_appliance: Callable[..., Served], tmp_path: Path
) -> None:
    served, key = licensed(serve_appliance, tmp_path)
    assert live_status(served, key) == 200  # also sets the mark from the real clock
    future = datetime(2030, 1, 1, tzinfo=UTC)
    installed = cli_at(served, future, "license", "install", str(evaluation_license(tmp_path, "EVAL")))
    assert installed.returncode == 0, installed.stderr
    mark = mark_of(served)
    assert mark is not None and mark < datetime.now(UTC) + timedelta(minutes=5), f"mark raised to {mark}"
    assert live_status(served, key) == 200
    shown = served.cli("clock", "show").stdout
    assert "held        2030-01-01T00:00:00.000Z" in shown


def test_an_operator_lowers_a_mark_a_wrong_clock_set_and_confirms_a_real_jump(
    serve_appliance: Callable[..., Served], tmp_path: Path
) -> None:
    served, key = licensed(serve_appliance, tmp_path)
    assert live_status(served, key) == 200
    ahead = datetime.now(UTC) + timedelta(days=5)  # within the jump that is trusted without asking
    assert cli_at(served, ahead, "license", "install", str(evaluation_license(tmp_path, "EVAL"))).returncode == 0
    assert mark_of(served) == ahead.replace(microsecond=ahead.microsecond // 1000 * 1000)

    refused = served.cli("clock", "lower", "--reason", "", check=False)
    assert refused.returncode != 0 and "needs a reason" in refused.stderr
    served.cli("clock", "lower", "--reason", "the install ran with the clock 5 days ahead")
    mark = mark_of(served)
    assert mark is not None and mark < datetime.now(UTC) + timedelta(minutes=1)
    assert served.cli("clock", "lower", "--reason", "again", check=False).returncode != 0  # never below the clock
    events = served.cli("audit", "export").stdout
    assert '"action":"clock.lower"' in events.replace(" ", "")
    assert "the install ran with the clock 5 days ahead" in events

    weeks_later = datetime.now(UTC) + timedelta(days=40)
    assert cli_at(served, weeks_later, "license", "install", str(evaluation_license(tmp_path, "EVAL2"))).returncode == 0
    assert mark_of(served) == mark  # held, not trusted
    confirmed = cli_at(served, weeks_later, "clock", "confirm", "--reason", "switched off for 40 days")
    assert confirmed.returncode == 0, confirmed.stderr
    assert mark_of(served) == weeks_later.replace(microsecond=weeks_later.microsecond // 1000 * 1000)


def test_restore_keeps_the_later_of_the_restored_and_the_current_mark(
    serve_appliance: Callable[..., Served], tmp_path: Path
) -> None:
    served, key = licensed(serve_appliance, tmp_path)
    assert live_status(served, key) == 200
    backup = tmp_path / "before.attbak"
    served.cli("backup", "-o", str(backup))
    older = mark_of(served)
    ahead = datetime.now(UTC) + timedelta(days=3)
    assert cli_at(served, ahead, "license", "install", str(evaluation_license(tmp_path, "EVAL"))).returncode == 0
    current = mark_of(served)
    assert older is not None and current is not None and current > older
    served.stop()
    served.cli("restore", str(backup), "--reason", "test")
    assert mark_of(served) == current

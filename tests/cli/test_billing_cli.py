"""`attunio license`, `attunio usage` and `attunio instance`, and the vendor tool reading their output."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tests.billing_helpers import license_bytes, trust_env, write_public_key
from tests.conftest import settings_env

from attunio.cli.main import cli
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio_vendor.cli import main as vendor

VENDOR = Ed25519PrivateKey.generate()
NOW = datetime.now(UTC)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    for key, value in {**settings_env(tmp_path), **trust_env(pub)}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> click.testing.Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke("init")
    return invoke


def license_file(tmp_path: Path, name: str = "lic.txt", **claims: object) -> str:
    path = tmp_path / name
    fields: dict[str, object] = {"valid_from": NOW - timedelta(days=1), "expires_at": NOW + timedelta(days=30)}
    fields.update(claims)
    path.write_bytes(license_bytes(VENDOR, **fields))
    return str(path)


def test_init_makes_an_instance_signing_key_that_instance_show_prints(run) -> None:  # type: ignore[no-untyped-def]
    shown = run("instance", "show").output
    assert "instance id   inst_" in shown
    assert "-----BEGIN PUBLIC KEY-----" in shown
    assert "PRIVATE" not in shown


def test_install_and_show(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    none = run("license", "show", ok=False)
    assert "No license is installed" in none.output and none.exit_code == 5
    installed = run("license", "install", license_file(tmp_path)).output
    assert "installed   LIC-2026-0001" in installed and "state       valid" in installed
    shown = run("license", "show").output
    assert "monthly allowance 100000" in shown and "production access approved" in shown
    data = json.loads(run("license", "show", "--json").stdout)
    assert data["state"]["status"] == "valid"
    assert data["licenses"][0]["license_id"] == "LIC-2026-0001"
    assert "license.install" in run("audit", "export").output


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"instance_id": "inst_elsewhere"}, "another instance"),
        ({"expires_at": NOW - timedelta(days=20), "valid_from": NOW - timedelta(days=400)}, "grace period has ended"),
    ],
)
def test_install_refuses_with_a_clear_reason(run, tmp_path: Path, claims: dict[str, object], reason: str) -> None:  # type: ignore[no-untyped-def]
    refused = run("license", "install", license_file(tmp_path, **claims), ok=False)
    assert refused.exit_code == 1 and reason in refused.output
    assert "No license is installed" in run("license", "show", ok=False).output


def test_install_refuses_an_altered_file_and_an_unknown_signer(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = Path(license_file(tmp_path))
    data = bytearray(path.read_bytes())
    data[-60] ^= 0x01
    path.write_bytes(bytes(data))
    assert "license refused" in run("license", "install", str(path), ok=False).output
    other = tmp_path / "other.txt"
    other.write_bytes(license_bytes(Ed25519PrivateKey.generate()))
    assert "(unknown_key)" in run("license", "install", str(other), ok=False).output


def test_usage_show_and_a_signed_report_the_vendor_verifies(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("license", "install", license_file(tmp_path, monthly_allowance=0))
    month = NOW.strftime("%Y-%m")
    shown = run("usage", "show").output
    assert f"month       {month}" in shown and "used        0" in shown
    first, second = tmp_path / "r1.json", tmp_path / "r2.json"
    run("usage", "report", "--month", month, "-o", str(first))
    run("usage", "report", "--month", month, "-o", str(second))
    assert run("usage", "report", "--month", month, "-o", str(second), ok=False).exit_code == 1
    instance_pub = tmp_path / "instance.pub"
    shown = run("instance", "show").output
    instance_pub.write_text(shown[shown.index("-----BEGIN") :])
    vendor_cli = CliRunner()
    ok = vendor_cli.invoke(vendor, ["verify-usage-report", str(first), "--instance-key", str(instance_pub)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["license_id"] == "LIC-2026-0001"
    chained = vendor_cli.invoke(vendor, ["verify-usage-report", str(second), "--previous", str(first)])
    assert chained.exit_code == 0, chained.output
    edited = tmp_path / "edited.json"
    edited.write_bytes(first.read_bytes().replace(b'"keyid"', b'"keyid" '))
    assert vendor_cli.invoke(vendor, ["verify-usage-report", str(edited)]).exit_code == 1


def test_a_report_for_a_month_not_yet_begun_is_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    refused = run("usage", "report", "--month", "2999-01", "-o", str(tmp_path / "r.json"), ok=False)
    assert "has not started" in refused.output
    assert not (tmp_path / "r.json").exists()

"""What an operator scripting `attunio` relies on: settings found from anywhere, a typo that stops,
times that parse, JSON everywhere, exit codes that carry state, clean errors, progress, fast start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tests.billing_helpers import license_bytes, trust_env, write_public_key
from tests.cli.test_cli import all_commands
from tests.conftest import REPO, settings_env

from attunio.cli.main import cli
from attunio.cli.timeparse import parse_instant
from attunio.crypto.ed25519 import Ed25519PrivateKey

NOW = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key, value in settings_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> click.testing.Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("init")
    return invoke


def attunio(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNIO_")}
    return subprocess.run([sys.executable, "-m", "attunio", *args], cwd=cwd, capture_output=True, text=True,
                          env={**clean, **env, "PYTHONPATH": str(REPO / "src")}, timeout=60, check=False)


# --- settings: a typo stops, and any directory finds the same store ---------------------------------

def test_a_missing_config_file_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    result = attunio("--config", str(tmp_path / "attunio.tmol"), "init", cwd=tmp_path, env={})
    assert result.returncode == 3, result.stderr
    assert "attunio.tmol, which does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_named_by_the_variable_is_an_error(tmp_path: Path) -> None:
    result = attunio("keys", "list", cwd=tmp_path, env={"ATTUNIO_CONFIG": str(tmp_path / "nope.toml")})
    assert result.returncode == 3 and "ATTUNIO_CONFIG names" in result.stderr


def test_relative_paths_in_a_settings_file_are_relative_to_it_from_any_directory(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "config").mkdir(parents=True)
    (site / "config" / "attunio.toml").write_text('[paths]\ndata_dir = "data"\nkey_file = "secrets/store.key"\n'
                                                  "[tls]\nenabled = false\n")
    env = {"ATTUNIO_CONFIG": str(site / "config" / "attunio.toml")}
    assert attunio("init", cwd=site, env=env).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    made = attunio("apps", "create", "EHR", cwd=elsewhere, env=env)
    assert made.returncode == 0, made.stderr
    listed = attunio("apps", "list", "--json", cwd=site, env=env)
    assert [a["name"] for a in json.loads(listed.stdout)] == ["EHR"]
    assert (site / "data" / "attunio.db").is_file() and list(elsewhere.iterdir()) == []


def test_the_checkout_settings_are_found_from_another_directory(tmp_path: Path) -> None:
    from attunio.settings_file import CHECKOUT, find_settings_file

    os.chdir(tmp_path)
    try:
        source = find_settings_file(None, {})
    finally:
        os.chdir(REPO)
    assert source.path == CHECKOUT / "config" / "attunio.toml" and source.base == CHECKOUT


# --- time parsing ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-30T09:00:00+01:00", datetime(2026, 11, 30, 8, tzinfo=UTC)),
    ("2026-11-30T08:00:00Z", datetime(2026, 11, 30, 8, tzinfo=UTC)),
    ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
    ("24h", NOW - timedelta(hours=24)),
    ("7d", NOW - timedelta(days=7)),
    ("90m", NOW - timedelta(minutes=90)),
    ("yesterday", datetime(2026, 11, 30, tzinfo=UTC)),
])
def test_times_parse_to_utc_instants(text: str, expected: datetime) -> None:
    assert parse_instant(text, NOW) == expected


@pytest.mark.parametrize(("text", "says"), [("sometime", "is not a time"), ("2026-11-30T08:00:00", "no UTC offset"),
                                            ("2026-02-30", "not a real date")])
def test_times_that_do_not_parse_are_refused(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_instant(text, NOW)


def test_audit_export_filters_by_real_time_and_refuses_nonsense(run) -> None:  # type: ignore[no-untyped-def]
    run("apps", "create", "EHR")
    assert "app.create" in run("audit", "export", "--since", "24h").output
    assert run("audit", "export", "--since", "2999-01-01T00:00:00+14:00").output == ""
    assert run("audit", "export", "--until", "2000-01-01").output == ""
    # An offset is compared as a time, not as text: 01:00+01:00 is midnight UTC, before every event.
    assert "app.create" in run("audit", "export", "--since", "2026-01-01T01:00:00+01:00").output
    refused = run("audit", "export", "--since", "sometime", code=2)
    assert "'sometime' is not a time" in refused.output


# --- JSON and exit codes -------------------------------------------------------------------------

def test_json_on_every_command_that_prints_data(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    created = json.loads(run("keys", "create", "--app", "EHR", "--create-app", "--json").stdout)
    assert created["key"]["key"].startswith("att_sk_test_") and created["key"]["id"].startswith("key_")
    rotated = json.loads(run("keys", "rotate", created["key"]["id"], "--json").stdout)
    assert rotated["revoked"] == created["key"]["id"]
    assert json.loads(run("apps", "create", "Tele", "--json").stdout)["app"]["name"] == "Tele"
    assert json.loads(run("instance", "show", "--json").stdout)["instance_id"].startswith("inst_")
    assert json.loads(run("audit", "verify", "--json").stdout) == {"ok": True, "intact": True, "events": 5,
                                                                    "problem": None}
    backup = json.loads(run("backup", "-o", str(tmp_path / "b.attbak"), "--json").stdout)
    assert backup["manifest"]["backup_id"].startswith("bak_")
    checked = json.loads(run("restore", str(tmp_path / "b.attbak"), "--check", "--json").stdout)
    assert checked["verified"] and not checked["restored"]
    admin = json.loads(run("admins", "create", "--name", "Ops", "--role", "admin", "--json").stdout)
    assert admin["token"].startswith("att_admin_")


def test_tls_show_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in settings_env(tmp_path, ATTUNIO_TLS_ENABLED="true").items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    shown = json.loads(runner.invoke(cli, ["tls", "show", "--json"]).stdout)
    assert shown["self_signed"] and shown["days_left"] > 300 and "localhost" in shown["dns_names"]


def test_errors_under_json_have_one_shape(run) -> None:  # type: ignore[no-untyped-def]
    result = run("keys", "create", "--app", "nope", "--json", code=1)
    assert json.loads(result.stdout) == {"ok": False, "error": {
        "code": "refused", "message": "no app 'nope'; `attunio apps list` shows them", "exit": 1}}


def test_keys_list_names_apps_and_shows_last_use(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    created = json.loads(run("keys", "create", "--app", "EHR", "--create-app", "--label", "epic", "--json").stdout)
    app_id = created["key"]["app_id"]
    table = run("keys", "list").stdout
    header = table.splitlines()[0].split()
    assert header == ["ID", "LABEL", "APP", "KEY", "TYPE", "MODE", "CREATED_AT", "LAST_USED_AT", "STATUS"]
    assert "EHR" in table and "epic" in table and "never" in table and app_id not in table
    wide = run("keys", "list", "-o", "wide").stdout
    assert app_id in wide and "ALLOWED_ORIGINS" in wide


def test_license_show_exit_code_carries_the_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vendor = Ed25519PrivateKey.generate()
    pub = write_public_key(vendor, tmp_path / "vendor.pub")
    for key, value in {**settings_env(tmp_path), **trust_env(pub)}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["license", "show"]).exit_code == 5
    now = datetime.now(UTC)
    lic = tmp_path / "lic.txt"
    lic.write_bytes(license_bytes(vendor, valid_from=now - timedelta(days=400), expires_at=now - timedelta(days=2)))
    assert runner.invoke(cli, ["license", "install", str(lic)]).exit_code == 0
    grace = runner.invoke(cli, ["license", "show", "--json"])
    assert grace.exit_code == 4 and json.loads(grace.stdout)["state"]["status"] == "grace"
    # The vendor key is withdrawn from trust: the installed license is named, not "none installed".
    monkeypatch.delenv("ATTUNIO_TRUST_EXTRA_VENDOR_KEYS")
    untrusted = runner.invoke(cli, ["license", "show"])
    assert untrusted.exit_code == 5
    assert "A license is installed but not trusted: LIC-2026-0001" in untrusted.stdout
    assert "No license is installed" not in untrusted.stdout and "NOT TRUSTED" in untrusted.stdout


def test_audit_verify_exits_5_when_the_chain_is_broken(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    from attunio.store import Store

    run("apps", "create", "EHR")
    store = Store.open(make_settings(tmp_path))
    with store.write():
        store.conn.execute("UPDATE audit SET actor = 'os:mallory'")
    store.close()
    assert "audit trail broken" in run("audit", "verify", code=5).output


# --- damaged archives, progress -----------------------------------------------------------------

@pytest.mark.parametrize("damage", ["empty", "100", "1024", "5000", "half", "flip"])
def test_restore_check_of_a_damaged_backup_is_a_clean_refusal(run, tmp_path: Path, damage: str) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.attbak"
    run("backup", "-o", str(good))
    data = bytearray(good.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        del data[{"empty": 0, "half": len(data) // 2}.get(damage, int(damage) if damage.isdigit() else 0):]
    bad = tmp_path / "bad.attbak"
    bad.write_bytes(bytes(data))
    result = run("restore", str(bad), "--check", code=1)
    assert "Traceback" not in result.output and "error: " in result.output
    assert f"error: {bad}" in result.output  # the refusal names the file, whatever the damage
    assert [p.name for p in (tmp_path / "data").glob(".restore-*")] == []


def test_backup_and_restore_report_progress_on_stderr(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "b.attbak"
    made = run("backup", "-o", str(out))
    assert "snapshot:" in made.stderr and "archive: writing" in made.stderr and "sha256" in made.stdout
    checked = run("restore", str(out), "--check")
    for step in ("archive: reading", "manifest: checking", "database: integrity check"):
        assert step in checked.stderr
    assert "[" not in run("restore", str(out), "--check", "--quiet").stderr


# --- help, start-up, the vendor tool -------------------------------------------------------------

@pytest.mark.parametrize("command", [c for c in all_commands() if len(c) > 1 or c[0] in
                                     ("init", "serve", "doctor", "support-bundle", "backup", "restore")], ids=" ".join)
def test_every_command_help_has_examples(run, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert "Examples:" in run(*command, "--help").output


def test_version_and_help_load_no_heavy_module() -> None:
    probe = ("import sys\nfrom attunio.cli.main import cli\n"
             "try:\n    cli(['--version'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('sqlcipher3', 'numpy', 'litestar', 'uvicorn', 'cryptography') "
             "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout


def test_vendor_tool_has_short_help_and_version() -> None:
    from attunio_vendor.cli import main as vendor

    runner = CliRunner()
    assert "Usage:" in runner.invoke(vendor, ["-h"]).output
    assert "attunio-vendor, version" in runner.invoke(vendor, ["--version"]).output


# --- a bug is not a refusal (and tests/cli/test_refusals.py) ---------------------------------

def test_a_refusal_raised_by_a_service_is_still_a_clean_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("keys", "create", "--app", "Tele", "--create-app", "--type", "publishable", code=1)
    assert "allowed origin" in result.output and "Traceback" not in result.output

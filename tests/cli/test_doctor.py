"""`attunio doctor` against real stores and files, and `attunio support-bundle` proved to carry no
key, no token and no request body."""

from __future__ import annotations

import json
import os
import socket
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner
from tests.conftest import Served, make_settings, settings_env
from tests.logscan import ISSUED_SECRETS, SENTINEL

from attunio.cli.doctor_checks import check_port, redacted_settings
from attunio.cli.main import cli


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key, value in settings_env(tmp_path, ATTUNIO_TLS_ENABLED="true").items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, code: int | None = 0) -> click.testing.Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    return invoke


def checks(result: click.testing.Result) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_before_init_doctor_fails_and_names_the_fix(run) -> None:  # type: ignore[no-untyped-def]
    found = checks(run("doctor", "--json", code=5))
    assert found["store"]["status"] == "fail" and "attunio init" in found["store"]["fix"]
    assert found["store key file"]["status"] == "fail"


def test_a_fresh_install_warns_only_about_license_and_backup(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    found = checks(run("doctor", "--json", code=4))
    bad = {name: c["status"] for name, c in found.items() if c["status"] != "ok"}
    assert bad == {"license": "warn", "last backup": "warn"}, found
    assert "396 days left" in found["certificate"]["detail"] or "days left" in found["certificate"]["detail"]
    run("backup", "-o", str(tmp_path / "b.attbak"))
    assert checks(run("doctor", "--json", code=4))["last backup"]["status"] == "ok"
    text = run("doctor", code=4).stdout
    assert "[warn] license" in text and "fix: install a license" in text and "tls.profile = 'modern'" in text


def test_a_key_file_others_can_read_fails_with_the_chmod_that_fixes_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    key = tmp_path / "secrets" / "store.key"
    key.chmod(0o644)
    found = checks(run("doctor", "--json", code=5))
    assert found["store key file"]["status"] == "fail" and f"chmod 600 {key}" == found["store key file"]["fix"]


def test_a_store_opened_with_the_wrong_key_fails(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    (tmp_path / "secrets" / "store.key").write_text("ab" * 32)
    found = checks(run("doctor", "--json", code=5))
    assert found["store"]["status"] == "fail" and "key file" in found["store"]["fix"]


def test_an_expired_certificate_fails(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    run("init")
    from attunio.clock import SystemClock

    monkeypatch.setattr(SystemClock, "now", lambda self: datetime.now(UTC) + timedelta(days=400))
    found = checks(run("doctor", "--json", code=5))
    assert found["certificate"]["status"] == "fail" and "renew" in found["certificate"]["fix"]


def test_a_clock_behind_the_mark_fails(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    from attunio.services.licensing.clock_mark import advance_mark
    from attunio.store import Store

    store = Store.open(make_settings(tmp_path))
    with store.write():
        advance_mark(store, datetime.now(UTC) + timedelta(days=3))
    store.close()
    found = checks(run("doctor", "--json", code=5))
    assert found["clock"]["status"] == "fail" and "behind" in found["clock"]["detail"]


def test_a_port_held_by_another_program_fails(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = make_settings(tmp_path, ATTUNIO_SERVER_PORT=str(port))
        result = check_port(settings)
    assert result.status == "fail" and "in use by another program" in result.detail


def test_the_port_of_a_running_appliance_is_ok(served: Served) -> None:
    result = served.cli("doctor", "--json", check=False)
    assert result.returncode in (4, 5), result.stderr
    port = {c["name"]: c for c in json.loads(result.stdout)["checks"]}["port"]
    assert port["status"] == "ok" and "attunio serve is running" in port["detail"]


def test_settings_with_secret_names_are_redacted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    shown = redacted_settings(settings)
    assert shown["paths"]["key_file"] == str(tmp_path / "secrets" / "store.key")  # a path, not a secret
    assert "<redacted>" not in json.dumps(shown)


# --- support bundle ----------------------------------------------------------------------------

def bundle_text(archive: Path) -> str:
    with tarfile.open(archive, "r:gz") as tar:
        return "\n".join(tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]


def test_support_bundle_holds_no_key_no_token_no_body(served: Served, tmp_path: Path) -> None:
    key = served.new_key()
    token = served.cli("admins", "create", "--name", "Ops", "--role", "admin").stdout.strip().splitlines()[-1]
    ISSUED_SECRETS.add(token)
    store_key = (served.root / "secrets" / "store.key").read_text().strip()
    body = {"responseLatencySeconds": 2.6, "speechRateWpm": 98, "psychomotorFidgetEpisodes": 4,
            "sustainedAttentionPct": 66, "sessionRef": SENTINEL}
    answer = httpx.post(served.base_url + "/v1/dmse/analyze", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code in (200, 400)
    httpx.get(served.base_url + f"/v1/{SENTINEL}", headers={"Authorization": f"Bearer {key}"})
    # A hostile log file as well: a line that quotes a key, a token and a body, a traceback, a query.
    forged = tmp_path / "forged.log"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    forged.write_text("\n".join([
        json.dumps({"time": now, "level": "error", "logger": "attunio", "message": f"saw {key} and {token}",
                    "body": json.dumps(body), "sessionRef": SENTINEL}),
        json.dumps({"time": now, "level": "info", "logger": "attunio.access", "path": f"/v1/ping?q={SENTINEL}",
                    "key_prefix": key, "status": 200}),
        f'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: {SENTINEL} {store_key}',
    ]) + "\n")
    archive = tmp_path / "bundle.tar.gz"
    made = served.cli("support-bundle", "--log", str(served.log_path), "--log", str(forged), "-o", str(archive),
                      "--json", check=False)
    assert made.returncode == 0, made.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    text = bundle_text(archive)
    for secret in (key, key[12:], token, token[10:], store_key, SENTINEL, "speechRateWpm", "sessionRef"):
        assert secret not in text, secret
    assert '"request_id":"req_' in text and '"path":"/v1/dmse/analyze"' in text  # the log is still useful
    assert '"name": "store"' in text and served.cli("--version").stdout.split()[-1] in text
    summary = json.loads(made.stdout)["summary"]["logs"]
    assert summary["logs/2-forged.log"] == {"read": 5, "kept": 2, "dropped": 3}


def test_support_bundle_never_overwrites(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    out = tmp_path / "b.tar.gz"
    out.write_bytes(b"keep")
    assert "never overwritten" in run("support-bundle", "-o", str(out), code=1).output
    assert out.read_bytes() == b"keep"
    os.chdir(tmp_path)
    try:
        made = run("support-bundle", "--json")
    finally:
        os.chdir(Path(__file__).resolve().parents[2])
    assert Path(json.loads(made.stdout)["file"]).is_file()

"""`attunio models …` as an admin and a reviewer use it (in-process, over a real store)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner
from tests.calibration.helpers import RELAPSE_V1, Vendor, evaluation_lines, make_vendor, payload, sign
from tests.conftest import settings_env

from attunio.cli.main import cli

Run = Callable[..., click.testing.Result]


@pytest.fixture
def vendor(tmp_path: Path) -> Vendor:
    return make_vendor(tmp_path / "vendor")


@pytest.fixture
def run(tmp_path: Path, vendor: Vendor, monkeypatch: pytest.MonkeyPatch) -> Run:
    env = settings_env(tmp_path, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=f'["{vendor.pub_path}"]',
                       ATTUNIO_CALIBRATION_MAX_BUNDLE_BYTES="4096")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True, stdin: str | None = None) -> click.testing.Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False, input=stdin)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke("init")
    return invoke


@pytest.fixture
def reviewer_file(run: Run, tmp_path: Path) -> Path:
    out = run("admins", "create", "--name", "Dr Ada Okafor", "--role", "reviewer", "--licence-number", "GMC-7654321")
    path = tmp_path / "reviewer.token"
    path.write_text(out.output.strip().splitlines()[-1])
    return path


def bundle_file(tmp_path: Path, vendor: Vendor, name: str = "b.json", **kwargs: object) -> str:
    path = tmp_path / name
    path.write_bytes(sign(vendor, payload(**kwargs)))  # type: ignore[arg-type]
    return str(path)


def test_import_then_list_and_show(run: Run, vendor: Vendor, tmp_path: Path) -> None:
    out = run("models", "import", bundle_file(tmp_path, vendor, params=RELAPSE_V1)).output
    assert "imported relapse_risk version 1 as a candidate" in out
    listed = json.loads(run("models", "list", "--json").stdout)
    assert {"engine": "relapse_risk", "version": 1, "state": "candidate"}.items() <= listed[0].items()
    assert any(row["engine"] == "outcome_score" and row["state"] == "active (shipped defaults)" for row in listed)
    shown = run("models", "show", "relapse_risk", "1").output
    assert "moderate_from" in shown and "(default 25)" in shown and "datasetSize" in shown


def test_a_refused_import_names_its_reason_and_exits_non_zero(run: Run, vendor: Vendor, tmp_path: Path) -> None:
    params = {**RELAPSE_V1, "sleep_points": 26}
    result = run("models", "import", bundle_file(tmp_path, vendor, params=params), ok=False)
    assert result.exit_code == 1
    assert "bundle refused (param_out_of_cap)" in result.output
    assert "sleep_points=26 is outside its safety cap [10, 25]" in result.output
    assert "candidate" not in run("models", "list").output


def test_an_oversized_file_is_refused_before_it_is_read(run: Run, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 5000)
    result = run("models", "import", str(big), ok=False)
    assert "bundle refused (too_large)" in result.output and "4096" in result.output


def test_dry_run_checks_and_stores_nothing(run: Run, vendor: Vendor, tmp_path: Path) -> None:
    out = run("models", "import", "--dry-run", bundle_file(tmp_path, vendor)).output
    assert "bundle ok" in out and "nothing stored" in out
    assert "candidate" not in run("models", "list").output


def test_promote_needs_a_reviewer_token_and_a_reason(run: Run, vendor: Vendor, tmp_path: Path,
                                                     reviewer_file: Path) -> None:
    run("models", "import", bundle_file(tmp_path, vendor, params=RELAPSE_V1))
    assert run("models", "promote", "relapse_risk", "1", ok=False).exit_code == 2  # --reason is required
    admin = run("admins", "create", "--name", "Sam Ortiz", "--role", "admin").output.strip().splitlines()[-1]
    refused = run("models", "promote", "relapse_risk", "1", "--reason", "r", ok=False, stdin=admin + "\n")
    assert "needs a reviewer identity" in refused.output
    out = run("models", "promote", "relapse_risk", "1", "--reason", "Q2 review",
              "--token-file", str(reviewer_file)).output
    assert "promoted relapse_risk version 1 by reviewer:" in out and "GMC-7654321" in out
    shown = run("models", "show", "relapse_risk").output
    assert "version 1 (calibrated)" in shown and "promote" in shown and "Q2 review" in shown


def test_rollback_and_reset(run: Run, vendor: Vendor, tmp_path: Path, reviewer_file: Path) -> None:
    for version in (1, 2):
        run("models", "import", bundle_file(tmp_path, vendor, f"v{version}.json", version=version, params=RELAPSE_V1))
        run("models", "promote", "relapse_risk", str(version), "--reason", "ok", "--token-file", str(reviewer_file))
    assert "back to version 1" in run("models", "rollback", "relapse_risk", "--reason", "misfires",
                                      "--token-file", str(reviewer_file)).output
    run("models", "reset", "relapse_risk", "--reason", "pause", "--token-file", str(reviewer_file))
    assert "relapse_risk: shipped defaults" in run("models", "show", "relapse_risk").output


def test_compare_prints_agreement_matrix_and_concordance(run: Run, vendor: Vendor, tmp_path: Path) -> None:
    run("models", "import", bundle_file(tmp_path, vendor, params=RELAPSE_V1))
    dataset = tmp_path / "eval.jsonl"
    dataset.write_bytes(b"".join(evaluation_lines("relapse_risk", 2000)) + b"not json\n")
    out = run("models", "compare", "relapse_risk", "--candidate", "1", "--dataset", str(dataset)).output
    assert "active shipped defaults vs candidate version 1 (calibrated)" in out
    assert "invalid lines skipped; scored vectorised" in out
    assert "level change (rows: active, columns: candidate)" in out and "AUC" in out and "Brier" in out
    report = json.loads(run("models", "compare", "relapse_risk", "--candidate", "1", "--dataset", str(dataset),
                            "--json").stdout)
    slow = json.loads(run("models", "compare", "relapse_risk", "--candidate", "1", "--dataset", str(dataset),
                          "--json", "--per-request").stdout)
    assert {**report, "vectorised": False} == slow


def test_a_bundle_made_by_the_vendor_tool_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from attunio_vendor.cli import main as vendor_cli

    runner = CliRunner()
    assert runner.invoke(vendor_cli, ["keygen", "--out", str(tmp_path / "acme")]).exit_code == 0
    body = tmp_path / "payload.json"
    body.write_text(json.dumps(payload(version=3, params=RELAPSE_V1)))
    signed = runner.invoke(vendor_cli, ["sign-bundle", "--key", str(tmp_path / "acme.key"), "-o",
                                        str(tmp_path / "bundle.json"), str(body)])
    assert signed.exit_code == 0, signed.output
    for key, value in settings_env(tmp_path, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=f'["{tmp_path / "acme.pub"}"]').items():
        monkeypatch.setenv(key, value)
    assert runner.invoke(cli, ["init"]).exit_code == 0
    result = runner.invoke(cli, ["models", "import", str(tmp_path / "bundle.json")])
    assert result.exit_code == 0, result.output
    assert "imported relapse_risk version 3 as a candidate" in result.stdout


def test_list_flags_a_version_past_its_expiry(run: Run, vendor: Vendor, tmp_path: Path) -> None:

    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    run("models", "import", bundle_file(tmp_path, vendor, expires=expires))
    assert "(expired)" not in run("models", "list").output
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.1)
    assert "candidate (expired)" in run("models", "list").output

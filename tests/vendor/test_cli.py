from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from attunio.crypto.ed25519 import Ed25519PrivateKey, key_id, load_public_key, public_pem
from attunio.crypto.envelope import CALIBRATION_PAYLOAD_TYPE, EnvelopeError, verify_envelope
from attunio.crypto.license_file import LicenseFileError, read_license
from attunio.crypto.usage_report import (
    GENESIS_HASH,
    DayCount,
    EndpointCount,
    ReportError,
    UsageReport,
    instance_key_text,
    read_report,
    report_hash,
    sign_report,
)
from attunio_vendor.cli import main


@pytest.fixture
def vendor_key(tmp_path: Path) -> Path:
    result = CliRunner().invoke(main, ["keygen", "--out", str(tmp_path / "vendor")])
    assert result.exit_code == 0, result.output
    return tmp_path / "vendor"


def trust_of(prefix: Path) -> dict[str, object]:
    key = load_public_key(Path(f"{prefix}.pub").read_bytes())
    return {key_id(key): key}


def test_keygen_writes_an_owner_only_private_key_and_never_overwrites(vendor_key: Path) -> None:
    mode = stat.S_IMODE(os.stat(f"{vendor_key}.key").st_mode)
    assert mode == 0o600
    again = CliRunner().invoke(main, ["keygen", "--out", str(vendor_key)])
    assert again.exit_code != 0
    assert "refusing to overwrite" in again.output


def test_keygen_can_encrypt_the_private_key(tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_text("a long passphrase\n")
    result = CliRunner().invoke(
        main, ["keygen", "--out", str(tmp_path / "k"), "--passphrase-file", str(secret)]
    )
    assert result.exit_code == 0
    assert b"ENCRYPTED" in (tmp_path / "k.key").read_bytes()


def issue(vendor_key: Path, out: Path, *extra: str) -> object:
    return CliRunner().invoke(
        main,
        [
            "issue-license",
            "--key",
            f"{vendor_key}.key",
            "--license-id",
            "LIC-7",
            "--licensee",
            "General",
            "--plan",
            "growth",
            "--allowance",
            "5000",
            "--production-access",
            "--valid-from",
            "2026-01-01",
            "--expires",
            "2027-01-01T00:00:00+00:00",
            "--grace-days",
            "10",
            "-o",
            str(out),
            *extra,
        ],
    )


def test_issue_license_makes_a_file_the_appliance_verifies(vendor_key: Path, tmp_path: Path) -> None:
    result = issue(vendor_key, tmp_path / "lic.txt", "--instance-id", "inst_42")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    claims = read_license((tmp_path / "lic.txt").read_bytes(), trust_of(vendor_key)).claims  # type: ignore[arg-type]
    assert (claims.license_id, claims.monthly_allowance, claims.grace_days) == ("LIC-7", 5000, 10)
    assert claims.production_access and claims.instance_id == "inst_42"
    assert claims.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(LicenseFileError):
        read_license((tmp_path / "lic.txt").read_bytes(), {})


@pytest.mark.parametrize("extra", [["--expires", "2025-01-01"], ["--valid-from", "2026-01-01T00:00:00"]])
def test_issue_license_refuses_bad_windows(vendor_key: Path, tmp_path: Path, extra: list[str]) -> None:
    result = issue(vendor_key, tmp_path / "lic.txt", *extra)
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert not (tmp_path / "lic.txt").exists()


def calibration_payload(**param_changes: float) -> bytes:
    from attunio.engines import ENGINES

    params = {**msgspec.structs.asdict(ENGINES["relapse_risk"].default_params), **param_changes}
    return msgspec.json.encode({
        "engine": "relapse_risk", "version": 2, "params": params,
        "metrics": {"datasetSize": 1200, "concordance": {"auc": 0.74}},
        "created": "2026-11-01T00:00:00Z", "expires": "2027-11-01T00:00:00Z",
    })


def test_sign_bundle_refuses_what_appliances_would_refuse(vendor_key: Path, tmp_path: Path) -> None:
    from attunio.engines import ENGINES

    name = next(iter(msgspec.structs.asdict(ENGINES["relapse_risk"].default_params)))
    payload = tmp_path / "bundle.json"
    payload.write_bytes(calibration_payload(**{name: 1e9}))
    out = tmp_path / "bundle.dsse.json"
    result = CliRunner().invoke(main, ["sign-bundle", "--key", f"{vendor_key}.key", "-o", str(out), str(payload)])
    assert result.exit_code != 0 and "appliances would refuse this bundle" in result.output
    assert name in result.output and not out.exists()


def test_sign_bundle_makes_an_envelope_verify_envelope_accepts(vendor_key: Path, tmp_path: Path) -> None:
    payload = tmp_path / "bundle.json"
    payload.write_bytes(calibration_payload())
    out = tmp_path / "bundle.dsse.json"
    result = CliRunner().invoke(
        main, ["sign-bundle", "--key", f"{vendor_key}.key", "-o", str(out), str(payload)]
    )
    assert result.exit_code == 0, result.output
    assert (
        verify_envelope(out.read_bytes(), CALIBRATION_PAYLOAD_TYPE, trust_of(vendor_key))
        == payload.read_bytes()
    )  # type: ignore[arg-type]
    with pytest.raises(EnvelopeError):
        verify_envelope(out.read_bytes(), CALIBRATION_PAYLOAD_TYPE, {})


def test_sign_bundle_refuses_a_non_json_payload(vendor_key: Path, tmp_path: Path) -> None:
    payload = tmp_path / "bundle.json"
    payload.write_bytes(b"not json")
    result = CliRunner().invoke(
        main, ["sign-bundle", "--key", f"{vendor_key}.key", "-o", str(tmp_path / "o"), str(payload)]
    )
    assert result.exit_code != 0


INSTANCE = Ed25519PrivateKey.generate()


def make_report(sequence: int, previous_hash: str, total: int = 12) -> bytes:
    report = UsageReport(
        instance_id="inst_1",
        instance_key=instance_key_text(INSTANCE.public_key()),
        license_id="LIC-7",
        month=f"2026-0{sequence}",
        sequence=sequence,
        previous_hash=previous_hash,
        generated_at=datetime(2026, 9, 1, tzinfo=UTC),
        allowance=10,
        days=[DayCount(day=f"2026-0{sequence}-01", calls=total)],
        endpoints=[EndpointCount(endpoint="dmse.analyze", calls=total)],
        total=total,
        overage=max(0, total - 10),
    )
    return sign_report(report, INSTANCE)


def test_verify_usage_report_accepts_a_chain_and_rejects_edits(tmp_path: Path) -> None:
    first, pub = tmp_path / "r1.json", tmp_path / "instance.pub"
    first.write_bytes(make_report(1, GENESIS_HASH))
    second = tmp_path / "r2.json"
    second.write_bytes(make_report(2, report_hash(first.read_bytes())))
    pub.write_bytes(public_pem(INSTANCE.public_key()))
    runner = CliRunner()
    ok = runner.invoke(main, ["verify-usage-report", str(first), "--instance-key", str(pub)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["overage"] == 2
    chained = runner.invoke(main, ["verify-usage-report", str(second), "--previous", str(first)])
    assert chained.exit_code == 0, chained.output
    unchained = runner.invoke(main, ["verify-usage-report", str(second)])
    assert unchained.exit_code == 1

    doc = json.loads(first.read_bytes())
    payload = json.loads(base64.b64decode(doc["payload"]))
    payload["total"] = 11
    doc["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    refused = runner.invoke(main, ["verify-usage-report", str(edited)])
    assert refused.exit_code == 1
    assert "REJECTED" in refused.output


def test_every_byte_change_of_a_usage_report_fails_verification() -> None:
    data = make_report(1, GENESIS_HASH)
    for position in range(len(data)):
        for flip in (0x01, 0x20):
            altered = data[:position] + bytes([data[position] ^ flip]) + data[position + 1 :]
            with pytest.raises(ReportError):
                read_report(altered)
    with pytest.raises(ReportError):
        read_report(data.replace(b"\n", b"\n "))

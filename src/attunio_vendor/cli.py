"""attunio-vendor: the vendor's side of offline billing. Runs on the vendor's signing machine;
the appliance never imports this package."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import msgspec

from attunio import __version__
from attunio.crypto.ed25519 import key_id
from attunio.crypto.envelope import CALIBRATION_PAYLOAD_TYPE, sign_envelope
from attunio.crypto.license_file import LicenseClaims, sign_license
from attunio.crypto.usage_report import ReportError, check_chain, check_sums, read_report
from attunio_vendor.keyfiles import (
    open_private_key,
    open_public_key,
    read_passphrase,
    write_key_pair,
    write_new,
)
from attunio_vendor.release import sign_release

ExistingFile = click.Path(exists=True, dir_okay=False, path_type=Path)
NewFile = click.Path(dir_okay=False, path_type=Path)


def parse_time(value: str) -> datetime:
    """`YYYY-MM-DD` means 00:00 UTC that day; full timestamps must carry their offset."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not YYYY-MM-DD or an ISO timestamp") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset")
    return moment.astimezone(UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Examples:\n\n\b\n  attunio-vendor keygen --out vendor-2027\n"
                    "  attunio-vendor issue-license --help\n  attunio-vendor verify-usage-report --help\n")
@click.version_option(__version__, "-V", "--version", prog_name="attunio-vendor")
def main() -> None:
    """Vendor tool for Attunio licenses, usage reports and calibration bundles."""


@main.command()
@click.option(
    "--out",
    "prefix",
    required=True,
    type=click.Path(path_type=Path),
    help="Writes PREFIX.key and PREFIX.pub.",
)
@click.option("--passphrase-file", type=ExistingFile, help="Encrypt the private key with this passphrase.")
def keygen(prefix: Path, passphrase_file: Path | None) -> None:
    """Make an Ed25519 signing key pair (private key owner-only, never overwritten)."""
    public = write_key_pair(prefix, read_passphrase(passphrase_file))
    click.echo(f"key id {key_id(public)}: wrote {prefix}.key (keep offline) and {prefix}.pub")


@main.command("issue-license")
@click.option("--key", "key_path", required=True, type=ExistingFile, help="Vendor private key (PEM).")
@click.option("--passphrase-file", type=ExistingFile)
@click.option("--license-id", required=True)
@click.option("--licensee", required=True)
@click.option("--plan", required=True)
@click.option("--allowance", required=True, type=click.IntRange(min=0), help="Monthly call allowance.")
@click.option("--production-access/--no-production-access", default=False, show_default=True)
@click.option("--valid-from", required=True, help="YYYY-MM-DD (00:00 UTC) or ISO timestamp.")
@click.option("--expires", required=True, help="YYYY-MM-DD (00:00 UTC) or ISO timestamp.")
@click.option("--grace-days", default=14, show_default=True, type=click.IntRange(0, 365))
@click.option("--instance-id", default=None, help="Bind to one appliance (`attunio instance show`).")
@click.option("-o", "--output", required=True, type=NewFile)
def issue_license(key_path: Path, passphrase_file: Path | None, output: Path, **options: Any) -> None:
    """Sign a license file for a hospital."""
    key = open_private_key(key_path, passphrase_file)
    try:
        claims = msgspec.convert(
            {
                "license_id": options["license_id"],
                "licensee": options["licensee"],
                "plan": options["plan"],
                "monthly_allowance": options["allowance"],
                "production_access": options["production_access"],
                "issued_at": datetime.now(UTC).replace(microsecond=0),
                "valid_from": parse_time(options["valid_from"]),
                "expires_at": parse_time(options["expires"]),
                "grace_days": options["grace_days"],
                "instance_id": options["instance_id"],
            },
            LicenseClaims,
        )
        data = sign_license(claims, key)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.ClickException(f"cannot issue: {exc}") from None
    write_new(output, data, 0o644)
    click.echo(
        f"issued {claims.license_id} for {claims.licensee!r}, signed by {key_id(key.public_key())}: {output}"
    )


@main.command("verify-usage-report")
@click.argument("report_path", type=ExistingFile)
@click.option("--previous", type=ExistingFile, help="The instance's previous report, to check the chain.")
@click.option("--instance-key", type=ExistingFile, help="The registered instance public key.")
def verify_usage_report(report_path: Path, previous: Path | None, instance_key: Path | None) -> None:
    """Check a usage report's signature, chain and sums; exit 1 when anything fails."""
    pinned = open_public_key(instance_key) if instance_key else None
    data = report_path.read_bytes()
    try:
        report = read_report(data, pinned)
        prev_data = previous.read_bytes() if previous else None
        prev = read_report(prev_data, pinned) if prev_data is not None else None
    except ReportError as exc:
        click.echo(f"REJECTED: {exc.message}", err=True)
        sys.exit(1)
    problems = check_sums(report) + check_chain(report, prev, prev_data)
    if problems:
        for problem in problems:
            click.echo(f"REJECTED: {problem}", err=True)
        sys.exit(1)
    if pinned is None:
        click.echo("note: the signer was not checked against a registered key (--instance-key)", err=True)
    click.echo(
        json.dumps(
            {
                "verified": True,
                "instance_id": report.instance_id,
                "license_id": report.license_id,
                "month": report.month,
                "sequence": report.sequence,
                "allowance": report.allowance,
                "total": report.total,
                "overage": report.overage,
            },
            indent=2,
        )
    )


def _check_calibration(payload: bytes) -> None:
    """Run the appliance's own payload checks before signing, so the vendor never ships a bundle
    every appliance would refuse (unknown engine or parameter, a value outside its cap, a lowered
    safety floor). Version order and expiry depend on each appliance and are checked there."""
    from attunio.engines import ENGINES
    from attunio.services.calibration.bundles import BundleRefused, CalibrationPayload, check_params

    try:
        decoded = msgspec.json.decode(payload, type=CalibrationPayload, strict=True)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"not a calibration payload: {exc}") from None
    spec = ENGINES.get(decoded.engine)
    if spec is None:
        raise click.ClickException(f"no engine {decoded.engine!r}; known: {', '.join(ENGINES)}")
    try:
        check_params(spec, decoded.params)
    except BundleRefused as exc:
        raise click.ClickException(f"appliances would refuse this bundle ({exc.reason}): {exc.message}") from None


@main.command("sign-bundle")
@click.option("--key", "key_path", required=True, type=ExistingFile)
@click.option("--passphrase-file", type=ExistingFile)
@click.option("--payload-type", default=CALIBRATION_PAYLOAD_TYPE, show_default=True)
@click.option("-o", "--output", required=True, type=NewFile)
@click.argument("payload_path", type=ExistingFile)
def sign_bundle(
    key_path: Path, passphrase_file: Path | None, payload_type: str, output: Path, payload_path: Path
) -> None:
    """Wrap a calibration payload (JSON) in a signed envelope."""
    payload = payload_path.read_bytes()
    try:
        if not isinstance(msgspec.json.decode(payload), dict):
            raise click.ClickException("the payload must be a JSON object")
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise click.ClickException("the payload is not valid JSON") from None
    if payload_type == CALIBRATION_PAYLOAD_TYPE:
        _check_calibration(payload)
    key = open_private_key(key_path, passphrase_file)
    write_new(output, sign_envelope(payload, payload_type, key), 0o644)
    click.echo(f"signed {payload_path} as {payload_type} with {key_id(key.public_key())}: {output}")


# Offline release bundles (attunio_vendor/release.py).
main.add_command(sign_release)

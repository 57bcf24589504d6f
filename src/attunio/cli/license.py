"""`attunio license`: install a vendor license file and show the license state."""

from __future__ import annotations

import json
from pathlib import Path

import click
import msgspec

from attunio.cli.billing_common import registry
from attunio.cli.common import Context, actor, fail, pass_ctx
from attunio.clock import iso_ms
from attunio.crypto.license_file import MAX_FILE_BYTES
from attunio.services.license_registry import LicenseRefused
from attunio.services.licensing import LicenseState


def _state_lines(state: LicenseState) -> list[str]:
    lines = [f"state       {state.status}" + (f" ({state.reason})" if state.reason else ""), state.message]
    if state.clock_behind:
        lines.append(f"warning: the system clock is more than an hour behind {iso_ms(state.effective_now)}")
    return lines


@click.group("license")
def license_group() -> None:
    """Install and inspect the license that enables live keys."""


@license_group.command("install")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def install(ctx: Context, file: Path) -> None:
    """Verify a license file and install it. Every check runs before anything is stored."""
    if file.stat().st_size > MAX_FILE_BYTES:
        fail(f"license refused: {file} is too large to be a license file")
    data = file.read_bytes()
    with registry(ctx) as licenses:
        try:
            verified, state = licenses.install(data, actor=actor())
        except LicenseRefused as exc:
            fail(f"license refused ({exc.reason}): {exc}")
    claims = verified.claims
    click.echo(f"installed   {claims.license_id} for {claims.licensee} (plan {claims.plan})")
    for line in _state_lines(state):
        click.echo(line)


@license_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def show(ctx: Context, as_json: bool) -> None:
    """Show the license state and every installed license's claims."""
    with registry(ctx) as licenses:
        state = licenses.state(ctx.clock.now())
        installed = licenses.installed()
        instance = licenses.instance_id
    if as_json:
        data = {
            "instance_id": instance,
            "state": msgspec.to_builtins(state),
            "licenses": [{"kid": v.kid, **msgspec.to_builtins(v.claims)} for v in installed],
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"instance    {instance}")
    for line in _state_lines(state):
        click.echo(line)
    for verified in installed:
        c = verified.claims
        click.echo("")
        click.echo(f"license     {c.license_id} (signed by vendor key {verified.kid})")
        click.echo(f"  licensee          {c.licensee}")
        click.echo(f"  plan              {c.plan}")
        click.echo(f"  monthly allowance {c.monthly_allowance}")
        click.echo(f"  production access {'approved' if c.production_access else 'not approved'}")
        click.echo(f"  valid             {iso_ms(c.valid_from)} to {iso_ms(c.expires_at)}")
        click.echo(f"  grace             {c.grace_days} days")
        click.echo(f"  bound to          {c.instance_id or 'any instance'}")

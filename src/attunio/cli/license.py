"""`attunio license`: install a vendor license file and show the license state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import msgspec

from attunio.cli.billing_common import registry, state_exit, state_message, untrusted_licenses
from attunio.cli.common import Context, actor, echo_json, fail, json_option, pass_ctx
from attunio.clock import iso_ms
from attunio.crypto.license_file import MAX_FILE_BYTES
from attunio.services.licensing.evaluate import LicenseState
from attunio.services.licensing.registry import LicenseRefused

EXAMPLES = """Examples:

\b
  attunio license install /media/usb/st-marys-2027.attlic
  attunio license show
  attunio license show --json
  attunio license show >/dev/null; echo $?   # 0 valid, 4 in grace, 5 no usable license
"""


def _state_lines(state: LicenseState, message: str) -> list[str]:
    lines = [f"state       {state.status}" + (f" ({state.reason})" if state.reason else ""), message]
    if state.clock_behind:
        lines.append(f"warning: the system clock is more than an hour behind {iso_ms(state.effective_now)}")
    return lines


def _state_json(state: LicenseState, message: str) -> dict[str, Any]:
    return {**msgspec.to_builtins(state), "message": message}


@click.group("license")
def license_group() -> None:
    """Install and inspect the license that enables live keys."""


@license_group.command("install", epilog=EXAMPLES)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def install(ctx: Context, file: Path, as_json: bool) -> None:
    """Verify a license file and install it. Every check runs before anything is stored."""
    if file.stat().st_size > MAX_FILE_BYTES:
        fail(f"license refused: {file} is too large to be a license file", kind="license_refused")
    data = file.read_bytes()
    with registry(ctx) as licenses:
        try:
            verified, state = licenses.install(data, actor=actor())
        except LicenseRefused as exc:
            fail(f"license refused ({exc.reason}): {exc}", kind="license_refused")
    claims = verified.claims
    if as_json:
        echo_json({"ok": True, "installed": {"kid": verified.kid, **msgspec.to_builtins(claims)},
                   "state": _state_json(state, state.message)})
        return
    click.echo(f"installed   {claims.license_id} for {claims.licensee} (plan {claims.plan})")
    for line in _state_lines(state, state.message):
        click.echo(line)


@license_group.command("show", epilog=EXAMPLES)
@json_option
@pass_ctx
def show(ctx: Context, as_json: bool) -> None:
    """Show the license state and every installed license's claims, including installed licenses
    that are not trusted. Exit 0 when valid, 4 in grace, 5 when live keys are refused."""
    with registry(ctx) as licenses:
        state = licenses.state(ctx.clock.now())
        installed = licenses.installed()
        untrusted = untrusted_licenses(licenses)
        instance = licenses.instance_id
    message = state_message(state, untrusted)
    if as_json:
        echo_json({
            "ok": state.status != "refused",
            "instance_id": instance,
            "state": _state_json(state, message),
            "licenses": [{"kid": v.kid, **msgspec.to_builtins(v.claims)} for v in installed],
            "untrusted": msgspec.to_builtins(untrusted),
        })
        raise SystemExit(state_exit(state))
    click.echo(f"instance    {instance}")
    for line in _state_lines(state, message):
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
    for u in untrusted:
        click.echo("")
        click.echo(f"license     {u.license_id} (installed {u.installed_at}): NOT TRUSTED, not used")
        click.echo(f"  signed by         vendor key {u.kid}")
        click.echo(f"  problem           {u.problem}")
    raise SystemExit(state_exit(state))

"""`attunio doctor`: the preflight a hospital runs before go-live and whenever something is wrong."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from attunio import __version__
from attunio.cli.common import Context, echo_json, json_option, pass_ctx
from attunio.cli.doctor_checks import (
    Check,
    check_backup,
    check_certificate,
    check_clock,
    check_disk,
    check_key_file,
    check_license,
    check_port,
    check_store,
    redacted_settings,
    worst,
)
from attunio.cli.exits import BAD_STATE, OK, WARN

EXIT = {"ok": OK, "warn": WARN, "fail": BAD_STATE}
EXAMPLES = """Examples:

\b
  attunio doctor
  attunio doctor --json | jq '.checks[] | select(.status != "ok")'
  attunio doctor >/dev/null || echo "needs attention (exit 4 warn, 5 fail)"
"""
MARK = {"ok": click.style(" ok ", fg="green"), "warn": click.style("warn", fg="yellow"),
        "fail": click.style("FAIL", fg="red", bold=True)}


def run_checks(ctx: Context) -> dict[str, Any]:
    """Every check, in the order an operator reads them; the report `doctor` and `support-bundle` share."""
    from attunio.settings_file import CONFIG_ENV

    settings, source, now = ctx.settings, ctx.source, ctx.clock.now()
    checks = [Check("settings", "ok", f"{source.path or '(no file)'} ({source.found_by})",
                    "" if source.path else f"write one and name it with --config or {CONFIG_ENV}")]
    if source.path is None:
        checks[0] = Check("settings", "warn", checks[0].detail, checks[0].fix)
    checks += check_disk(settings)
    checks += check_key_file(settings)
    store_checks, store = check_store(settings, lambda: _open(ctx))
    checks += store_checks
    checks += check_certificate(settings, now)
    if store is not None:
        try:
            checks.append(check_clock(store, now))
            checks.append(check_license(store, settings, ctx.clock))
            checks.append(check_backup(store, now))
        finally:
            store.close()
    checks.append(check_port(settings))
    return {"ok": worst(checks) != "fail", "worst": worst(checks), "version": __version__,
            "checks": [asdict(c) for c in checks], "settings": redacted_settings(settings)}


def _open(ctx: Context) -> Any:
    from attunio.store import Store

    return Store.open(ctx.settings)


@click.command(epilog=EXAMPLES)
@click.option("--settings/--no-settings", "show_settings", default=True, show_default=True,
              help="Also print the settings in force (secrets redacted).")
@json_option
@pass_ctx
def doctor(ctx: Context, show_settings: bool, as_json: bool) -> None:
    """Check disk space and inodes, the store key file, the store (opens, integrity, size), the
    certificate and client CRL, the clock, the license, the last backup and the port; each ok, warn or
    fail with its fix. Reads only. Exit 0 all ok, 4 some warning, 5 some failure."""
    report = run_checks(ctx)
    if as_json:
        echo_json(report)
        raise SystemExit(EXIT[report["worst"]])
    width = max(len(c["name"]) for c in report["checks"])
    for check in report["checks"]:
        click.echo(f"[{MARK[check['status']]}] {check['name']:<{width}}  {check['detail']}")
        if check["fix"] and check["status"] != "ok":
            click.echo(f"       {'':<{width}}  fix: {check['fix']}")
    if show_settings:
        click.echo("\nsettings in force (secrets redacted):")
        for section, values in report["settings"].items():
            for name, value in values.items():
                click.echo(f"  {section}.{name} = {value!r}")
    counts = {s: sum(c["status"] == s for c in report["checks"]) for s in ("ok", "warn", "fail")}
    click.echo(f"\n{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s)")
    raise SystemExit(EXIT[report["worst"]])

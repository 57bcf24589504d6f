"""`attunio usage`: live-call usage against the license allowance, and the signed monthly report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import msgspec

from attunio.cli.billing_common import registry
from attunio.cli.common import Context, actor, fail, json_option, pass_ctx
from attunio.refusals import InvalidInput
from attunio.services.licensing.usage_reports import create_report, current_month, month_bounds, summarize


def _month(value: str | None, ctx: Context) -> str:
    month = value or current_month(ctx.clock.now())
    try:
        month_bounds(month)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc)) from None
    return month


USAGE_EXAMPLES = """Examples:

\b
  attunio usage show
  attunio usage show --month 2026-11 --json
  attunio usage report --month 2026-11 -o usage-2026-11.json
"""


@click.group()
def usage() -> None:
    """Metered live usage and the monthly usage report for the vendor."""


@usage.command("show", epilog=USAGE_EXAMPLES)
@click.option("--month", default=None, help="YYYY-MM (default: the current UTC month).")
@json_option
@pass_ctx
def show(ctx: Context, month: str | None, as_json: bool) -> None:
    """Allowance, used, remaining and overage for a month, with per-app and per-endpoint counts."""
    month = _month(month, ctx)
    with registry(ctx) as licenses:
        summary = summarize(licenses, month, ctx.clock.now())
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(summary), indent=2))
        return
    click.echo(f"month       {summary.month}")
    click.echo(f"license     {summary.license_id or '(none)'}")
    click.echo(f"allowance   {summary.allowance}")
    click.echo(f"used        {summary.used}")
    click.echo(f"remaining   {summary.remaining}")
    click.echo(f"overage     {summary.overage}")
    for title, table in (("by app", summary.by_app), ("by endpoint", summary.by_endpoint)):
        if table:
            click.echo(f"{title}:")
            for name, count in table.items():
                click.echo(f"  {name:<40} {count}")


@usage.command("report", epilog=USAGE_EXAMPLES)
@click.option("--month", required=True, help="YYYY-MM, the billing month to report.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def report(ctx: Context, month: str, output: Path, as_json: bool) -> None:
    """Write the month's usage report, signed by this instance, for the vendor."""
    month = _month(month, ctx)
    if output.exists():
        fail(f"{output} exists; choose a new file name (reports are never overwritten)")
    with registry(ctx) as licenses:
        try:
            data, made = create_report(licenses, ctx.clock, month, actor=actor())
        except InvalidInput as exc:
            fail(str(exc))
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if as_json:
        click.echo(json.dumps({"ok": True, "file": str(output.resolve()), "month": made.month,
                               "sequence": made.sequence, "total": made.total, "allowance": made.allowance,
                               "overage": made.overage}, indent=2))
        return
    click.echo(
        f"wrote {output}: {made.month}, report #{made.sequence}, {made.total} calls, "
        f"allowance {made.allowance}, overage {made.overage}"
    )

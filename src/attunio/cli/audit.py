"""`attunio audit`: check and export the hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

import click

from attunio.cli.common import Context, echo_json, fail, json_option, pass_ctx
from attunio.cli.exits import BAD_STATE
from attunio.cli.timeparse import InstantType

EXAMPLES = """Examples:

\b
  attunio audit verify
  attunio audit export --since 24h
  attunio audit export --since 2026-11-01 --until 2026-12-01 -o november.jsonl
  attunio audit export --since 2026-11-30T08:00:00+01:00
"""


@click.group()
def audit() -> None:
    """Verify and export the audit trail of admin actions."""


@audit.command("verify", epilog=EXAMPLES)
@json_option
@pass_ctx
def verify(ctx: Context, as_json: bool) -> None:
    """Check the hash chain; name the first edited, deleted or reordered event. Exit 5 if broken."""
    from attunio.services.operations import audit as audit_service

    with ctx.store() as store:
        count, problem = audit_service.verify(store)
    if as_json:
        echo_json({"ok": problem is None, "intact": problem is None, "events": count, "problem": problem})
        if problem:
            raise SystemExit(BAD_STATE)
        return
    if problem:
        fail(f"audit trail broken after checking {count} events: {problem}", BAD_STATE, kind="audit_broken")
    click.echo(f"audit trail intact: {count} events")


@audit.command("export", epilog=EXAMPLES)
@click.option("--since", type=InstantType(), default=None,
              help="Only events at or after this time: ISO-8601 with offset, a UTC date, or 24h / 7d back.")
@click.option("--until", type=InstantType(), default=None, help="Only events before this time (same forms).")
@click.option("-o", "--output", type=click.File("wb"), default="-", help="File to write (default stdout).")
@pass_ctx
def export(ctx: Context, since: datetime | None, until: datetime | None, output: BinaryIO) -> None:
    """Write events as JSON lines (already JSON, one event a line), for a SIEM."""
    from attunio.clock import iso_ms
    from attunio.services.operations import audit as audit_service

    if since is not None and until is not None and until <= since:
        raise click.BadParameter(f"--until {iso_ms(until)} is not after --since {iso_ms(since)}", param_hint="--until")
    with ctx.store() as store:
        for line in audit_service.export_lines(store, iso_ms(since) if since is not None else None,
                                               iso_ms(until) if until is not None else None):
            output.write(line)

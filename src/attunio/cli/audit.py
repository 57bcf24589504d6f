"""`attunio audit`: check and export the hash-chained audit trail."""

from __future__ import annotations

from typing import BinaryIO

import click
import msgspec

from attunio.cli.common import Context, fail, pass_ctx
from attunio.services import audit as audit_service


@click.group()
def audit() -> None:
    """Verify and export the audit trail of admin actions."""


@audit.command("verify")
@pass_ctx
def verify(ctx: Context) -> None:
    """Check the hash chain; name the first edited, deleted or reordered event."""
    with ctx.store() as store:
        count, problem = audit_service.verify(store)
    if problem:
        fail(f"audit trail broken after checking {count} events: {problem}")
    click.echo(f"audit trail intact: {count} events")


@audit.command("export")
@click.option("--since", default=None, help="Only events at or after this ISO-8601 UTC time.")
@click.option("-o", "--output", type=click.File("wb"), default="-", help="File to write (default stdout).")
@pass_ctx
def export(ctx: Context, since: str | None, output: BinaryIO) -> None:
    """Write events as JSON lines, for a SIEM."""
    encoder = msgspec.json.Encoder()
    with ctx.store() as store:
        for event in audit_service.events(store, since):
            output.write(encoder.encode(event) + b"\n")

"""`attunio apps`: integrations (an EHR interface, a telehealth platform) that own keys."""

from __future__ import annotations

import click

from attunio.cli.common import Context, actor, as_rows, clear_errors, emit_table, pass_ctx
from attunio.services.access import AccessService


@click.group()
def apps() -> None:
    """Create and list apps. Quotas and usage are counted per app."""


@apps.command("create")
@click.argument("name")
@pass_ctx
def create(ctx: Context, name: str) -> None:
    """Create an app called NAME."""
    with ctx.store() as store, clear_errors():
        app = AccessService(store, ctx.clock).create_app(name, actor=actor())
    click.echo(f"created app {app.id} ({app.name})")


@apps.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """List apps."""
    with ctx.store() as store:
        rows = as_rows(AccessService(store, ctx.clock).list_apps())
    emit_table(rows, ["id", "name", "created_at"], as_json)

"""`attunio apps`: integrations (an EHR interface, a telehealth platform) that own keys."""

from __future__ import annotations

import click

from attunio.cli.common import Context, actor, as_rows, clear_errors, echo_json, emit_table, json_option, pass_ctx

EXAMPLES = "Examples:\n\n\b\n  attunio apps create EHR\n  attunio apps list --json\n"


@click.group()
def apps() -> None:
    """Create and list apps. Quotas and usage are counted per app."""


@apps.command("create", epilog=EXAMPLES)
@click.argument("name")
@json_option
@pass_ctx
def create(ctx: Context, name: str, as_json: bool) -> None:
    """Create an app called NAME."""
    from attunio.services.request_path.access import AccessService

    with ctx.store() as store, clear_errors():
        app = AccessService(store, ctx.clock).create_app(name, actor=actor())
    if as_json:
        echo_json({"ok": True, "app": as_rows([app])[0]})
        return
    click.echo(f"created app {app.id} ({app.name})")


@apps.command("list", epilog=EXAMPLES)
@json_option
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """List apps."""
    from attunio.services.request_path.access import AccessService

    with ctx.store() as store:
        rows = as_rows(AccessService(store, ctx.clock).list_apps())
    emit_table(rows, ["id", "name", "created_at"], as_json)

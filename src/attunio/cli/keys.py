"""`attunio keys`: secret and publishable API keys, test and live. A key is shown once."""

from __future__ import annotations

import click

from attunio.cli.common import Context, actor, as_rows, clear_errors, emit_table, pass_ctx
from attunio.services.access import AccessService, KeyRecord

COLUMNS = ["id", "app_id", "prefix", "last4", "key_type", "mode", "label", "created_at", "last_used_at",
           "revoked_at"]


def _show_once(record: KeyRecord, key: str) -> None:
    click.echo(f"created {record.key_type} {record.mode} key {record.id} for app {record.app_id}")
    if record.allowed_origins:
        click.echo(f"allowed origins: {', '.join(record.allowed_origins)}")
    click.echo("The key is shown once and cannot be recovered; store it in your secrets manager now:")
    click.echo(key)


@click.group()
def keys() -> None:
    """Create, list, revoke and rotate API keys."""


@keys.command("create")
@click.option("--app", "app_ref", required=True, help="App id or name that owns the key.")
@click.option("--type", "key_type", type=click.Choice(["secret", "publishable"]), default="secret",
              show_default=True, help="secret (server-side, all endpoints) or publishable (browser, Digital MSE only).")
@click.option("--mode", type=click.Choice(["test", "live"]), default="test", show_default=True,
              help="test (sandbox quota) or live (needs a license with production access).")
@click.option("--origin", "origins", multiple=True, help="Allowed browser origin for a publishable key (repeat).")
@click.option("--label", default="", help="A note to tell keys apart, e.g. the system that holds it.")
@click.option("--create-app", is_flag=True, help="Create the app first if it does not exist.")
@click.option("--replace-label", is_flag=True, help="Revoke this app's other active keys with the same label.")
@pass_ctx
def create(ctx: Context, app_ref: str, key_type: str, mode: str, origins: tuple[str, ...], label: str,
           create_app: bool, replace_label: bool) -> None:
    """Create a key and print it once."""
    with ctx.store() as store, clear_errors():
        service = AccessService(store, ctx.clock)
        if create_app and not any(app_ref in (a.id, a.name) for a in service.list_apps()):
            service.create_app(app_ref, actor=actor())
        record, key = service.create_key(app_ref, key_type, mode, actor=actor(),  # type: ignore[arg-type]
                                         origins=list(origins), label=label)
        if replace_label and label:
            for old in service.list_keys(record.app_id):
                if old.id != record.id and old.label == label and not old.revoked_at:
                    service.revoke_key(old.id, actor=actor(), reason=f"replaced by {record.id}")
    _show_once(record, key)


@keys.command("list")
@click.option("--app", "app_ref", default=None, help="Only this app's keys.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_ctx
def list_(ctx: Context, app_ref: str | None, as_json: bool) -> None:
    """List keys (prefix and last four characters only; keys themselves are never stored)."""
    with ctx.store() as store, clear_errors():
        rows = as_rows(AccessService(store, ctx.clock).list_keys(app_ref))
    emit_table(rows, COLUMNS if as_json else [*COLUMNS[:8], "revoked_at"], as_json)


@keys.command("revoke")
@click.argument("key_id")
@click.option("--reason", default="", help="Why, for the audit trail.")
@pass_ctx
def revoke(ctx: Context, key_id: str, reason: str) -> None:
    """Revoke KEY_ID; every worker refuses it from its next request."""
    with ctx.store() as store, clear_errors():
        record = AccessService(store, ctx.clock).revoke_key(key_id, actor=actor(), reason=reason)
    click.echo(f"revoked {record.id} at {record.revoked_at}")


@keys.command("rotate")
@click.argument("key_id")
@click.option("--reason", default="", help="Why, for the audit trail.")
@pass_ctx
def rotate(ctx: Context, key_id: str, reason: str) -> None:
    """Issue a replacement for KEY_ID (same app, type, mode, origins) and revoke KEY_ID at once."""
    with ctx.store() as store, clear_errors():
        record, key = AccessService(store, ctx.clock).rotate_key(key_id, actor=actor(), reason=reason)
    click.echo(f"revoked {key_id}")
    _show_once(record, key)

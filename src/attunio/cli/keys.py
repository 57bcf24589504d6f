"""`attunio keys`: secret and publishable API keys, test and live. A key is shown once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from attunio.cli.common import Context, actor, clear_errors, echo_json, emit_table, fail, json_option, pass_ctx

if TYPE_CHECKING:
    from attunio.services.request_path.access import KeyRecord

# The default view names things (app by name, key by its label and visible characters); `-o wide`
# adds the ids and origins a script or an audit needs. --json always carries every field.
NARROW = ["id", "label", "app", "key", "type", "mode", "created_at", "last_used_at", "status"]
WIDE = [*NARROW, "app_id", "allowed_origins", "revoked_at", "expires_at"]
EXAMPLES = """Examples:

\b
  attunio keys create --app EHR --create-app --label epic-prod
  attunio keys create --app Telehealth --type publishable --origin https://tele.example
  attunio keys list -o wide
  attunio keys rotate key_0123456789abcdef --reason "left on a shared drive"
  attunio keys rotate key_0123456789abcdef --overlap-hours 24
  attunio keys origins key_0123456789abcdef --set https://tele.example --set https://tele2.example
"""


def _record(record: KeyRecord, key: str | None = None) -> dict[str, Any]:
    import msgspec

    data: dict[str, Any] = msgspec.to_builtins(record)
    if key is not None:
        data["key"] = key
    return data


def _show_once(record: KeyRecord, key: str, as_json: bool) -> None:
    if as_json:
        echo_json({"ok": True, "key": _record(record, key), "shown_once": True})
        return
    click.echo(f"created {record.key_type} {record.mode} key {record.id} for app {record.app_id}")
    if record.allowed_origins:
        click.echo(f"allowed origins: {', '.join(record.allowed_origins)}")
    click.echo("The key is shown once and cannot be recovered; store it in your secrets manager now:")
    click.echo(key)


def _status(record: KeyRecord) -> str:
    if record.revoked_at:
        return "revoked"
    return f"expires {record.expires_at}" if record.expires_at else "active"


@click.group()
def keys() -> None:
    """Create, list, revoke and rotate API keys."""


@keys.command("create", epilog=EXAMPLES)
@click.option("--app", "app_ref", required=True, help="App id or name that owns the key.")
@click.option("--type", "key_type", type=click.Choice(["secret", "publishable"]), default="secret",
              show_default=True, help="secret (server-side, all endpoints) or publishable (browser, Digital MSE only).")
@click.option("--mode", type=click.Choice(["test", "live"]), default="test", show_default=True,
              help="test (sandbox quota) or live (needs a license with production access).")
@click.option("--origin", "origins", multiple=True, help="Allowed browser origin for a publishable key (repeat).")
@click.option("--label", default="", help="A note to tell keys apart, e.g. the system that holds it.")
@click.option("--create-app", is_flag=True, help="Create the app first if it does not exist.")
@click.option("--replace-label", is_flag=True, help="Revoke this app's other active keys with the same label.")
@json_option
@pass_ctx
def create(ctx: Context, app_ref: str, key_type: str, mode: str, origins: tuple[str, ...], label: str,
           create_app: bool, replace_label: bool, as_json: bool) -> None:
    """Create a key and print it once (under --json, in the `key.key` field)."""
    from attunio.services.request_path.access import AccessService

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
    _show_once(record, key, as_json)


@keys.command("list", epilog=EXAMPLES)
@click.option("--app", "app_ref", default=None, help="Only this app's keys.")
@click.option("-o", "--output", "output", type=click.Choice(["table", "wide"]), default="table",
              show_default=True, help="wide: also key ids of apps, allowed origins and the revocation time.")
@json_option
@pass_ctx
def list_(ctx: Context, app_ref: str | None, output: str, as_json: bool) -> None:
    """List keys: label, app, the visible characters (prefix…last four), type, mode, created, last
    used (recorded at most once a minute per worker) and status. Keys themselves are never stored."""
    from attunio.services.request_path.access import AccessService

    with ctx.store() as store, clear_errors():
        service = AccessService(store, ctx.clock)
        names = {app.id: app.name for app in service.list_apps()}
        records = service.list_keys(app_ref)
    if as_json:
        echo_json([{**_record(r), "app_name": names.get(r.app_id)} for r in records])
        return
    rows = [{"id": r.id, "label": r.label or "-", "app": names.get(r.app_id, r.app_id),
             "key": f"{r.prefix}…{r.last4}", "type": r.key_type, "mode": r.mode, "created_at": r.created_at,
             "last_used_at": r.last_used_at or "never", "status": _status(r),
             "app_id": r.app_id, "allowed_origins": ",".join(r.allowed_origins) or "-",
             "revoked_at": r.revoked_at or "-", "expires_at": r.expires_at or "-"} for r in records]
    emit_table(rows, WIDE if output == "wide" else NARROW, as_json=False)


@keys.command("revoke", epilog=EXAMPLES)
@click.argument("key_id")
@click.option("--reason", default="", help="Why, for the audit trail.")
@json_option
@pass_ctx
def revoke(ctx: Context, key_id: str, reason: str, as_json: bool) -> None:
    """Revoke KEY_ID; every worker refuses it from its next request."""
    from attunio.services.request_path.access import AccessService

    with ctx.store() as store, clear_errors():
        record = AccessService(store, ctx.clock).revoke_key(key_id, actor=actor(), reason=reason)
    if as_json:
        echo_json({"ok": True, "key": _record(record)})
        return
    click.echo(f"revoked {record.id} at {record.revoked_at}")


@keys.command("rotate", epilog=EXAMPLES)
@click.argument("key_id")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--overlap-hours", type=click.IntRange(0, 720), default=0, show_default=True,
              help="Hours KEY_ID keeps working beside its replacement (0: revoked at once).")
@json_option
@pass_ctx
def rotate(ctx: Context, key_id: str, reason: str, overlap_hours: int, as_json: bool) -> None:
    """Issue a replacement for KEY_ID (same app, type, mode, origins); KEY_ID is revoked at once, or
    with --overlap-hours keeps working that long so the systems holding it can be moved over."""
    from datetime import timedelta

    from attunio.services.request_path.access import AccessService

    with ctx.store() as store, clear_errors():
        record, key, old = AccessService(store, ctx.clock).rotate_key(
            key_id, actor=actor(), reason=reason, overlap=timedelta(hours=overlap_hours))
    if as_json:
        echo_json({"ok": True, "revoked": key_id if old.revoked_at else None, "old_key_expires_at": old.expires_at,
                   "key": _record(record, key), "shown_once": True})
        return
    click.echo(f"revoked {key_id}" if old.revoked_at else f"{key_id} keeps working until {old.expires_at}")
    _show_once(record, key, as_json=False)


@keys.command("origins", epilog=EXAMPLES)
@click.argument("key_id")
@click.option("--set", "origins", multiple=True, metavar="ORIGIN",
              help="An allowed browser origin, https://host[:port] (repeat); replaces the whole list.")
@click.option("--clear", is_flag=True, help="Allow no origin: the publishable key then works from no web page.")
@click.option("--reason", default="", help="Why, for the audit trail.")
@json_option
@pass_ctx
def origins(ctx: Context, key_id: str, origins: tuple[str, ...], clear: bool, reason: str, as_json: bool) -> None:
    """Replace the allowed browser origins of publishable key KEY_ID; every worker applies the new
    list (CORS preflight included) from its next request."""
    from attunio.services.request_path.access import AccessService

    if clear == bool(origins):
        fail("give the new list with --set ORIGIN (repeat), or --clear to allow none")
    with ctx.store() as store, clear_errors():
        record = AccessService(store, ctx.clock).set_origins(key_id, list(origins), actor=actor(), reason=reason)
    if as_json:
        echo_json({"ok": True, "key": _record(record)})
        return
    click.echo(f"{record.id} allows: {', '.join(record.allowed_origins) or '(no origin)'}")

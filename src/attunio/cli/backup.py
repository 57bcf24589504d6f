"""`attunio backup` and `attunio restore`: encrypted snapshots of the store, verified before use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import msgspec

from attunio.cli.common import Context, Steps, actor, echo_json, fail, json_option, pass_ctx
from attunio.cli.exits import CONFIG
from attunio.config import Settings
from attunio.services.operations.backup import BackupError, create_backup
from attunio.services.operations.restore import hold_serve_lock
from attunio.services.operations.restore import restore as restore_service
from attunio.store import StoreError, read_key

KEY_HELP = ("Backup key file (64 hex characters, e.g. `openssl rand -hex 32`). Default: the store key. "
            "A separate key lets backups travel without the store key.")
EXAMPLES = """Examples:

\b
  attunio backup -o /backups/attunio-$(date -u +%Y%m%dT%H%M%SZ).attbak --key-file /secure/backup.key --reason nightly
  attunio restore /backups/attunio-20261201T020000Z.attbak --key-file /secure/backup.key --check
  attunio restore /backups/attunio-20261201T020000Z.attbak --key-file /secure/backup.key --reason "disk replaced"
"""


def serve_lock(settings: Settings, _server: dict[str, Any]) -> None:
    """A serve step: one server per data directory, and no restore while it serves."""
    try:
        hold_serve_lock(settings)
    except StoreError as exc:
        fail(str(exc))



def _key(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return read_key(path)
    except StoreError as exc:
        fail(str(exc).replace("store key file", "backup key file"))


@click.command(epilog=EXAMPLES)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Backup file to write (never overwritten).")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), default=None, help=KEY_HELP)
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@json_option
@pass_ctx
def backup(ctx: Context, output: Path, key_file: Path | None, reason: str, quiet: bool, as_json: bool) -> None:
    """Write a consistent, encrypted snapshot of the store to OUTPUT while the appliance serves.
    Each step is reported on stderr as it starts."""
    backup_key = _key(key_file)
    if backup_key is None:
        try:
            backup_key = read_key(ctx.settings.key_file)
        except StoreError as exc:
            fail(str(exc), CONFIG, kind="store")
    with ctx.store() as store:
        try:
            manifest = create_backup(store, ctx.clock, output, backup_key_hex=backup_key, actor=actor(),
                                     reason=reason, progress=Steps(quiet))
        except BackupError as exc:
            fail(str(exc))
    if as_json:
        echo_json({"ok": True, "file": str(output.resolve()), "manifest": msgspec.to_builtins(manifest)})
        return
    rows = sum(manifest.tables.values())
    click.echo(f"backup {manifest.backup_id} written to {output.resolve()}")
    click.echo(f"schema {manifest.schema_version}, {len(manifest.tables)} tables, {rows} rows, "
               f"audit through event {manifest.audit_seq}")
    click.echo(f"sha256 {manifest.db_sha256}  key id {manifest.key_id}")


@click.command(epilog=EXAMPLES)
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), default=None, help=KEY_HELP)
@click.option("--check", is_flag=True, help="Only verify the backup; change nothing.")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@json_option
@pass_ctx
def restore(ctx: Context, archive: Path, key_file: Path | None, check: bool, reason: str, quiet: bool,
            as_json: bool) -> None:
    """Verify ARCHIVE (checksum, key, integrity, schema), then replace the store with it.

    The appliance must be stopped. The replaced store is kept next to the new one as
    attunio.db.pre-restore-<time>. A damaged, truncated or altered archive is refused (exit 1)
    and nothing is changed."""
    try:
        result = restore_service(ctx.settings, ctx.clock, archive, backup_key_hex=_key(key_file), actor=actor(),
                                 reason=reason, check_only=check, progress=Steps(quiet))
    except BackupError as exc:
        fail(str(exc), kind="backup_refused")
    except StoreError as exc:
        fail(str(exc), CONFIG, kind="store")
    manifest = result.manifest
    if as_json:
        echo_json({"ok": True, "verified": True, "restored": result.restored,
                   "store": str(ctx.settings.store_path) if result.restored else None,
                   "previous": str(result.previous) if result.previous else None,
                   "manifest": msgspec.to_builtins(manifest)})
        return
    click.echo(f"backup {manifest.backup_id} from {manifest.created_at} (instance {manifest.instance_id}, "
               f"schema {manifest.schema_version}): checksum, key, integrity and schema verified")
    if result.restored:
        click.echo(f"restored into {ctx.settings.store_path}")
        if result.previous is not None:
            click.echo(f"the previous store was kept as {result.previous}")

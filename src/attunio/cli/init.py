"""`attunio init`: make the store key, the encrypted store and the instance identity, once."""

from __future__ import annotations

import click

from attunio.cli.common import Context, fail, pass_ctx
from attunio.services.instance import ensure_instance, instance_id
from attunio.store import Store, StoreError, create_key_file
from attunio.store.db import key_file_warnings

INIT_HOOKS: list = []  # type: ignore[type-arg]  # later steps (certificates, signing keys) register here


@click.command()
@click.option("--existing-key", is_flag=True,
              help="Never create a store key: use the one provided (a container secret), or stop.")
@pass_ctx
def init(ctx: Context, existing_key: bool) -> None:
    """Create the store key, the encrypted store and instance identity. Idempotent: an existing key
    file or store is never overwritten; a second run only checks that they open."""
    settings = ctx.settings
    key_file, store_path = settings.key_file, settings.store_path
    if store_path.exists() and not key_file.exists():
        fail(f"a store exists at {store_path} but its key file {key_file} is missing; restore the key "
             "file (a new key would not open the store, and the store is never replaced)")
    if existing_key and not key_file.exists():
        # In a container the key must come from a secret mount: a key made here would live on a
        # temporary filesystem and the store would be unreadable after the next restart.
        fail(f"store key file {key_file} does not exist and --existing-key was given; mount the key secret")
    if key_file.exists():
        click.echo(f"store key   {key_file} (exists, kept)")
    else:
        create_key_file(key_file)
        click.echo(f"store key   {key_file} (created, mode 0600; back it up separately from the data)")
    try:
        store = Store.open(settings, create=not store_path.exists())
    except StoreError as exc:
        fail(str(exc))
    try:
        store.check_pages()
    except StoreError as exc:
        store.close()
        fail(str(exc))
    for warning in key_file_warnings(settings):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    try:
        created = ensure_instance(store)
        click.echo(f"store       {store_path} ({'created' if created else 'exists, opened'})")
        click.echo(f"instance    {instance_id(store)}")
        for hook in INIT_HOOKS:
            hook(settings, store)
    finally:
        store.close()

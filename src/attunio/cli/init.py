"""`attunio init`: make the store key, the encrypted store and the instance identity, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import click

from attunio.cli.common import Context, fail, pass_ctx
from attunio.cli.exits import CONFIG
from attunio.cli.instance import init_signing_key
from attunio.cli.tls import init_certificate
from attunio.config import Settings
from attunio.services.operations.instance import ensure_instance, instance_id
from attunio.store import Store, StoreError, create_key_file
from attunio.store.db import key_file_warnings


class InitStep(NamedTuple):
    """One idempotent step after the store and instance id exist: it creates what is missing and
    says what it found."""

    name: str
    run: Callable[[Settings, Store], None]


# The signing key lives in the store; the certificate in files named by the settings. Neither
# depends on the other: the order is the order their lines are printed in.
INIT_STEPS: tuple[InitStep, ...] = (
    InitStep("signing key", init_signing_key),
    InitStep("certificate", init_certificate),
)


@click.command(epilog="Examples:\n\n\b\n  attunio init\n"
                      "  attunio --config /etc/attunio/attunio.toml init --existing-key")
@click.option("--existing-key", is_flag=True,
              help="Never create a store key: use the one provided (a container secret), or stop.")
@pass_ctx
def init(ctx: Context, existing_key: bool) -> None:
    """Create the store key, the encrypted store and instance identity. Idempotent: an existing key
    file or store is never overwritten; a second run only checks that they open."""
    settings = ctx.settings
    where = ctx.source.path or "(none: built-in defaults)"
    click.echo(f"settings    {where}")
    key_file, store_path = settings.key_file, settings.store_path
    if store_path.exists() and not key_file.exists():
        fail(f"a store exists at {store_path} but its key file {key_file} is missing; restore the key "
             "file (a new key would not open the store, and the store is never replaced)", CONFIG, kind="store")
    if existing_key and not key_file.exists():
        # In a container the key must come from a secret mount: a key made here would live on a
        # temporary filesystem and the store would be unreadable after the next restart.
        fail(f"store key file {key_file} does not exist and --existing-key was given; mount the key secret",
             CONFIG, kind="store")
    if key_file.exists():
        click.echo(f"store key   {key_file} (exists, kept)")
    else:
        create_key_file(key_file)
        click.echo(f"store key   {key_file} (created, mode 0600; back it up separately from the data)")
    try:
        # A shared PostgreSQL store is made by the first replica's init and opened by the others'.
        store = Store.open(settings, create=bool(settings.store.url) or not store_path.exists())
    except StoreError as exc:
        fail(str(exc), CONFIG, kind="store")
    try:
        store.check_pages()
    except StoreError as exc:
        store.close()
        fail(str(exc), CONFIG, kind="store")
    for warning in key_file_warnings(settings):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    try:
        created = ensure_instance(store)
        click.echo(f"store       {store.path} ({'created' if created else 'exists, opened'})")
        click.echo(f"instance    {instance_id(store)}")
        for step in INIT_STEPS:
            step.run(settings, store)
    finally:
        store.close()

"""`attunio instance show`: the identity the vendor needs (instance id and public signing key)."""

from __future__ import annotations

import click

from attunio.cli.common import Context, pass_ctx
from attunio.config import Settings
from attunio.crypto.ed25519 import key_id, public_pem
from attunio.services.instance import instance_id
from attunio.services.instance_key import ensure_signing_key, public_key
from attunio.store import Store


@click.group()
def instance() -> None:
    """This appliance's identity, for license binding and usage-report verification."""


@instance.command("show")
@pass_ctx
def show(ctx: Context) -> None:
    """Print the instance id and the public half of the instance signing key."""
    with ctx.store() as store:
        ensure_signing_key(store)  # stores made before the key existed
        key = public_key(store)
        click.echo(f"instance id   {instance_id(store)}")
        click.echo(f"signing key   {key_id(key)} (Ed25519; give the vendor the public key below)")
        click.echo(public_pem(key).decode("ascii"), nl=False)


def init_signing_key(settings: Settings, store: Store) -> None:
    """An init step: the instance signing key that signs usage reports."""
    created = ensure_signing_key(store)
    click.echo(f"signing key {key_id(public_key(store))} ({'created' if created else 'exists, kept'})")


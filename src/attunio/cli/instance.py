"""`attunio instance show`: the identity the vendor needs (instance id and public signing key)."""

from __future__ import annotations

import click

from attunio.cli.common import Context, echo_json, json_option, pass_ctx
from attunio.config import Settings
from attunio.crypto.ed25519 import key_id, public_pem
from attunio.services.licensing.instance_key import ensure_signing_key, public_key
from attunio.services.operations.instance import instance_id
from attunio.store import Store


@click.group()
def instance() -> None:
    """This appliance's identity, for license binding and usage-report verification."""


@instance.command("show", epilog="Examples:\n\n\b\n  attunio instance show\n"
                                  "  attunio instance show --json > instance.json   # for the vendor\n")
@json_option
@pass_ctx
def show(ctx: Context, as_json: bool) -> None:
    """Print the instance id and the public half of the instance signing key."""
    with ctx.store() as store:
        ensure_signing_key(store)  # stores made before the key existed
        key = public_key(store)
        if as_json:
            echo_json({"ok": True, "instance_id": instance_id(store), "signing_key_id": key_id(key),
                       "algorithm": "Ed25519", "public_key_pem": public_pem(key).decode("ascii")})
            return
        click.echo(f"instance id   {instance_id(store)}")
        click.echo(f"signing key   {key_id(key)} (Ed25519; give the vendor the public key below)")
        click.echo(public_pem(key).decode("ascii"), nl=False)


def init_signing_key(settings: Settings, store: Store) -> None:
    """An init step: the instance signing key that signs usage reports."""
    created = ensure_signing_key(store)
    click.echo(f"signing key {key_id(public_key(store))} ({'created' if created else 'exists, kept'})")


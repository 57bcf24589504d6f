"""`attunio release verify`: check an offline release bundle before `podman load` / `docker load`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from attunio.crypto.release_manifest import ReleaseError, verify_bundle
from attunio.crypto.trust import TrustError, load_vendor_trust, startup_warnings


@click.group()
def release() -> None:
    """Offline release bundles (docs/deploy.md, "Air-gapped install and upgrade")."""


@release.command("verify", epilog=("Examples:\n\n\b\n"
                                    "  attunio release verify /media/usb/attunio-1.0.0\n"))
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--extra-vendor-key", "extra_keys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Also trust this vendor public key (PEM). Development and tests only; announced.")
def verify(folder: Path, extra_keys: tuple[str, ...]) -> None:
    """Check FOLDER's signed manifest against the pinned vendor keys, then every file's SHA-256.

    Exits 0 and prints the verified manifest when the folder is exactly what the vendor signed;
    exits 1 naming the first problem otherwise. Load the image only after it passes."""
    try:
        trust = load_vendor_trust(extra_keys)
    except TrustError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in startup_warnings(trust):
        click.echo(f"warning: {warning}", err=True)
    try:
        manifest = verify_bundle(folder, trust.keys)
    except ReleaseError as exc:
        click.echo(f"REJECTED: {exc.message}", err=True)
        sys.exit(1)
    image = next(f.name for f in manifest.files if f.role == "image")
    click.echo(json.dumps({
        "verified": True,
        "version": manifest.version,
        "image": manifest.image,
        "created_at": manifest.created_at.isoformat(),
        "files": [{"name": f.name, "role": f.role, "size": f.size, "sha256": f.sha256} for f in manifest.files],
    }, indent=2))
    click.echo(f"verified: load it with `podman load -i {folder.name}/{image}`", err=True)

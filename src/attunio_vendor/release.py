"""attunio-vendor sign-release: sign the manifest of an offline release bundle."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from attunio.crypto.ed25519 import key_id
from attunio.crypto.release_manifest import MANIFEST_NAME, ReleaseError, build_manifest, sign_manifest
from attunio_vendor.keyfiles import open_private_key, write_new

ExistingFile = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("sign-release")
@click.option("--key", "key_path", required=True, type=ExistingFile, help="Vendor private key (PEM).")
@click.option("--passphrase-file", type=ExistingFile)
@click.option("--release-version", required=True, help="The appliance version, e.g. 1.1.0.")
@click.option("--image", "image_ref", required=True, help="The reference the tarball loads as, e.g. attunio:1.1.0.")
@click.option("--image-tar", required=True, type=ExistingFile, help="`podman save` / `docker save` archive.")
@click.option("--sbom", required=True, type=ExistingFile, help="The image's CycloneDX SBOM.")
def sign_release(
    key_path: Path, passphrase_file: Path | None, release_version: str, image_ref: str, image_tar: Path, sbom: Path
) -> None:
    """Write release.manifest beside the tarball and SBOM: their sizes and SHA-256, signed.

    Both files must be in one folder, the bundle; nothing else may be in it (the appliance's
    `attunio release verify` refuses unlisted files)."""
    folder = image_tar.resolve().parent
    if sbom.resolve().parent != folder:
        raise click.ClickException("the image tarball and the SBOM must be in the same folder (the bundle)")
    others = sorted(p.name for p in folder.iterdir() if p.name not in {image_tar.name, sbom.name})
    if others:
        raise click.ClickException(f"the bundle folder holds other files: {', '.join(others)}")
    key = open_private_key(key_path, passphrase_file)
    try:
        manifest = build_manifest(
            release_version, image_ref, {"image": image_tar, "sbom": sbom}, datetime.now(UTC).replace(microsecond=0)
        )
    except ReleaseError as exc:
        raise click.ClickException(exc.message) from None
    output = folder / MANIFEST_NAME
    write_new(output, sign_manifest(manifest, key), 0o644)
    click.echo(f"signed release {manifest.version} ({len(manifest.files)} files) with {key_id(key.public_key())}: "
               f"{output}")

"""Vendor key files: private keys are written once, owner-only, and never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

import click

from attunio.crypto.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    KeyFormatError,
    load_private_key,
    load_public_key,
    private_pem,
    public_pem,
)


def read_passphrase(path: Path | None) -> bytes | None:
    if path is None:
        return None
    value = path.read_bytes().rstrip(b"\r\n")
    if not value:
        raise click.UsageError(f"{path} is empty")
    return value


def write_new(path: Path, data: bytes, mode: int) -> None:
    """O_EXCL: a key file that exists is never replaced (losing a signing key is unrecoverable)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; refusing to overwrite it") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_key_pair(prefix: Path, passphrase: bytes | None) -> Ed25519PublicKey:
    key = Ed25519PrivateKey.generate()
    private_path, public_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    if public_path.exists():
        raise click.ClickException(f"{public_path} exists; refusing to overwrite it")
    write_new(private_path, private_pem(key, passphrase), 0o600)
    write_new(public_path, public_pem(key.public_key()), 0o644)
    return key.public_key()


def open_private_key(path: Path, passphrase_file: Path | None) -> Ed25519PrivateKey:
    try:
        return load_private_key(path.read_bytes(), read_passphrase(passphrase_file))
    except KeyFormatError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def open_public_key(path: Path) -> Ed25519PublicKey:
    try:
        return load_public_key(path.read_bytes())
    except KeyFormatError as exc:
        raise click.ClickException(f"{path}: {exc}") from None

"""Offline release bundles: a folder with the image tarball, its SBOM and a signed manifest.

    attunio-1.1.0/
      attunio-1.1.0.tar            podman save / docker save of the image
      attunio-1.1.0.cdx.json       its CycloneDX SBOM
      release.manifest             signed envelope: {version, image, files: [{name, role, size, sha256}]}

The manifest is a signed envelope (crypto/envelope.py) under its own payload type, so no other
signed document (a calibration bundle, a usage report) can be replayed as a release. Verification
checks the signature against the trusted vendor keys before it decodes anything, then every
listed file's size and SHA-256, and refuses files the manifest does not list: the folder that
passes is exactly the folder the vendor signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from attunio.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from attunio.crypto.envelope import EnvelopeError, sign_envelope, verify_envelope
from attunio.refusals import InvalidInput

RELEASE_PAYLOAD_TYPE = "application/vnd.attunio.release-manifest+json;v=1"
MANIFEST_NAME = "release.manifest"
MAX_MANIFEST_BYTES = 64 * 1024
CHUNK = 1024 * 1024

FileName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")]
Role = Literal["image", "sbom"]


class ReleaseFile(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    name: FileName
    role: Role
    size: Annotated[int, Meta(ge=0)]
    sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]


class ReleaseManifest(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    product: Literal["attunio-appliance"]
    version: Annotated[str, Meta(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+([.+-][0-9A-Za-z.-]+)?$")]
    image: Annotated[str, Meta(min_length=1, max_length=256)]
    created_at: datetime
    files: Annotated[list[ReleaseFile], Meta(min_length=2, max_length=16)]


class ReleaseError(InvalidInput):
    reason: str  # always given by the raiser

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason)


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def build_manifest(version: str, image: str, files: Mapping[Role, Path], created_at: datetime) -> ReleaseManifest:
    entries = []
    for role, path in files.items():
        size, sha256 = file_digest(path)
        entries.append({"name": path.name, "role": role, "size": size, "sha256": sha256})
    raw = {"product": "attunio-appliance", "version": version, "image": image, "created_at": created_at,
           "files": entries}
    try:
        manifest = msgspec.convert(raw, ReleaseManifest)
    except msgspec.ValidationError as exc:
        raise ReleaseError("invalid", f"cannot make a release manifest: {exc}") from None
    _check_roles(manifest)
    return manifest


def sign_manifest(manifest: ReleaseManifest, key: Ed25519PrivateKey) -> bytes:
    return sign_envelope(msgspec.json.encode(manifest), RELEASE_PAYLOAD_TYPE, key)


def _check_roles(manifest: ReleaseManifest) -> None:
    names = [f.name for f in manifest.files]
    if len(set(names)) != len(names) or MANIFEST_NAME in names:
        raise ReleaseError("invalid", "the manifest lists a file name twice, or itself")
    for role in ("image", "sbom"):
        if sum(f.role == role for f in manifest.files) != 1:
            raise ReleaseError("invalid", f"the manifest must list exactly one {role} file")


def verify_bundle(folder: Path, trusted_keys: Mapping[str, Ed25519PublicKey]) -> ReleaseManifest:
    """Return the manifest when the folder is exactly what a trusted vendor key signed."""
    manifest_path = folder / MANIFEST_NAME
    try:
        if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ReleaseError("malformed", f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES} bytes")
        data = manifest_path.read_bytes()
    except OSError as exc:
        raise ReleaseError("missing", f"cannot read {manifest_path}: {exc.strerror}") from None
    try:
        payload = verify_envelope(data, RELEASE_PAYLOAD_TYPE, trusted_keys)
    except EnvelopeError as exc:
        raise ReleaseError(exc.reason, f"{MANIFEST_NAME}: {exc.message}") from None
    try:
        manifest = msgspec.json.decode(payload, type=ReleaseManifest, strict=True)
    except msgspec.DecodeError as exc:
        raise ReleaseError("malformed", f"{MANIFEST_NAME}: the signed manifest is not valid: {exc}") from None
    _check_roles(manifest)
    listed = {f.name for f in manifest.files} | {MANIFEST_NAME}
    unlisted = sorted(p.name for p in folder.iterdir() if p.name not in listed)
    if unlisted:
        raise ReleaseError("unlisted_file", f"the bundle holds files the manifest does not list: {', '.join(unlisted)}")
    for entry in manifest.files:
        path = folder / entry.name
        if path.is_symlink() or not path.is_file():
            raise ReleaseError("missing", f"{entry.name} ({entry.role}) is missing or not a regular file")
        size, sha256 = file_digest(path)
        if size != entry.size or sha256 != entry.sha256:
            raise ReleaseError(
                "digest_mismatch",
                f"{entry.name} ({entry.role}) does not match the signed manifest: it was altered or damaged "
                f"(size {size}, expected {entry.size}; sha256 {sha256[:16]}…, expected {entry.sha256[:16]}…)",
            )
    return manifest

"""Offline release bundles: `attunio-vendor sign-release` signs, `attunio release verify` checks.

Throw-away vendor keys only: the appliance trusts them through --extra-vendor-key, which it
announces. A flipped byte anywhere in the tarball, the SBOM or the manifest is refused.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from attunio.crypto.ed25519 import Ed25519PrivateKey, key_id
from attunio.crypto.envelope import CALIBRATION_PAYLOAD_TYPE, sign_envelope
from attunio.crypto.release_manifest import (
    MANIFEST_NAME,
    ReleaseError,
    build_manifest,
    sign_manifest,
    verify_bundle,
)

REPO = Path(__file__).resolve().parents[2]
TAR = "attunio-9.9.9.tar"
SBOM = "attunio-9.9.9.cdx.json"


def run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, cwd=REPO)


@pytest.fixture
def vendor(tmp_path: Path) -> Path:
    result = run("attunio_vendor", "keygen", "--out", str(tmp_path / "vendor"))
    assert result.returncode == 0, result.stderr
    return tmp_path / "vendor"


def make_files(folder: Path) -> None:
    folder.mkdir()
    (folder / TAR).write_bytes(os.urandom(300_000))
    (folder / SBOM).write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}))


@pytest.fixture
def bundle(tmp_path: Path, vendor: Path) -> Path:
    folder = tmp_path / "attunio-9.9.9"
    make_files(folder)
    signed = run("attunio_vendor", "sign-release", "--key", f"{vendor}.key", "--release-version", "9.9.9",
                 "--image", "attunio:9.9.9", "--image-tar", str(folder / TAR), "--sbom", str(folder / SBOM))
    assert signed.returncode == 0, signed.stderr
    assert (folder / MANIFEST_NAME).is_file()
    return folder


def verify(folder: Path, vendor: Path | None) -> subprocess.CompletedProcess[str]:
    extra = ["--extra-vendor-key", f"{vendor}.pub"] if vendor else []
    return run("attunio", "release", "verify", str(folder), *extra)


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_signed_bundle_verifies_and_says_which_key_it_trusted(bundle: Path, vendor: Path) -> None:
    result = verify(bundle, vendor)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["verified"] is True and answer["version"] == "9.9.9" and answer["image"] == "attunio:9.9.9"
    assert {f["name"]: f["role"] for f in answer["files"]} == {TAR: "image", SBOM: "sbom"}
    assert "trusting extra vendor key" in result.stderr and "development and tests only" in result.stderr


def test_only_the_pinned_keys_are_trusted_by_default(bundle: Path) -> None:
    result = verify(bundle, None)
    assert result.returncode == 1
    assert "REJECTED: release.manifest: no signature on the envelope is by a trusted key" in result.stderr


@pytest.mark.parametrize("name", [TAR, SBOM])
def test_a_flipped_byte_in_the_tarball_or_the_sbom_is_refused(bundle: Path, vendor: Path, name: str) -> None:
    flip(bundle / name, (bundle / name).stat().st_size // 2)
    result = verify(bundle, vendor)
    assert result.returncode == 1
    assert f"REJECTED: {name} (" in result.stderr and "does not match the signed manifest" in result.stderr


def test_a_flipped_byte_in_the_manifest_is_refused(bundle: Path, vendor: Path) -> None:
    manifest = bundle / MANIFEST_NAME
    payload_at = manifest.read_bytes().index(b'"payload": "') + 20
    flip(manifest, payload_at)
    result = verify(bundle, vendor)
    assert result.returncode == 1
    assert "REJECTED: release.manifest:" in result.stderr


def test_every_single_flipped_byte_anywhere_in_the_bundle_is_refused(tmp_path: Path) -> None:
    """In-process, over every byte of the manifest and a spread of positions in the other files."""
    key = Ed25519PrivateKey.generate()
    trusted = {key_id(key.public_key()): key.public_key()}
    folder = tmp_path / "bundle"
    make_files(folder)
    manifest = build_manifest("9.9.9", "attunio:9.9.9", {"image": folder / TAR, "sbom": folder / SBOM},
                              datetime(2026, 12, 1, tzinfo=UTC))
    (folder / MANIFEST_NAME).write_bytes(sign_manifest(manifest, key))
    assert verify_bundle(folder, trusted) == manifest
    accepted = []
    for name in (MANIFEST_NAME, TAR, SBOM):
        path = folder / name
        size = path.stat().st_size
        offsets = range(size) if name != TAR else range(0, size, 997)
        for offset in offsets:
            flip(path, offset)
            try:
                verify_bundle(folder, trusted)
                accepted.append((name, offset))
            except ReleaseError:
                pass
            flip(path, offset)
    assert accepted == []
    assert verify_bundle(folder, trusted) == manifest  # every flip was undone: the bundle is whole again


def test_a_file_the_manifest_does_not_list_or_a_missing_file_is_refused(bundle: Path, vendor: Path) -> None:
    (bundle / "attunio-9.9.9-patched.tar").write_bytes(b"not from the vendor")
    result = verify(bundle, vendor)
    assert result.returncode == 1
    assert "the bundle holds files the manifest does not list: attunio-9.9.9-patched.tar" in result.stderr
    (bundle / "attunio-9.9.9-patched.tar").unlink()
    (bundle / SBOM).unlink()
    result = verify(bundle, vendor)
    assert result.returncode == 1 and f"{SBOM} (sbom) is missing" in result.stderr


def test_another_kind_of_signed_document_cannot_pose_as_a_release(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    folder = tmp_path / "bundle"
    make_files(folder)
    manifest = build_manifest("9.9.9", "attunio:9.9.9", {"image": folder / TAR, "sbom": folder / SBOM},
                              datetime(2026, 12, 1, tzinfo=UTC))
    import msgspec

    (folder / MANIFEST_NAME).write_bytes(sign_envelope(msgspec.json.encode(manifest), CALIBRATION_PAYLOAD_TYPE, key))
    with pytest.raises(ReleaseError) as refused:
        verify_bundle(folder, {key_id(key.public_key()): key.public_key()})
    assert refused.value.reason == "wrong_payload_type"


def test_the_signer_refuses_a_folder_with_other_files(tmp_path: Path, vendor: Path) -> None:
    folder = tmp_path / "attunio-9.9.9"
    make_files(folder)
    (folder / "notes.txt").write_text("stray")
    signed = run("attunio_vendor", "sign-release", "--key", f"{vendor}.key", "--release-version", "9.9.9",
                 "--image", "attunio:9.9.9", "--image-tar", str(folder / TAR), "--sbom", str(folder / SBOM))
    assert signed.returncode == 1 and "the bundle folder holds other files: notes.txt" in signed.stderr
    assert not (folder / MANIFEST_NAME).exists()


def first_install_lines(bundle: Path, vendor: Path) -> str:
    spec = importlib.util.spec_from_file_location("container_checks", REPO / "scripts" / "container_checks.py")
    assert spec is not None and spec.loader is not None
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    body: str = checks.doc_blocks()["verify-first-install"]
    return body.replace("attunio-1.1.0", str(bundle)).replace("attunio-vendor.pub", f"{vendor}.pub")


@pytest.mark.parametrize("broken", [None, TAR, SBOM, MANIFEST_NAME])
def test_the_documented_first_install_check_with_openssl_passes_only_an_intact_bundle(
    bundle: Path, vendor: Path, tmp_path: Path, broken: str | None
) -> None:
    if broken:
        path = bundle / broken
        offset = path.read_bytes().index(b'"payload": "') + 20 if broken == MANIFEST_NAME else path.stat().st_size // 2
        flip(path, offset)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", first_install_lines(bundle, vendor)], cwd=work,
                            capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    if broken is None:
        assert result.returncode == 0, output
        assert "Signature Verified Successfully" in output and f"{TAR}: OK" in output
    else:
        assert result.returncode != 0, output
        assert ("Signature Verification Failure" in output) if broken == MANIFEST_NAME else ("FAILED" in output)

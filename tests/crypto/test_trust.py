from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from attunio.crypto.ed25519 import Ed25519PrivateKey, key_id, public_pem
from attunio.crypto.trust import (
    PINNED_VENDOR_KEYS,
    TrustError,
    load_vendor_trust,
    pinned_keys,
    startup_warnings,
)

REPO = Path(__file__).resolve().parents[2]


def test_pinned_keys_match_their_ids_and_nothing_extra_is_trusted_by_default() -> None:
    keys = pinned_keys()
    assert set(keys) == set(PINNED_VENDOR_KEYS)
    assert all(key_id(key) == kid for kid, key in keys.items())
    trust = load_vendor_trust()
    assert trust.extra == {}
    assert startup_warnings(trust) == []


def test_an_extra_key_is_trusted_only_by_configuration_and_announced(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate().public_key()
    path = tmp_path / "dev.pub"
    path.write_bytes(public_pem(key))
    trust = load_vendor_trust([str(path)])
    assert key_id(key) in trust.keys
    assert trust.extra == {key_id(key): str(path)}
    [warning] = startup_warnings(trust)
    assert key_id(key) in warning
    assert "trust.extra_vendor_keys" in warning


@pytest.mark.parametrize("content", [None, b"garbage", b""])
def test_an_unusable_extra_key_stops_start_up(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "dev.pub"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TrustError):
        load_vendor_trust([str(path)])


def test_no_private_key_is_committed() -> None:
    # A PEM private key block: the armour line followed by base64 key material on the next line.
    # (Code that merely recognises the armour, e.g. to detect an encrypted key, is not a key.)
    found = subprocess.run(
        ["git", "grep", "-l", "-P", "-e", "-----BEGIN [A-Z ]*PRIVATE KEY" + "-----$"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert found.stdout.strip() == ""

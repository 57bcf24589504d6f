"""Finding 7 of issue 14: the lost vendor key is no longer trusted, its replacement is pinned.

No private half of either key exists here, so each license is signed by a throw-away key and its
`Kid` line then names the pinned key: a trusted kid gets as far as the signature check, an
untrusted one is refused as an unknown key. That distinguishes the two without the vendor's key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.billing_helpers import license_bytes
from tests.conftest import Served

from attunio.crypto.ed25519 import Ed25519PrivateKey

pytestmark = pytest.mark.e2e

NEW_KID = "bbf5799ffc036af1"
LOST_KID = "0d9b3b7d50bff613"


def _claiming(kid: str, path: Path) -> Path:
    text = license_bytes(Ed25519PrivateKey.generate())
    path.write_bytes(re.sub(rb"^Kid: [0-9a-f]{16}$", b"Kid: " + kid.encode(), text, count=1, flags=re.M))
    return path


def test_the_new_vendor_key_is_pinned_and_the_lost_one_refused(
    serve_appliance: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve_appliance()
    new = served.cli("license", "install", str(_claiming(NEW_KID, tmp_path / "new.license")), check=False)
    assert new.returncode != 0
    assert "signature does not verify" in new.stderr  # the kid is trusted: the signature was checked
    lost = served.cli("license", "install", str(_claiming(LOST_KID, tmp_path / "lost.license")), check=False)
    assert lost.returncode != 0
    assert f"signed by key '{LOST_KID}', which is not trusted" in lost.stderr

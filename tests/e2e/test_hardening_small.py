"""Finding 6 of issue 14 against a served process: the demo's CSP wherever the page is served, the
demo page's appliance fixed to its own origin, text after /sdk/ not logged as sent, and warnings
for a store key file readable by others or kept inside data_dir. (The TLS items are in
tests/tls/test_profile_served.py.)"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from tests.conftest import Served, run_cli, settings_env, start_served

pytestmark = pytest.mark.e2e

SENTINEL = "Jane-Doe-MRN-99812"


def test_the_demo_page_has_the_same_csp_under_every_path(served: Served) -> None:
    demo = httpx.get(served.base_url + "/demo", timeout=10)
    sdk = httpx.get(served.base_url + "/sdk/demo.html", timeout=10)
    assert demo.status_code == sdk.status_code == 200
    assert demo.content == sdk.content
    csp = demo.headers["content-security-policy"]
    assert sdk.headers.get("content-security-policy") == csp
    assert "connect-src 'self'" in csp and "script-src 'self'" in csp


def test_the_demo_script_talks_only_to_its_own_origin(served: Served) -> None:
    script = httpx.get(served.base_url + "/sdk/demo.js", timeout=10).text
    assert "get('base')" not in script and "location.search" not in script
    assert "baseUrl: location.origin" in script


def test_text_after_sdk_is_not_logged_as_sent(served: Served) -> None:
    assert httpx.get(served.base_url + f"/sdk/{SENTINEL}", timeout=10).status_code == 404
    assert httpx.get(served.base_url + "/sdk/capture.js", timeout=10).status_code == 200
    deadline = time.monotonic() + 30
    while '"path":"/sdk/capture.js"' not in served.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    logs = served.logs()
    assert '"path":"/sdk/[unrouted]"' in logs and '"path":"/sdk/capture.js"' in logs
    assert SENTINEL not in logs


@pytest.mark.parametrize("where", ["mode 0644", "inside data_dir"])
def test_an_unsafe_store_key_file_is_warned_about_by_init_and_serve(tmp_path: Path, where: str) -> None:
    root = tmp_path / "instance"
    extra = {"ATTUNIO_PATHS_KEY_FILE": str(root / "data" / "store.key")} if where == "inside data_dir" else {}
    env = settings_env(root, **extra)
    key_file = Path(env["ATTUNIO_PATHS_KEY_FILE"])
    run_cli(env, "init")
    if where == "mode 0644":
        os.chmod(key_file, 0o644)
    expected = "has mode 0644" if where == "mode 0644" else "is inside data_dir"
    assert f"warning: store key file {key_file} {expected}" in run_cli(env, "init").stderr
    served = start_served(root, init=False, **extra)
    try:
        assert f"store key file {key_file} {expected}" in served.logs()
    finally:
        served.stop()

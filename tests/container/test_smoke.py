"""The container's runtime contract (scripts/container-smoke), proved without a container engine.

Each run builds the wheel, installs it into a fresh read-only venv, and runs the Containerfile's
entrypoint and health check as its unprivileged user; about a minute on an idle machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "scripts" / "container-smoke"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="switching to the image's user needs root"),
    pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) not installed"),
]


def smoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SMOKE), *args], capture_output=True, text=True, timeout=900, check=False, cwd=REPO
    )


def test_container_runtime_contract_holds() -> None:
    result = smoke()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for step in (
        "health check passed",
        "POST /v1/dmse/analyze: 200 over TLSv1.3",
        "stopped cleanly",
        "no writes outside the data directory",
        "PASSED",
    ):
        assert step in output, output


def test_container_smoke_fails_when_the_app_writes_outside_its_data_dir() -> None:
    result = smoke("--stray-write")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "the app wrote outside its data directory" in output, output
    assert "stray-write.txt" in output

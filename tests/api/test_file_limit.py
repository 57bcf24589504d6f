"""The open-file limit is raised to fit server.max_connections, or a warning says it cannot be
(run in a child process, so the test session's own limits are untouched)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PROBE = ("import resource, sys; from attunio.api.connection_limits import ensure_file_limit; "
         "w = ensure_file_limit(int(sys.argv[1])); print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], w)")


def probe(soft: int, hard: int, max_connections: int) -> str:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    result = subprocess.run([sys.executable, "-c", PROBE, str(max_connections)], preexec_fn=limit,
                            env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


@pytest.mark.parametrize(("soft", "hard", "connections", "expected"), [
    (128, 4096, 512, "576 None"),          # raised to fit
    (128, 128, 512, "128 the open-file limit (128) is below server.max_connections + 64 (576)"),
    (1024, 1024, 512, "1024 None"),        # already enough
])
def test_the_file_limit_fits_the_connection_cap(soft: int, hard: int, connections: int, expected: str) -> None:
    assert probe(soft, hard, connections).startswith(expected)

"""The image's runtime venv leaves out what serving never imports (container/runtime-excludes.txt)
and the vendor tool. These tests serve the appliance from the source tree with exactly those
modules made unimportable, so a new import of one of them fails here, not first in the image."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.conftest import free_port, run_cli, settings_env, wait_ready
from tests.logscan import SERVED_LOGS

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "container"))
from runtime_lock import canonical, excluded_names, runtime_lock  # noqa: E402

EXCLUDES = excluded_names((REPO / "container" / "runtime-excludes.txt").read_text())

pytestmark = pytest.mark.e2e


def blocked_modules() -> set[str]:
    """Top-level modules of every excluded distribution, plus the vendor tool's package."""
    modules = {"attunio_vendor"}
    for module, dists in importlib.metadata.packages_distributions().items():
        if any(canonical(dist) in EXCLUDES for dist in dists):
            modules.add(module)
    return modules


def blocker_env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    site = tmp_path / "blocker"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\n"
        f"BLOCKED = {sorted(blocked_modules())!r}\n"
        "class Blocked:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ModuleNotFoundError(f'{name} is not in the image', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Blocked())\n"
    )
    return {**os.environ, **extra, "PYTHONPATH": f"{site}{os.pathsep}{REPO / 'src'}"}


def test_the_excluded_distributions_are_installed_here_so_blocking_them_means_something() -> None:
    assert {"faker", "polyfactory", "attunio_vendor"} <= blocked_modules()


def test_runtime_lock_drops_exactly_the_excluded_pins() -> None:
    lock = (REPO / "requirements.lock").read_text()
    kept = runtime_lock(lock, EXCLUDES)
    names = {canonical(line.split("==")[0]) for line in kept.splitlines() if "==" in line}
    assert not names & EXCLUDES
    assert len(names) == len([line for line in lock.splitlines() if "==" in line]) - len(EXCLUDES)
    with pytest.raises(SystemExit, match="does not pin: no-such-package"):
        runtime_lock(lock, {*EXCLUDES, "no-such-package"})


def test_the_appliance_serves_without_the_excluded_packages(tmp_path: Path) -> None:
    port = free_port()
    env = settings_env(tmp_path, ATTUNIO_SERVER_PORT=str(port))
    full = blocker_env(tmp_path, env)
    probe = subprocess.run([sys.executable, "-c", "import faker"], env=full, capture_output=True, text=True,
                           check=False)
    assert probe.returncode == 1 and "faker is not in the image" in probe.stderr  # the blocker works
    run_cli(env, "init")
    log_path = tmp_path / "server.log"
    SERVED_LOGS.append(log_path)
    with log_path.open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "attunio", "serve"], env=full, stdout=log,
                                  stderr=subprocess.STDOUT, cwd=REPO)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server, log_path)
        created = subprocess.run(
            [sys.executable, "-m", "attunio", "keys", "create", "--app", "Slim", "--create-app",
             "--type", "secret", "--mode", "test"], env=full, capture_output=True, text=True, timeout=60, check=True)
        key = created.stdout.strip().splitlines()[-1]
        case = json.loads((REPO / "tests" / "conformance" / "dmse-quickstart.json").read_text())
        request = case["request"]
        with httpx.Client(base_url=base, timeout=30) as http:
            answer = http.request(request["method"], request["path"], json=request["body"],
                                  headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == case["expect"]["status"], answer.text
            assert answer.json()["data"]["object"] == "dmse.analysis"
            assert "/v1/dmse/analyze" in http.get("/v1/openapi.json").json()["paths"]
        health = subprocess.run([sys.executable, "-m", "attunio.healthcheck"], env=full, capture_output=True,
                                text=True, timeout=60, check=False)
        assert health.returncode == 0, health.stdout + health.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "is not in the image" not in log_path.read_text()

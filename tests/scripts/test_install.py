"""The install scripts' decisions, run for real with the package managers replaced by recorders
(a test must not install or upgrade this machine's packages): apt-get waits for its lock and
installs only what is missing; a dev venv satisfies the runtime; a fresh clone tests green."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def fake_system(tmp_path: Path, missing: str) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    tool(bin_dir, "apt-get", f'echo "apt-get $*" >> {calls}')
    tool(bin_dir, "dpkg-query", f'for m in {missing}; do [ "${{@: -1}}" = "$m" ] && exit 1; done; '
                                'echo -n "install ok installed"')
    tool(bin_dir, "node", 'echo 1.0.0')  # playwright-core "installed" at the pinned version
    tool(bin_dir, "npm", f'echo "npm $*" >> {calls}')
    for name in ("chromium", "espeak-ng", "sox"):
        tool(bin_dir, name, f'echo "{name} 1.0"')
    return {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}, calls


@pytest.mark.skipif(os.geteuid() != 0, reason="the script installs only as root; as another user it asks for sudo")
def test_apt_get_waits_for_the_lock_and_installs_only_what_is_missing(tmp_path: Path) -> None:
    env, calls = fake_system(tmp_path, "sox ca-certificates")
    result = subprocess.run(["bash", str(REPO / "scripts" / "install-browser-deps")], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("apt-get -o DPkg::Lock::Timeout=300") and lines[0].endswith(" update")
    install = lines[1]
    assert "-o DPkg::Lock::Timeout=300" in install and "--no-upgrade" in install
    assert install.split("--no-upgrade ")[1].split() == ["sox", "ca-certificates"]  # never openssl or curl


@pytest.mark.skipif(os.geteuid() != 0, reason="the script installs only as root; as another user it asks for sudo")
def test_nothing_missing_means_no_apt_get_at_all(tmp_path: Path) -> None:
    env, calls = fake_system(tmp_path, "")
    result = subprocess.run(["bash", str(REPO / "scripts" / "install-browser-deps")], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert not calls.exists()


def test_a_dev_venv_satisfies_the_runtime_and_is_not_reinstalled(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    tool(bin_dir, "uv", f'echo "uv $*" >> {calls}')
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ATTUNIO_VENV": str(venv)}

    def ensure(kind: str) -> list[str]:
        script = f'source {REPO}/scripts/lib/env.sh; ensure_venv {kind}'
        subprocess.run(["bash", "-c", script], env=env, check=True, capture_output=True, timeout=60)
        return calls.read_text().splitlines() if calls.exists() else []

    first = ensure("dev")
    assert len(first) == 2 and "requirements-dev.lock" in first[0] and "-e" in first[1].split()
    assert ensure("") == first  # scripts/run after scripts/test: nothing installed
    assert ensure("dev") == first  # and back again


def test_a_fresh_clone_with_no_shared_folder_passes_the_contract_tests(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout, so there is nothing to clone")
    clone = tmp_path / "empty" / "attunio"  # no shared folder beside it
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], check=True, timeout=120)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", head], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("CONFORMANCE_DIR", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/conformance",
         "tests/api/test_conformance.py", "tests/engines/test_conformance_engines.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    # Nothing skipped: the copy is checked against its digest record whether or not the shared folder exists.
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-3000:]

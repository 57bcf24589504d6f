"""A throw-away appliance instance for the benchmark: its own store, a raised sandbox quota, a
sandbox key and, when this build has licensing, a development license signed by a throw-away vendor
key and a live key, so that every measured answer is a real `200`."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import appliance_python, python_env

SANDBOX_QUOTA = 10_000_000  # the setting's upper bound: far more than one run sends


@dataclass
class Instance:
    root: Path
    env: dict[str, str]
    sandbox_key: str
    live_key: str | None
    live_note: str

    def cli(self, *args: str) -> str:
        return run_cli(self.env, *args)


def run_cli(env: dict[str, str], *args: str, module: str = "attunio") -> str:
    entry = "attunio.cli.main" if module == "attunio" else f"{module}.cli"
    cmd = [appliance_python(), "-c", f"from {entry} import main; main()", *args]
    result = subprocess.run(cmd, env=python_env(env), capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def has_licensing() -> bool:
    return importlib.util.find_spec("attunio.cli.license") is not None


def has_tls() -> bool:
    return importlib.util.find_spec("attunio.tls") is not None


def create(root: Path) -> Instance:
    root.mkdir(parents=True, exist_ok=True)
    env = {
        "ATTUNIO_PATHS_DATA_DIR": str(root / "data"),
        "ATTUNIO_PATHS_KEY_FILE": str(root / "secrets" / "store.key"),
        "ATTUNIO_BILLING_SANDBOX_DAILY_QUOTA": str(SANDBOX_QUOTA),
        "ATTUNIO_SERVER_HOST": "127.0.0.1",
        "ATTUNIO_SERVER_WORKERS": "1",
        "ATTUNIO_TLS_ENABLED": "false",
    }
    live_note = ""
    if has_licensing():
        vendor = root / "vendor"
        run_cli(env, "keygen", "--out", str(vendor), module="attunio_vendor")
        env["ATTUNIO_TRUST_EXTRA_VENDOR_KEYS"] = json.dumps([f"{vendor}.pub"])
    run_cli({**env, "ATTUNIO_TLS_ENABLED": "true"}, "init")  # also makes the self-signed certificate
    sandbox = _new_key(env, "test")
    live: str | None = None
    if has_licensing():
        today = datetime.now(UTC).date()
        license_file = root / "bench.license"
        run_cli(env, "issue-license", "--key", f"{root / 'vendor'}.key", "--license-id", f"bench-{today}",
                "--licensee", "Benchmark", "--plan", "development", "--allowance", "1000000000",
                "--production-access", "--valid-from", str(today - timedelta(days=1)),
                "--expires", str(today + timedelta(days=30)), "-o", str(license_file), module="attunio_vendor")
        run_cli(env, "license", "install", str(license_file))
        live = _new_key(env, "live")
    else:
        live_note = "this build has no licensing: live keys are refused with 402, so live rows are skipped"
    return Instance(root=root, env=env, sandbox_key=sandbox, live_key=live, live_note=live_note)


def copy(inst: Instance, root: Path) -> Instance:
    """The same store, keys and license in another directory: one `attunio serve` per data
    directory, so servers that run side by side each get their own copy."""
    shutil.copytree(inst.root, root)
    env = {**inst.env, "ATTUNIO_PATHS_DATA_DIR": str(root / "data"),
           "ATTUNIO_PATHS_KEY_FILE": str(root / "secrets" / "store.key")}
    return Instance(root=root, env=env, sandbox_key=inst.sandbox_key, live_key=inst.live_key,
                    live_note=inst.live_note)


def _new_key(env: dict[str, str], mode: str) -> str:
    out = run_cli(env, "keys", "create", "--app", "Bench", "--create-app", "--type", "secret", "--mode", mode,
                  "--label", f"bench-{mode}")
    return out.strip().splitlines()[-1]

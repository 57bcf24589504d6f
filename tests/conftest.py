"""Shared fixtures: a real encrypted store in a temporary directory, the app over ASGI, and the
appliance served as a real process on a free port (see `served`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from attunio.api.app import create_app
from attunio.api.edge import Edge
from attunio.api.runtime import Runtime
from attunio.clock import SystemClock
from attunio.config import Settings, load_settings
from attunio.services.operations.instance import ensure_instance
from attunio.services.request_path.access import AccessService
from attunio.store import Store, create_key_file

REPO = Path(__file__).resolve().parents[1]
ALLOWED_ORIGIN = "https://telehealth.example"
# Every log file a served appliance wrote and every key or token handed out in this session, kept in
# tests/logscan.py (one module object, whichever name pytest imports this conftest under) and read
# after the last test (see `log_scan` below).
from tests.logscan import FIGURES, ISSUED_SECRETS, SERVED_LOGS  # noqa: E402
from tests.pg_cluster import PgCluster, make_cluster, remove_cluster  # noqa: E402


def settings_env(root: Path, **extra: str) -> dict[str, str]:
    """ATTUNIO_* variables for an instance rooted at `root` (plain HTTP unless a test asks for TLS)."""
    env = {
        "ATTUNIO_PATHS_DATA_DIR": str(root / "data"),
        "ATTUNIO_PATHS_KEY_FILE": str(root / "secrets" / "store.key"),
        "ATTUNIO_TLS_ENABLED": "false",
    }
    env.update(extra)
    return env


def make_settings(root: Path, **extra: str) -> Settings:
    return load_settings(REPO / "config" / "attunio.toml", settings_env(root, **extra))


def init_store(settings: Settings) -> Store:
    create_key_file(settings.key_file)
    store = Store.open(settings, create=True)
    ensure_instance(store)
    return store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = init_store(settings)
    yield store
    store.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgCluster]:
    """One throw-away PostgreSQL cluster for the whole run (tests/pg_cluster.py), TLS only."""
    cluster = make_cluster(free_port())
    yield cluster
    remove_cluster(cluster)


@pytest.fixture
def pg_url(postgres: PgCluster) -> str:
    """A `store.url` naming a new, empty database of that cluster."""
    return postgres.url(postgres.create_database())


@pytest.fixture
def access(store: Store) -> AccessService:
    return AccessService(store, SystemClock())


@dataclass
class Keys:
    access: AccessService
    app: str = "Conformance"
    made: dict[str, str] = field(default_factory=dict)

    def issue(self, key_type: str = "secret", mode: str = "test", origins: list[str] | None = None) -> str:
        if not any(a.name == self.app for a in self.access.list_apps()):
            self.access.create_app(self.app, actor="test")
        _, key = self.access.create_key(self.app, key_type, mode, actor="test", origins=origins)  # type: ignore[arg-type]
        ISSUED_SECRETS.add(key)
        return key


@pytest.fixture
def keys(access: AccessService) -> Keys:
    return Keys(access)


@pytest.fixture
def app(settings: Settings, store: Store) -> Edge:
    return create_app(settings, store)


@pytest.fixture
def runtime(app: Edge) -> Runtime:
    """The running app's runtime, for tests that reach in (a failing engine, the body cap)."""
    return app.app.state.runtime  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Edge) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(app) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """An `attunio serve` process and what a test needs to talk to it and to its store."""

    root: Path
    env: dict[str, str]
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args, check=check)

    def new_key(self, key_type: str = "secret", mode: str = "test", origins: tuple[str, ...] = (),
                app: str = "E2E") -> str:
        args = ["keys", "create", "--app", app, "--create-app", "--type", key_type, "--mode", mode]
        for origin in origins:
            args += ["--origin", origin]
        key = self.cli(*args).stdout.strip().splitlines()[-1]
        ISSUED_SECRETS.add(key)
        return key

    def stop(self, sig: int | None = None) -> None:
        if self.process.poll() is None:
            if sig is None:
                self.process.terminate()
            else:
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def access_lines(self) -> list[dict[str, Any]]:
        lines = []
        for text in self.logs().splitlines():
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("logger") == "attunio.access":
                lines.append(line)
        return lines

    def workers_answering(self, request: Callable[[], httpx.Response], status: int, workers: int,
                          timeout: float = 90.0) -> set[int]:
        """Send `request()` (a fresh connection each time, so the kernel spreads them) until the
        access log shows answers with `status` from `workers` distinct worker processes; every
        answer must have that status. Access lines are written just after the answer, so this
        keeps sending until they have landed."""
        def pids() -> set[int]:
            return {line["pid"] for line in self.access_lines()
                    if line["status"] == status and line["request_id"] in sent}

        sent: set[str] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = request()
            assert answer.status_code == status, f"expected {status}, got {answer.status_code}: {answer.text}"
            sent.add(answer.headers["request-id"])
            seen = pids()
            if len(seen) >= workers:
                return seen
        raise AssertionError(f"answers with {status} came from {pids()} only, not {workers} workers")


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-m", "attunio", *args], env=full_env, capture_output=True,
                            text=True, timeout=60, cwd=REPO, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"attunio {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path, verify: object = False,
               timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url + "/readyz", verify=verify, timeout=1.0).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not ready within {timeout}s:\n{log_path.read_text()}")


def start_served(root: Path, *, workers: int = 1, scheme: str = "http", init: bool = True,
                 ready_verify: object = False, **extra: str) -> Served:
    """`ready_verify`: what the readiness poll trusts and presents (an SSLContext with a client
    certificate when the appliance requires one)."""
    port = free_port()
    env = settings_env(root, ATTUNIO_SERVER_PORT=str(port), ATTUNIO_SERVER_WORKERS=str(workers), **extra)
    if init:
        run_cli(env, "init")
    log_path = root / "server.log"
    SERVED_LOGS.append(log_path)
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "attunio", "serve"], env={**os.environ, **env,
                               "PYTHONPATH": str(REPO / "src")}, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    served = Served(root=root, env=env, base_url=f"{scheme}://127.0.0.1:{port}", process=process,
                    log_path=log_path)
    wait_ready(served.base_url, process, log_path, verify=ready_verify)
    return served


@pytest.fixture
def serve_appliance(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `attunio serve` as a real process; call with workers=N and ATTUNIO_* overrides."""
    started: list[Served] = []

    def start(**kwargs: object) -> Served:
        served = start_served(tmp_path / f"instance{len(started)}", **kwargs)  # type: ignore[arg-type]
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def served(serve_appliance: Callable[..., Served]) -> Served:
    return serve_appliance()


# --- reliability: release-size runs, run figures, and the session-end log scan ---------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", default=False,
                     help="Release-check sizes for the fuzz and crash runs (docs/security.md).")


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--long"))


@pytest.fixture(scope="session")
def figures() -> dict[str, object]:
    """Counts that docs/security.md quotes (requests fuzzed, crash rounds…), printed at the end."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: object, exitstatus: int, config: pytest.Config) -> None:
    if FIGURES.get("log_files_scanned") or set(FIGURES) - {"log_files_scanned", "log_lines_scanned"}:
        import json

        terminalreporter.write_sep("-", "reliability figures")  # type: ignore[attr-defined]
        terminalreporter.write_line(json.dumps(FIGURES, sort_keys=True))  # type: ignore[attr-defined]


@pytest.fixture(scope="session", autouse=True)
def log_scan() -> Iterator[None]:
    """After the whole session: no line any served appliance printed holds a key, a token, a body
    or a sessionRef (tests/logscan.py says exactly what is looked for)."""
    yield
    from tests.logscan import scan

    problems, lines = scan(SERVED_LOGS, ISSUED_SECRETS)
    FIGURES["log_lines_scanned"] = lines
    FIGURES["log_files_scanned"] = len(SERVED_LOGS)
    assert not problems, "secrets or payloads in appliance logs:\n" + "\n".join(problems[:20])

"""Processes and load: start a server pinned to its own cores, wait until it answers, drive it with
wrk pinned to the other cores, read its resident memory."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LUA = REPO / "benchmarks" / "post.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_split() -> tuple[str | None, str | None]:
    """Server cores and load-generator cores: the first half for the server, the rest for wrk.
    On a single core (or without taskset) both share everything."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return None, None
    half = len(cpus) // 2
    return ",".join(map(str, cpus[:half])), ",".join(map(str, cpus[half:]))


def pinned(cpus: str | None, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", cpus, *cmd] if cpus else cmd


def python_env(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment without its own ATTUNIO_* settings, plus the bench instance's."""
    path = os.pathsep.join([str(REPO / "src"), str(REPO)])
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNIO_")}
    return {**inherited, **extra, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    ready_s: float = 0.0
    ready_cpu_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def rss_mb(self) -> float:
        """Resident memory of the serving process; with several workers, the largest worker."""
        pids = [self.process.pid, *_children(self.process.pid)]
        return max(_rss_kb(pid) for pid in pids) / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time of the serving process (and its workers) so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        return sum(_cpu_ticks(pid) for pid in [self.process.pid, *_children(self.process.pid)]) / ticks

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _probe(base_url: str, path: str) -> int | None:
    host_port = base_url.split("://", 1)[1]
    host, port = host_port.rsplit(":", 1)
    conn: http.client.HTTPConnection
    if base_url.startswith("https"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # loopback probe of a self-signed bench instance
        conn = http.client.HTTPSConnection(host, int(port), timeout=1, context=context)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=1)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def start(name: str, cmd: list[str], env: dict[str, str], base_url: str, log_path: Path, *,
          ready_path: str, ready_status: int = 200, timeout: float = 30.0) -> Server:
    """Start `cmd` and poll `ready_path` every 5 ms; `ready_s` is the time from spawn to the first
    answer with `ready_status`."""
    log = log_path.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    server = Server(name, process, base_url, log_path)
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        if _probe(base_url, ready_path) == ready_status:
            server.ready_s = time.perf_counter() - started
            server.ready_cpu_s = server.cpu_seconds()
            return server
        time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"{name} not ready within {timeout}s:\n{log_path.read_text()[-3000:]}")


@dataclass(frozen=True)
class Load:
    seconds: float
    warmup: float
    connections: int
    threads: int
    cpus: str | None


@dataclass
class Result:
    requests: int
    seconds: float
    non200: int
    first_bad_status: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    cpu_s: float = 0.0

    @property
    def cpu_us_per_request(self) -> float:
        """Server CPU per answer: unlike req/s, it does not depend on how much of its core the
        server got, so it stays comparable on a machine that is not idle."""
        return self.cpu_s / self.requests * 1e6 if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def clean(self) -> bool:
        return self.non200 == 0 and self.socket_errors == 0 and self.requests > 0


def wrk(url: str, body_file: Path, key: str | None, load: Load, seconds: float) -> Result:
    cmd = pinned(load.cpus, ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{max(1, round(seconds))}s",
                             "--latency", "--timeout", "10s", "-s", str(LUA), url])
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_KEY": key or ""}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return Result(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non200=raw["non200"],
        first_bad_status=raw["first_bad_status"],
        socket_errors=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
    )


def measure(server: Server, url: str, body_file: Path, key: str | None, load: Load) -> tuple[Result, Result]:
    """A warm-up run, then the measured run; both are returned so neither can hide a non-200."""
    warm = wrk(url, body_file, key, load, load.warmup)
    before = server.cpu_seconds()
    result = wrk(url, body_file, key, load, load.seconds)
    result.cpu_s = server.cpu_seconds() - before
    return warm, result


APPLIANCE_PYTHON = [sys.executable]


def python() -> str:
    """The interpreter the peers and this process run under (the dev pins)."""
    return sys.executable


def appliance_python() -> str:
    """The interpreter the appliance runs under: the runtime pins only, as shipped."""
    return APPLIANCE_PYTHON[0]

"""Fixtures for TLS tests: a self-signed appliance certificate, a hospital PKI, and real
uvicorn server processes serving over TLS with the appliance's context factory."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from attunio.config import TlsSettings
from attunio.tls.certs import Issued, ensure_self_signed

from . import pki

SERVE = Path(__file__).with_name("_serve.py")
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Pki:
    root: Path
    appliance: Issued
    hospital_ca: Path
    client_cert: Path
    client_key: Path
    rogue_client_cert: Path
    rogue_client_key: Path
    revoked_client_cert: Path
    revoked_client_key: Path
    hospital_crl: Path


@pytest.fixture(scope="session")
def tls_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    data_dir = root / "data"
    issued = ensure_self_signed(TlsSettings(hostnames=["attunio.test"]), data_dir, dt.datetime.now(dt.UTC))
    assert issued is not None
    hospital = pki.make_ca("Hospital Test CA")
    rogue = pki.make_ca("Some Other CA")
    ca_path, _ = hospital.write(root, "hospital-ca")
    client_cert, client_key = pki.issue(hospital, "ehr-engine", client=True).write(root, "client")
    rogue_cert, rogue_key = pki.issue(rogue, "ehr-engine", client=True).write(root, "rogue")
    retired = pki.issue(hospital, "retired-engine", client=True)
    revoked_cert, revoked_key = retired.write(root, "revoked")
    crl = root / "hospital.crl"
    crl.write_bytes(pki.make_crl(hospital, [retired.cert]))
    return Pki(root, issued, ca_path, client_cert, client_key, rogue_cert, rogue_key, revoked_cert, revoked_key, crl)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def start_server(workdir: Path, data_dir: Path, tls: dict[str, object]) -> Served:
    config = workdir / "attunio.toml"
    lines = ["[paths]", f"data_dir = {_toml_value(str(data_dir))}", "[tls]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in tls.items()]
    config.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNIO_")}
    env["ATTUNIO_CONFIG"] = str(config)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(SERVE.parents[2])])
    port = free_port()
    log = workdir / "server.log"
    with log.open("wb") as out:
        # A file, not a pipe: a chatty server must never block on a full pipe.
        process = subprocess.Popen(
            [sys.executable, str(SERVE), str(port)], env=env, cwd=workdir, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Served(port, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start listening within 20 s")


def stop_server(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory, tls_pki: Pki) -> Iterator[Callable[..., Served]]:
    """Start a server with the given [tls] settings; it is stopped at the end of the module."""
    started: list[Served] = []

    def _serve(**tls: object) -> Served:
        workdir = tmp_path_factory.mktemp("serve")
        served = start_server(workdir, tls_pki.root / "data", tls)
        started.append(served)
        return served

    yield _serve
    for served in started:
        stop_server(served)


def client_context(
    tls_pki: Pki,
    *,
    version: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
    cert: tuple[Path, Path] | None = None,
) -> ssl.SSLContext:
    """A verifying client. `version` pins both ends of the range. @SECLEVEL=0 lets this client
    offer legacy protocols and suites, so a refusal can only come from the server."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=tls_pki.appliance.cert_file)
    ctx.set_ciphers((ciphers or "ALL") + ":@SECLEVEL=0")
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


@dataclass
class Answer:
    version: str | None
    cipher: str
    status: int
    headers: dict[str, str]
    body: bytes


class Refused(Exception):
    """The server ended the connection; `phase` is "handshake" or "request"."""

    def __init__(self, phase: str, cause: BaseException | None) -> None:
        super().__init__(f"refused during {phase}: {cause}")
        self.phase = phase


def get(port: int, ctx: ssl.SSLContext, path: str = "/healthz", host: str = "localhost") -> Answer:
    """One HTTP/1.1 request over a fresh TLS connection; raises Refused if the server ends it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            tls = ctx.wrap_socket(raw, server_hostname=host)
        except (ssl.SSLError, ConnectionError) as exc:
            raise Refused("handshake", exc) from exc
        with tls:
            version, cipher = tls.version(), tls.cipher()
            data = b""
            try:
                tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                while chunk := tls.recv(65536):
                    data += chunk
            except (ssl.SSLError, ConnectionError) as exc:
                raise Refused("request", exc) from exc
            if not data:
                raise Refused("request", None)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(version, cipher[0] if cipher else "", int(status_line.split()[1]), headers, body)

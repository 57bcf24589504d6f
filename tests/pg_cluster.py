"""A throw-away PostgreSQL cluster for the tests: Debian's server binaries (scripts/lib/env.sh
`ensure_postgres`), `initdb` into a fresh folder, `pg_ctl` on a free loopback port, TLS only.

The server certificate is issued by a CA made here (tests/tls/pki.py) for `localhost`, and every
URL handed out carries that CA as `sslrootcert`, so the appliance's default `sslmode=verify-full`
is what the tests exercise. PostgreSQL refuses to run as root: when the tests run as root (CI), the
cluster's folder belongs to `nobody` and the server commands run through `runuser`.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from tests.tls import pki

SERVER_USER = "nobody"


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: scripts/test installs them "
                           "(scripts/lib/env.sh ensure_postgres), or run 'apt-get install postgresql'")
    return Path(found[-1]).parent


def _as_server(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PgCluster:
    root: Path
    port: int
    password: str = field(default_factory=lambda: secrets.token_hex(16))
    user: str = "attunio"
    made: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def ca_file(self) -> Path:
        return self.root / "ca.pem"

    def _run(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(_as_server(list(args)), capture_output=True, text=True, timeout=timeout,
                                check=False, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        ca = pki.make_ca("Attunio test database CA")
        ca_cert, _ = ca.write(self.root, "ca")
        server_cert, server_key = pki.issue(ca, "localhost", client=False, dns=("localhost",)).write(
            self.root, "server")
        os.chmod(server_key, 0o600)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, SERVER_USER)
            for path in (ca_cert, server_cert, server_key, pwfile):
                shutil.chown(path, SERVER_USER)
        self._run(str(bindir() / "initdb"), "-D", str(self.data), "-U", self.user, "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                f"ssl = on\nssl_cert_file = '{server_cert}'\nssl_key_file = '{server_key}'\n"
                # Durability against an OS crash is not what these tests are about; speed is.
                "fsync = off\nsynchronous_commit = on\nfull_page_writes = off\nmax_connections = 200\n"
                "shared_buffers = 64MB\n")
        # TCP only over TLS with a password; the socket (for the tests' own admin work) trusts.
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
        if os.geteuid() == 0:
            shutil.chown(self.data / "pg_hba.conf", SERVER_USER)

    def start(self) -> None:
        self._run(str(bindir() / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(bindir() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection over the cluster's own socket (trust), for the tests' set-up."""
        return psycopg.connect(host=str(self.root), port=self.port, user=self.user, dbname=dbname,
                               autocommit=True)

    def create_database(self) -> str:
        self.made += 1
        name = f"t{os.getpid()}_{self.made}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def url(self, dbname: str, **params: str) -> str:
        """What `store.url` holds: TCP to `localhost`, TLS verified against the test CA."""
        query = "&".join(f"{k}={quote(v)}" for k, v in {"sslrootcert": str(self.ca_file), **params}.items())
        return f"postgresql://{self.user}:{self.password}@localhost:{self.port}/{dbname}?{query}"

    def wait_accepting(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.admin().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def make_cluster(port: int) -> PgCluster:
    # Not under pytest's own folder: that one is root's, mode 0700, and the server runs as `nobody`.
    root = Path(tempfile.mkdtemp(prefix="attunio-pg-"))
    os.chmod(root, 0o755)
    cluster = PgCluster(root=root, port=port)
    cluster.init()
    cluster.start()
    return cluster


def remove_cluster(cluster: PgCluster) -> None:
    try:
        if cluster.running():
            cluster.stop("immediate")
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)

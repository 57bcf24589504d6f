"""The checks of `attunio doctor`: each looks at one thing and says ok, warn or fail, with a fix.

A check reads only; none changes the store, the files or the network. Thresholds here are design
choices for a single-host appliance, written where they are used and in docs/operations.md.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from attunio.config import Settings

Status = Literal["ok", "warn", "fail"]
RANK = {"ok": 0, "warn": 1, "fail": 2}

GIB = 1024**3
DISK_WARN_BYTES, DISK_FAIL_BYTES = 2 * GIB, 256 * 1024**2  # a backup needs room for a full copy
INODES_WARN, INODES_FAIL = 0.05, 0.01  # fraction of inodes still free
CERT_WARN_DAYS = 30  # as `attunio tls show` and /readyz warn
LICENSE_WARN_DAYS = 30  # time to get a renewal signed and carried over
BACKUP_WARN, BACKUP_FAIL = timedelta(hours=26), timedelta(days=7)  # nightly backups, a day's slack
CLOCK_TOLERANCE = timedelta(hours=1)  # as licensing judges a clock set back
SECRET_WORDS = ("token", "password", "secret", "passphrase")
CHECK_NAMES = ("settings", "disk space", "inodes", "store key file", "key location", "store", "data directory",
               "database", "database TLS", "change notices", "certificate", "client CRL", "clock", "license",
               "last backup", "port")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def worst(checks: list[Check]) -> Status:
    return max((c.status for c in checks), key=RANK.__getitem__, default="ok")


def redacted_settings(settings: Settings) -> dict[str, Any]:
    """Every setting in force; any text whose name says it holds a secret (and is not a file path) is
    replaced by `<redacted>`, so the output can be pasted into a ticket. Numbers and flags are never
    secrets (`cds.max_token_lifetime_seconds` is a duration)."""
    data: dict[str, Any] = msgspec.to_builtins(settings)
    for section in data.values():
        if isinstance(section, dict):
            for name, value in section.items():
                secret = any(word in name for word in SECRET_WORDS) and not name.endswith("_file")
                if secret and isinstance(value, str | list) and value not in ("", []):
                    section[name] = "<redacted>"
    if data["store"]["url"]:  # a database URL may carry a password: only the parts that locate it are shown
        from attunio.store.pg import redacted

        data["store"]["url"] = redacted(settings.store.url)
    return data


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(settings: Settings) -> list[Check]:
    where = _existing(settings.data_dir.resolve())
    usage = shutil.disk_usage(where)
    free = f"{usage.free / GIB:.1f} GiB free of {usage.total / GIB:.1f} GiB on {where}"
    fix = "free space on the data volume or move paths.data_dir to a larger one"
    if usage.free < DISK_FAIL_BYTES:
        checks = [Check("disk space", "fail", free, fix)]
    elif usage.free < DISK_WARN_BYTES:
        checks = [Check("disk space", "warn", free, fix)]
    else:
        checks = [Check("disk space", "ok", free)]
    vfs = os.statvfs(where)
    if vfs.f_files == 0:  # filesystems without fixed inodes (btrfs, some overlays) report none
        checks.append(Check("inodes", "ok", f"{where}: no fixed inode table"))
    else:
        share = vfs.f_favail / vfs.f_files
        detail = f"{vfs.f_favail} of {vfs.f_files} inodes free ({share:.1%})"
        status: Status = "fail" if share < INODES_FAIL else "warn" if share < INODES_WARN else "ok"
        checks.append(Check("inodes", status, detail, "" if status == "ok" else "remove small files on the volume"))
    return checks


def check_key_file(settings: Settings) -> list[Check]:
    key = settings.key_file.resolve()
    if not key.exists():
        return [Check("store key file", "fail", f"{key} does not exist",
                      "run `attunio init` (new install) or restore the key file from its backup")]
    info = key.stat()
    checks = []
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if loose:
        checks.append(Check("store key file", "fail", f"{key} is mode {stat.S_IMODE(info.st_mode):04o}: "
                            "others can read the store key", f"chmod 600 {key}"))
    elif info.st_uid != os.getuid():
        checks.append(Check("store key file", "warn", f"{key} belongs to uid {info.st_uid}, not this user",
                            "chown the key file to the user that runs the appliance"))
    else:
        checks.append(Check("store key file", "ok", f"{key} (mode {stat.S_IMODE(info.st_mode):04o})"))
    data_dir = settings.data_dir.resolve()
    if key.is_relative_to(data_dir):
        checks.append(Check("key location", "warn", f"the key file is inside the data directory {data_dir}: "
                            "a copy of the volume carries the key that opens it",
                            "move the key out of paths.data_dir (e.g. a secret mount) and set paths.key_file"))
    else:
        checks.append(Check("key location", "ok", "outside the data directory"))
    return checks


def check_store(settings: Settings, open_store: Callable[[], Any]) -> tuple[list[Check], Any]:
    """The store opens with its key and passes SQLite's quick_check; returns the open store or None."""
    from attunio.store import StoreError

    if settings.store.url:
        return _check_database(open_store)
    path = settings.store_path.resolve()
    if not path.exists():
        return [Check("store", "fail", f"no store at {path}", "run `attunio init`")], None
    try:
        store = open_store()
    except StoreError as exc:
        return [Check("store", "fail", str(exc), "give the appliance the key file this store was made with")], None
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file() and
               p.name in (path.name, path.name + "-wal", path.name + "-shm"))
    if not store.integrity_ok():
        return [Check("store", "fail", f"{path} fails PRAGMA quick_check",
                      "stop the appliance and restore the latest backup (`attunio restore FILE`)")], store
    mode = stat.S_IMODE(path.parent.stat().st_mode)
    checks = [Check("store", "ok", f"{path}: opens with its key, quick_check ok, {size / 1024**2:.1f} MiB")]
    if mode & 0o077:
        checks.append(Check("data directory", "warn", f"{path.parent} is mode {mode:04o}",
                            f"chmod 700 {path.parent}"))
    return checks, store


def _check_database(open_store: Callable[[], Any]) -> tuple[list[Check], Any]:
    """The PostgreSQL store: reached over verified TLS, its schema current, its secrets opened by the key
    file, and this process hearing the other replicas' changes."""
    from attunio.store import StoreError

    try:
        store = open_store()
    except StoreError as exc:
        return [Check("database", "fail", str(exc), "check store.url, the CA in sslrootcert, pg_hba.conf and "
                      "that the key file is the one every replica shares")], None
    store.serving()  # as `serve` would: LISTEN on the database, to see that it works here
    info = store.describe()
    checks = [Check("database", "ok", f"{info['url']}: PostgreSQL {info['server_version'].split()[0]}, schema "
                    "current, sealed secrets open with the key file")]
    if not info["tls"]:
        checks.append(Check("database TLS", "fail", "the connection to the database is not encrypted",
                            "remove sslmode=disable/allow/prefer from store.url; use verify-full"))
    else:
        checks.append(Check("database TLS", "ok", f"{info['tls_version']}, sslmode {info['sslmode']}"))
        if info["sslmode"] != "verify-full":
            checks[-1] = Check("database TLS", "warn", f"sslmode {info['sslmode']}: the server's name or "
                               "certificate is not fully checked", "drop sslmode from store.url (verify-full)")
    if not info["listening"]:
        checks.append(Check("change notices", "fail", "LISTEN on the database failed: other replicas' changes "
                            "are read on every request instead", "connect directly or through PgBouncer in "
                            "session mode (docs/high-availability.md)"))
    return checks, store


def check_certificate(settings: Settings, now: datetime) -> list[Check]:
    from attunio.tls.context import TlsError
    from attunio.tls.inspect import crl_warnings, summarize_configured

    if not settings.tls.enabled:
        return [Check("certificate", "warn", "TLS is off (tls.enabled = false): plain HTTP",
                      "serve TLS unless a TLS-terminating proxy on this host is in front")]
    try:
        summary = summarize_configured(settings.tls, settings.data_dir)
    except TlsError as exc:
        return [Check("certificate", "fail", str(exc), "run `attunio init` or fix tls.cert_file")]
    left = summary.days_left(now)
    where = f"{summary.path}, expires {summary.not_after:%Y-%m-%d}"
    renew = "renew the certificate (docs/deploy.md) and restart"
    if now >= summary.not_after or now < summary.not_before:
        checks = [Check("certificate", "fail", f"{where}: not valid now", renew)]
    elif left <= CERT_WARN_DAYS:
        checks = [Check("certificate", "warn", f"{where}: {int(left)} days left", renew)]
    else:
        checks = [Check("certificate", "ok", f"{where}: {int(left)} days left"
                        + (" (self-signed)" if summary.self_signed else ""))]
    if settings.tls.client_crl_file:
        problems = crl_warnings(Path(settings.tls.client_crl_file), now)
        fix = "fetch current CRLs into tls.client_crl_file and restart"
        if any("lapsed" in p or "cannot be read" in p for p in problems):
            checks.append(Check("client CRL", "fail", "; ".join(problems), fix))
        elif problems:
            checks.append(Check("client CRL", "warn", "; ".join(problems), fix))
        else:
            checks.append(Check("client CRL", "ok", f"{settings.tls.client_crl_file} current"))
    return checks


def check_clock(store: Any, now: datetime) -> Check:
    from attunio.clock import iso_ms
    from attunio.services.licensing.clock_mark import read_mark

    mark = read_mark(store)
    if mark is None:
        return Check("clock", "ok", f"{iso_ms(now)}; no clock mark recorded yet")
    if mark - now > CLOCK_TOLERANCE:
        return Check("clock", "fail", f"the system clock ({iso_ms(now)}) is behind the latest time this "
                     f"appliance has seen ({iso_ms(mark)})", "set the clock right (NTP); license expiry is "
                     "judged at the later time anyway")
    return Check("clock", "ok", f"{iso_ms(now)}; not behind the clock mark {iso_ms(mark)}")


def check_license(store: Any, settings: Settings, clock: Any) -> Check:
    from attunio.cli.billing_common import state_message, untrusted_licenses
    from attunio.crypto.trust import load_vendor_trust
    from attunio.services.licensing.registry import LicenseRegistry

    licenses = LicenseRegistry(store, load_vendor_trust(settings.trust.extra_vendor_keys), clock)
    state = licenses.state(clock.now())
    message = state_message(state, untrusted_licenses(licenses))
    live_keys = store.one("SELECT COUNT(*) FROM api_keys WHERE mode = 'live' AND revoked_at IS NULL")[0]
    if state.status == "grace":
        return Check("license", "warn", message, "install the renewed license: `attunio license install FILE`")
    if state.status == "refused":
        status: Status = "fail" if live_keys or state.reason != "no_license" else "warn"
        return Check("license", status, f"{message} Live keys are refused ({live_keys} active); sandbox keys work.",
                     "install a license from the vendor: `attunio license install FILE`")
    left = (state.expires_at - state.effective_now).days if state.expires_at else None
    detail = f"{state.license_id} valid" + (f", {left} days left" if left is not None else "")
    if left is not None and left <= LICENSE_WARN_DAYS:
        return Check("license", "warn", detail, "ask the vendor for the renewal now")
    return Check("license", "ok", detail)


def check_backup(store: Any, now: datetime) -> Check:
    from attunio.services.operations.backup import last_backup

    row = last_backup(store)
    fix = "schedule `attunio backup` nightly (docs/operations.md, Backup and restore runbook)"
    if row is None:
        return Check("last backup", "warn", "no backup recorded", fix)
    age = now - datetime.fromisoformat(str(row[0]))
    detail = f"{row[0]} ({age.total_seconds() / 3600:.0f} h ago)"
    if age > BACKUP_FAIL:
        return Check("last backup", "fail", detail, fix)
    if age > BACKUP_WARN:
        return Check("last backup", "warn", detail, fix)
    return Check("last backup", "ok", detail)


def _serving(settings: Settings) -> bool:
    """Whether an `attunio serve` holds this data directory's serve lock (tested, never kept)."""
    path = settings.data_dir / "serve.lock"
    if not path.exists():
        return False
    with path.open("r") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def check_port(settings: Settings) -> Check:
    host, port = settings.server.host, settings.server.port
    serving = _serving(settings)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if serving:
                return Check("port", "ok", f"{host}:{port} in use by this appliance (attunio serve is running)")
            if exc.errno == errno.EACCES:
                return Check("port", "fail", f"{host}:{port}: permission denied (ports below 1024 need privileges)",
                             "use a port of 1024 or more (server.port) and map it in the container")
            if exc.errno == errno.EADDRNOTAVAIL:
                return Check("port", "fail", f"{host} is not an address of this host", "fix server.host")
            return Check("port", "fail", f"{host}:{port} is in use by another program",
                         "stop that program or choose another server.port")
    return Check("port", "ok", f"{host}:{port} free (the appliance is not serving)")

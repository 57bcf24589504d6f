"""`attunio support-bundle`: what the vendor's support needs, and nothing a patient or a key is in.

The archive holds the doctor report (settings in force, secrets redacted), versions, and the recent
lines of the log files given, each rebuilt from an allow-list of the documented log fields: any
other field, any line that is not a log line, paths other than the appliance's own routes, and
anything shaped like a key or token are left out. The store, the key file and the TLS key are
never read.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import ssl
import sys
import tarfile
import time
from collections import deque
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from attunio import __version__
from attunio.cli.common import Context, echo_json, fail, json_option, pass_ctx
from attunio.cli.timeparse import InstantType

LOG_FIELDS = ("time", "level", "logger", "pid", "message", "request_id", "method", "path", "status", "duration_ms",
              "app", "key_prefix", "error_type", "where")
# Anything a key, a token or a store key could look like; replaced wherever it appears.
SECRET_SHAPES = re.compile(r"att_[a-z]+_[0-9A-Za-z_]{6,}|\b[0-9a-fA-F]{32,}\b|Bearer\s+\S+", re.IGNORECASE)
KEY_PREFIX = re.compile(r"^att_(?:sk|pk)_(?:test|live)_$")
FIXED_PATHS = {"/", "/healthz", "/readyz", "/demo", "/docs", "/metrics", "/v1/ping", "/v1/openapi.json"}
PACKAGES = ("litestar", "msgspec", "uvicorn", "sqlcipher3", "rich", "cryptography", "numpy", "click")
MAX_MESSAGE = 300
EXAMPLES = """Examples:

\b
  docker logs --since 24h attunio > /tmp/attunio.log 2>&1
  attunio support-bundle --log /tmp/attunio.log
  attunio support-bundle --log /var/log/attunio/app.log --since 7d -o /tmp/ticket-4711.tar.gz
"""


def _known_paths() -> set[str]:
    from attunio.engines import ENGINES

    return FIXED_PATHS | {spec.path for spec in ENGINES.values()}


def scrub(text: str) -> str:
    return SECRET_SHAPES.sub("<redacted>", text)


def clean_line(raw: str, paths: set[str], since: str | None) -> dict[str, Any] | None:
    """One log line rebuilt from the allowed fields, or None when it is not a log line or too old."""
    try:
        line = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(line, dict) or not isinstance(line.get("time"), str):
        return None
    if since is not None and line["time"] < since:
        return None
    kept: dict[str, Any] = {}
    for name in LOG_FIELDS:
        value = line.get(name)
        if value is None:
            continue
        if name == "path":
            value = value if value in paths or (str(value).startswith("/sdk/") and len(str(value)) < 40) \
                else "<other path>"
        elif name == "key_prefix":
            value = value if isinstance(value, str) and KEY_PREFIX.match(value) else "<redacted>"
        elif isinstance(value, str):
            value = scrub(value)[:MAX_MESSAGE]
        elif not isinstance(value, int | float | bool):
            continue
        kept[name] = value
    return kept


def clean_log(path: Path, since: str | None, max_lines: int) -> tuple[bytes, dict[str, int]]:
    paths = _known_paths()
    kept: deque[str] = deque(maxlen=max_lines)
    counts = {"read": 0, "kept": 0, "dropped": 0}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            counts["read"] += 1
            line = clean_line(raw, paths, since)
            if line is None:
                counts["dropped"] += 1
                continue
            kept.append(json.dumps(line, ensure_ascii=True, separators=(",", ":")))
    counts["kept"] = len(kept)
    return ("\n".join(kept) + ("\n" if kept else "")).encode("ascii"), counts


def versions() -> dict[str, Any]:
    found: dict[str, Any] = {"attunio": __version__, "python": sys.version.split()[0],
                             "platform": platform.platform(), "openssl": ssl.OPENSSL_VERSION}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(data))


@click.command("support-bundle", epilog=EXAMPLES)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Archive to write (never overwritten). Default: attunio-support-<UTC time>.tar.gz here.")
@click.option("--log", "logs", type=click.Path(path_type=Path, dir_okay=False, exists=True), multiple=True,
              help="A log file of the appliance (its stderr, e.g. saved from `docker logs`); repeat for more.")
@click.option("--since", type=InstantType(), default="24h", show_default=True,
              help="Only log lines from this time on (ISO-8601 with offset, a date, or 24h / 7d back).")
@click.option("--max-lines", type=click.IntRange(1, 1_000_000), default=20_000, show_default=True,
              help="At most this many of the latest lines per log file.")
@json_option
@pass_ctx
def support_bundle(ctx: Context, output: Path | None, logs: tuple[Path, ...], since: datetime, max_lines: int,
                   as_json: bool) -> None:
    """Write a redacted archive for the vendor: the doctor report (settings with secrets redacted),
    versions and recent log lines with keys, tokens, request bodies and unknown paths removed.
    Nothing from the store, the key file or the TLS key is included. Look inside before sending:
    `tar -tzvf FILE`."""
    from attunio.cli.doctor import run_checks
    from attunio.clock import iso_ms

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = (output or Path(f"attunio-support-{stamp}.tar.gz")).resolve()
    if output.exists():
        fail(f"{output} exists; choose a new file name (bundles are never overwritten)")
    report = run_checks(ctx)
    members: dict[str, bytes] = {
        "doctor.json": json.dumps(report, indent=2, default=str).encode(),
        "versions.json": json.dumps(versions(), indent=2).encode(),
    }
    summary: dict[str, Any] = {"created_at": iso_ms(datetime.now(UTC)), "logs_since": iso_ms(since), "logs": {}}
    for number, log in enumerate(logs, 1):
        data, counts = clean_log(log, iso_ms(since), max_lines)
        name = f"logs/{number}-{re.sub(r'[^A-Za-z0-9._-]', '_', log.name)}"
        members[name] = data
        summary["logs"][name] = counts
    members["README.txt"] = (
        b"Attunio support bundle. doctor.json: the preflight report and the settings in force (secrets\n"
        b"redacted). versions.json: software versions. logs/: recent log lines rebuilt from the documented\n"
        b"fields only (keys, tokens, bodies and unknown paths removed). summary.json: what was kept.\n")
    members["summary.json"] = json.dumps(summary, indent=2).encode()
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in members.items():
            _add(tar, f"attunio-support-{stamp}/{name}", data)
    if as_json:
        echo_json({"ok": True, "file": str(output), "members": sorted(members), "summary": summary,
                   "doctor": report["worst"]})
        return
    click.echo(f"wrote {output} ({output.stat().st_size} bytes, mode 0600)")
    for name in sorted(members):
        click.echo(f"  {name}")
    for name, counts in summary["logs"].items():
        click.echo(f"{name}: kept {counts['kept']} of {counts['read']} lines ({counts['dropped']} not log lines "
                   "or older than --since)")
    click.echo(f"doctor: {report['worst']}. Check the contents before sending: tar -tzvf {output}")

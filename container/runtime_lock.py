"""The image's runtime venv: requirements.lock minus what serving never imports, and no vendor tool.

    python3 runtime_lock.py requirements.lock runtime-excludes.txt > runtime.lock
    python3 runtime_lock.py --drop-vendor /opt/attunio

Runs inside the build stage with the base's bare interpreter, so it uses the standard library only.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

VENDOR_PACKAGE = "attunio_vendor"
VENDOR_SCRIPT = "attunio-vendor"


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def excluded_names(text: str) -> set[str]:
    names = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return {canonical(name) for name in names if name}


def runtime_lock(lock: str, excludes: set[str]) -> str:
    """The lock's lines without the excluded pins; every exclusion must match a pin (no stale list)."""
    kept, seen = [], set()
    for line in lock.splitlines():
        name = re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0]
        if name and not line.lstrip().startswith("#") and canonical(name) in excludes:
            seen.add(canonical(name))
            continue
        kept.append(line)
    stale = excludes - seen
    if stale:
        raise SystemExit(f"runtime-excludes.txt names packages the lock does not pin: {', '.join(sorted(stale))}")
    return "\n".join(kept) + "\n"


def drop_vendor(venv: Path) -> None:
    """Remove attunio_vendor and its console script, and their lines in the wheel's RECORD and
    entry points, so the installed metadata (and the SBOM made from it) says what is there."""
    (site,) = venv.glob("lib/python3*/site-packages")
    shutil.rmtree(site / VENDOR_PACKAGE)
    (venv / "bin" / VENDOR_SCRIPT).unlink()
    (dist,) = site.glob("attunio-*.dist-info")
    record = dist / "RECORD"
    lines = record.read_text().splitlines()
    keep = [
        line
        for line in lines
        if not line.startswith(f"{VENDOR_PACKAGE}/") and not re.match(rf"[^,]*bin/{VENDOR_SCRIPT},", line)
    ]
    record.write_text("\n".join(keep) + "\n")
    entry_points = dist / "entry_points.txt"
    entries = [line for line in entry_points.read_text().splitlines() if not line.startswith(f"{VENDOR_SCRIPT} ")]
    entry_points.write_text("\n".join(entries) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--drop-vendor":
        drop_vendor(Path(argv[1]))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    lock, excludes = (Path(arg).read_text(encoding="utf-8") for arg in argv)
    sys.stdout.write(runtime_lock(lock, excluded_names(excludes)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

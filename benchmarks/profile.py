"""Where one worker's time goes under load: py-spy samples of the appliance, grouped into the parts
of an answer that docs/performance.md discusses.

    PYTHONPATH=src:. python -m benchmarks.profile --key live --seconds 40

Sets up its own instance (as `scripts/bench` does), serves the appliance on one CPU over plain HTTP,
loads it with wrk on the other, and records `py-spy record --format raw` of the worker. Each sample
is put in the first group (in the table's order) that one of its frames matches, so the groups add
up to 100% of the worker's busy samples. Needs py-spy (a dev pin) and permission to trace the
worker (root, or `CAP_SYS_PTRACE`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from benchmarks import harness, instance
from benchmarks.bodies import DMSE_PATH, body_bytes
from benchmarks.run import start_appliance

# (group, alternatives): a sample belongs to the first group one of whose alternatives it matches,
# an alternative being substrings that must all appear in the sample's stack.
GROUPS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("access log line", (("logging/__init__.py",), ("attunio/logs.py",))),
    ("quota/meter write (group commit flush)", (("group_commit.py",),)),
    ("store change check (`PRAGMA data_version`)", (("change_token (",),)),
    ("key check: SQL lookup (cache miss)", (("authenticate (", "store/db.py"),)),
    ("key check: checksum, HMAC, principal", (("api/auth.py",),)),
    ("license verdict, active model", (("license_state (",), ("services/calibration/models.py",))),
    ("billing, other (admission, rate-limit headers)",
     (("services/request_path/billing.py",), ("services/request_path/metering.py",))),
    ("engine", (("attunio/engines/",),)),
    ("strict decode + validation", (("attunio/validation.py",),)),
    ("response encode, routing (ours)", (("api/routes.py",), ("api/envelope.py",))),
    ("response send (uvicorn, headers, one write)", (("send_with_headers (",), ("(send (",), ("api/transport.py",))),
    ("request id, headers, body read (ours)", (("attunio/api/",),)),
    ("uvicorn + event loop (HTTP parsing, transport)", ((),)),
)


def group_of(stack: str) -> str:
    for name, alternatives in GROUPS:
        if any(all(needle in stack for needle in needles) for needles in alternatives):
            return name
    return GROUPS[-1][0]


def grouped(raw: str) -> Counter[str]:
    """`py-spy --format raw` lines (`frame;frame;… count`) to samples per group."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[group_of(stack)] += int(count)
    return counts


def profile(key_label: str, seconds: float, connections: int) -> Counter[str]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    work = Path(tempfile.mkdtemp(prefix="attunio-profile-"))
    inst = instance.create(work / "instance")
    key = inst.live_key if key_label == "live" else inst.sandbox_key
    if key is None:
        raise SystemExit("this build has no licensing: no live key to profile")
    server_cpus, load_cpus = harness.cpu_split()
    server = start_appliance("appliance", inst, server_cpus, tls=False)
    body = work / "body.json"
    body.write_bytes(body_bytes("dmse_signals"))
    load = harness.Load(seconds=seconds + 10, warmup=3, connections=connections, threads=1, cpus=load_cpus)
    out = work / "profile.txt"
    try:
        harness.wrk(server.base_url + DMSE_PATH, body, key, load, load.warmup)
        result: list[harness.Result] = []
        loader = threading.Thread(target=lambda: result.append(
            harness.wrk(server.base_url + DMSE_PATH, body, key, load, load.seconds)))
        loader.start()
        worker = harness._children(server.process.pid)  # the uvicorn worker, not the supervisor
        target = worker[-1] if worker else server.process.pid
        subprocess.run([py_spy, "record", "--pid", str(target), "--rate", "200", "--format", "raw",
                        "--duration", str(int(seconds)), "--output", str(out), "--nonblocking"],
                       check=True, capture_output=True)
        loader.join()
    finally:
        server.stop()
    if not result or not result[0].clean:
        raise SystemExit("the load run had answers other than 200; no profile reported")
    if os.environ.get("PROFILE_KEEP"):
        shutil.copy(out, os.environ["PROFILE_KEEP"])
    return grouped(out.read_text(encoding="utf-8", errors="replace"))  # py-spy may cut a name mid-character


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--key", choices=["sandbox", "live", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    labels = ["sandbox", "live"] if args.key == "both" else [args.key]
    columns = {label: profile(label, args.seconds, args.connections) for label in labels}
    print("| part of an answer | " + " | ".join(f"{label} key" for label in labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for name, _ in GROUPS:
        shares = [100 * columns[label][name] / max(1, sum(columns[label].values())) for label in labels]
        print(f"| {name} | " + " | ".join(f"{share:.1f}%" for share in shares) + " |")
    print("| samples | " + " | ".join(str(sum(columns[label].values())) for label in labels) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
